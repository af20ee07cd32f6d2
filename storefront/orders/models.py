"""Orders: what a buyer bought, at which price, and where the order stands."""

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override
from django_countries.fields import CountryField

from reports.formatting import format_amount, format_price
from reports.models import LicenseOption, LicenseType, Report


def new_public_token() -> str:
    return secrets.token_urlsafe(24)


class OrderStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting card payment")
    AWAITING_INVOICE = "awaiting_invoice", _("Awaiting invoice payment")
    PAID = "paid", _("Paid")
    DELIVERED = "delivered", _("Delivered")
    CANCELLED = "cancelled", _("Cancelled")
    REFUNDED = "refunded", _("Refunded")


# The only moves an order may make; services.set_status() enforces them.
ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    OrderStatus.PENDING: {OrderStatus.PAID, OrderStatus.CANCELLED},
    OrderStatus.AWAITING_INVOICE: {OrderStatus.PAID, OrderStatus.CANCELLED},
    OrderStatus.PAID: {OrderStatus.DELIVERED, OrderStatus.REFUNDED},
    OrderStatus.DELIVERED: {OrderStatus.REFUNDED},
    OrderStatus.CANCELLED: set(),
    OrderStatus.REFUNDED: set(),
}
PAID_STATUSES = {OrderStatus.PAID, OrderStatus.DELIVERED}

# Where INVOICE_PAYMENT_INSTRUCTIONS names the payment reference: "{order_number}",
# or the wording of the old default ("Reference: your order number"), which
# deployments may still carry in their environment.
PAYMENT_REFERENCE_PLACEHOLDERS = ("{order_number}", "your order number")


class PaymentMethod(models.TextChoices):
    CARD = "card", _("Card (Stripe)")
    INVOICE = "invoice", _("Invoice (bank transfer)")


class Order(models.Model):
    number = models.CharField(_("order number"), max_length=20, unique=True, editable=False)
    public_token = models.CharField(
        _("public token"), max_length=64, unique=True, default=new_public_token, editable=False
    )
    email = models.EmailField(_("email"))
    full_name = models.CharField(_("full name"), max_length=200)
    company = models.CharField(_("company"), max_length=200)
    # ISO 3166-1 code; blank only on orders from before the code, whose free text
    # could not be matched to a country (kept in country_as_typed).
    country = CountryField(_("country"), blank=True)
    country_as_typed = models.CharField(
        _("country as typed (before the country list)"), max_length=100, blank=True
    )
    billing_line1 = models.CharField(_("billing address"), max_length=200, blank=True)
    billing_line2 = models.CharField(_("billing address, line 2"), max_length=200, blank=True)
    billing_postcode = models.CharField(_("postcode"), max_length=20, blank=True)
    billing_city = models.CharField(_("city"), max_length=100, blank=True)
    vat_id = models.CharField(_("VAT / tax ID"), max_length=50, blank=True)
    po_number = models.CharField(_("purchase order number"), max_length=50, blank=True)
    # The company location a site licence covers; stamped with the company on its copies.
    site = models.CharField(_("site"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    currency = models.CharField(_("currency"), max_length=3)
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2)
    refunded_amount = models.DecimalField(
        _("refunded"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    payment_method = models.CharField(
        _("payment method"), max_length=10, choices=PaymentMethod.choices
    )
    status = models.CharField(
        _("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.PENDING
    )
    needs_attention = models.BooleanField(_("needs attention"), default=False)
    attention_reason = models.TextField(_("why it needs attention"), blank=True)
    terms_accepted_at = models.DateTimeField(_("terms accepted"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    proforma_sent_at = models.DateTimeField(_("pro-forma invoice sent"), null=True, blank=True)
    delivery_mailed_at = models.DateTimeField(_("delivery mail sent"), null=True, blank=True)
    delivery_failed_at = models.DateTimeField(_("delivery failed"), null=True, blank=True)
    proforma_failed_at = models.DateTimeField(
        _("pro-forma invoice could not be sent"), null=True, blank=True
    )
    # Set when a paid order waits for the master PDF of a report "delivered on order":
    # payment time plus the promised business days. Staff see it; the sweep skips it.
    delivery_due_at = models.DateTimeField(_("delivery due"), null=True, blank=True)
    # A buyer's or staff's request for new links, kept until the mail with them is sent,
    # so that a broker or SMTP outage delays it but never loses it (the sweep finds it).
    fresh_links_requested_at = models.DateTimeField(
        _("fresh links requested"), null=True, blank=True
    )
    fresh_links_reason = models.CharField(_("why fresh links"), max_length=200, blank=True)
    # Set by a dispute or a full refund: no link is ever handed out again for this order.
    access_ended_at = models.DateTimeField(_("access ended"), null=True, blank=True)
    access_ended_reason = models.CharField(_("why access ended"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="order_status_created_idx"),
            # The buyer's library finds orders by address in any case (email__iexact,
            # which PostgreSQL runs as UPPER(email) = UPPER(%s)).
            models.Index(Upper("email"), name="order_email_upper_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0), name="order_total_not_negative"),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0) & Q(refunded_amount__lte=models.F("total")),
                name="order_refund_within_total",
            ),
        ]
        permissions = [
            ("refund_order", _("Can refund orders")),
            ("mark_invoice_paid", _("Can mark invoice orders paid")),
            # The buyer's access: whoever holds it can also see the order's public
            # token, which opens the buyer's order page and its download links.
            ("manage_downloads", _("Can resend, renew or revoke download links")),
        ]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        # In the buyer's language, wherever the link is made (a worker, the admin).
        with override(self.language or settings.LANGUAGE_CODE):
            return reverse("orders:detail", kwargs={"token": self.public_token})

    @property
    def is_paid(self) -> bool:
        return self.status in PAID_STATUSES

    @property
    def access_has_ended(self) -> bool:
        return self.access_ended_at is not None

    @property
    def billing_address_lines(self) -> list[str]:
        """The billing address as printed: street lines, postcode and city, country."""
        place = " ".join(part for part in (self.billing_postcode, self.billing_city) if part)
        country = self.country.name if self.country else self.country_as_typed
        return [
            line for line in (self.billing_line1, self.billing_line2, place, country) if line
        ]

    @property
    def payment_instructions(self) -> str:
        """INVOICE_PAYMENT_INSTRUCTIONS with this order's number as the payment reference."""
        text = settings.INVOICE_PAYMENT_INSTRUCTIONS
        for placeholder in PAYMENT_REFERENCE_PLACEHOLDERS:
            text = text.replace(placeholder, self.number)
        return text

    @property
    def display_total(self) -> str:
        return format_price(self.total, self.currency)

    @property
    def display_total_exact(self) -> str:
        """"USD 8,399.00": every minor unit shown, as staff and documents read money."""
        return format_amount(self.total, self.currency)

    @property
    def refundable_amount(self) -> Decimal:
        return self.total - self.refunded_amount


class OrderLine(models.Model):
    """One report bought under one licence; a snapshot, so catalogue edits never change it."""

    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="lines"
    )
    report = models.ForeignKey(
        Report, verbose_name=_("report"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    license_option = models.ForeignKey(
        LicenseOption,
        verbose_name=_("licence option"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    product_code = models.CharField(_("product code"), max_length=32)
    title = models.CharField(_("title"), max_length=300)
    # Blank on a custom line (a service quoted in free text), which has no file to deliver.
    license_type = models.CharField(
        _("licence type"), max_length=20, choices=LicenseType.choices, blank=True
    )
    is_custom = models.BooleanField(_("custom line (nothing to deliver)"), default=False)
    unit_price = models.DecimalField(
        _("price"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)]
    )
    currency = models.CharField(_("currency"), max_length=3)
    # How many named seats the licence bought had (a snapshot, as the price is).
    seat_limit = models.PositiveSmallIntegerField(_("named seats"), default=0)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["id"]

    def __str__(self):
        if self.is_custom:
            return self.title
        return f"{self.product_code} · {self.get_license_type_display()}"

    @property
    def display_price(self) -> str:
        return format_price(self.unit_price, self.currency)

    @property
    def is_deliverable(self) -> bool:
        return not self.is_custom


class OrderStatusChange(models.Model):
    """The history of an order: every status move, who or what made it, and why."""

    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(_("from"), max_length=20, choices=OrderStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=OrderStatus.choices)
    source = models.CharField(_("source"), max_length=100)
    note = models.TextField(_("note"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status history")
        ordering = ["created_at", "id"]

    def __str__(self):
        # What staff read above each row of the history: labels, not codes.
        if self.from_status == self.to_status:
            return str(self.get_to_status_display())
        return f"{self.get_from_status_display() or '—'} → {self.get_to_status_display()}"


class BankPayment(models.Model):
    """Money received by bank transfer for an invoice order, as staff recorded it.

    Partial payments add up; the order is marked paid when they cover its total.
    """

    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.PROTECT, related_name="bank_payments"
    )
    amount = models.DecimalField(
        _("amount"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)]
    )
    currency = models.CharField(_("currency"), max_length=3)
    received_on = models.DateField(_("received on"))
    reference = models.CharField(_("bank reference"), max_length=100)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("bank payment")
        verbose_name_plural = _("bank payments")
        ordering = ["received_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="bank_payment_positive"),
        ]

    def __str__(self):
        return f"{self.order} {format_amount(self.amount, self.currency)}"

    @property
    def display_amount(self) -> str:
        return format_amount(self.amount, self.currency)


class Seat(models.Model):
    """One named person of a multi-user licence, with their own stamped copy.

    ``revision`` counts the holders the seat has had; delivery stamps one copy per
    revision and ``invited_revision`` records which holder was mailed their links.
    """

    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="seats"
    )
    line = models.ForeignKey(
        OrderLine, verbose_name=_("order line"), on_delete=models.CASCADE, related_name="seats"
    )
    number = models.PositiveSmallIntegerField(_("seat"))
    holder_name = models.CharField(_("name"), max_length=200)
    holder_email = models.EmailField(_("email"))
    revision = models.PositiveIntegerField(_("holder number"), default=1)
    invited_revision = models.PositiveIntegerField(_("holder invited"), default=0)
    invited_at = models.DateTimeField(_("invitation sent"), null=True, blank=True)
    assigned_at = models.DateTimeField(_("holder named"), default=timezone.now)
    reassignments = models.PositiveSmallIntegerField(_("reassignments"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("named seat")
        verbose_name_plural = _("named seats")
        ordering = ["line_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["line", "number"], name="seat_one_per_number"),
            models.CheckConstraint(condition=Q(number__gte=1), name="seat_number_positive"),
        ]

    def __str__(self):
        return f"{self.holder_name} <{self.holder_email}>"

    @property
    def is_invited(self) -> bool:
        return self.invited_revision == self.revision


class SeatChange(models.Model):
    """The log of a seat: who named or reassigned it, when, from whom to whom."""

    seat = models.ForeignKey(
        Seat, verbose_name=_("named seat"), on_delete=models.CASCADE, related_name="changes"
    )
    changed_at = models.DateTimeField(_("time"), auto_now_add=True)
    source = models.CharField(_("by"), max_length=100)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    from_name = models.CharField(_("from (name)"), max_length=200, blank=True)
    from_email = models.EmailField(_("from (email)"), blank=True)
    to_name = models.CharField(_("to (name)"), max_length=200)
    to_email = models.EmailField(_("to (email)"))

    class Meta:
        verbose_name = _("seat change")
        verbose_name_plural = _("seat changes")
        ordering = ["changed_at", "id"]

    def __str__(self):
        return f"{self.seat_id}: {self.from_email or '-'} → {self.to_email}"
