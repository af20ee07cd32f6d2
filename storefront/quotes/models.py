"""Quotes: prices agreed with one buyer, sent as a PDF, accepted online into an order."""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from reports import currencies
from reports.formatting import format_amount
from reports.models import LicenseOption, LicenseType, Report

HUNDRED = Decimal(100)


class QuoteStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted")
    # Never stored: a sent quote past its validity date reads as expired (effective_status).
    EXPIRED = "expired", _("Expired")


class QuoteCounter(models.Model):
    """The last quote number of a year, taken under a row lock (services.allocate_number)."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    last_value = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("quote counter")
        verbose_name_plural = _("quote counters")
        ordering = ["year"]

    def __str__(self):
        return f"{self.year}: {self.last_value}"


class QuoteQuerySet(models.QuerySet):
    def expired(self, today=None):
        today = today or timezone.localdate()
        return self.filter(status=QuoteStatus.SENT, valid_until__lt=today)


class Quote(models.Model):
    number = models.CharField(_("quote number"), max_length=20, unique=True, editable=False)
    inquiry = models.ForeignKey(
        "inquiries.Inquiry",
        verbose_name=_("inquiry"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="quotes",
    )
    order = models.OneToOneField(
        "orders.Order",
        verbose_name=_("order"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="quote",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=QuoteStatus.choices, default=QuoteStatus.DRAFT,
        editable=False,
    )
    email = models.EmailField(_("email"))
    full_name = models.CharField(_("full name"), max_length=200)
    company = models.CharField(_("company"), max_length=200)
    country = CountryField(_("country"))
    vat_id = models.CharField(_("VAT / tax ID"), max_length=50, blank=True)
    po_number = models.CharField(_("purchase order number"), max_length=50, blank=True)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    currency = models.CharField(
        _("currency"), max_length=3, validators=[currencies.validate_sold_currency]
    )
    valid_until = models.DateField(_("valid until"))
    note = models.TextField(_("note to the buyer"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("prepared by"),
        on_delete=models.SET_NULL,
        null=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True, editable=False)
    mailed_at = models.DateTimeField(_("mailed to the buyer"), null=True, blank=True, editable=False)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True, editable=False)

    objects = QuoteQuerySet.as_manager()

    class Meta:
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="expired"), name="quote_expired_is_not_stored"
            ),
        ]

    def __str__(self):
        return self.number

    @property
    def is_expired(self) -> bool:
        return self.status == QuoteStatus.SENT and self.valid_until < timezone.localdate()

    @property
    def effective_status(self) -> str:
        return QuoteStatus.EXPIRED if self.is_expired else self.status

    def get_effective_status_display(self) -> str:
        return str(QuoteStatus(self.effective_status).label)

    def total_minor(self, lines=None) -> int:
        lines = self.lines.all() if lines is None else lines
        return sum(line.net_minor for line in lines)

    def total(self, lines=None) -> Decimal:
        return currencies.from_minor_units(self.total_minor(lines), self.currency)

    def display_total(self, lines=None) -> str:
        return format_amount(self.total(lines), self.currency)


class QuoteLine(models.Model):
    """A licence of a report (its list price as the start) or a custom line of free text,
    at a price with an optional discount, in percent or as an amount."""

    quote = models.ForeignKey(
        Quote, verbose_name=_("quote"), on_delete=models.CASCADE, related_name="lines"
    )
    license_option = models.ForeignKey(
        LicenseOption,
        verbose_name=_("report licence"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Leave empty for a custom line."),
    )
    report = models.ForeignKey(
        Report, verbose_name=_("report"), on_delete=models.SET_NULL, null=True, blank=True,
        editable=False, related_name="+",
    )
    product_code = models.CharField(_("product code"), max_length=32, blank=True, editable=False)
    license_type = models.CharField(
        _("licence type"), max_length=20, choices=LicenseType.choices, blank=True, editable=False
    )
    description = models.CharField(
        _("description"), max_length=300, blank=True,
        help_text=_("The report's title for a licence (left empty: taken from the report); "
                    "the text of a custom line."),
    )
    list_price = models.DecimalField(
        _("list price"), max_digits=12, decimal_places=2, null=True, blank=True, editable=False
    )
    price = models.DecimalField(
        _("price"), max_digits=12, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("Empty: the licence's list price (in the quote's currency)."),
    )
    discount_percent = models.DecimalField(
        _("discount %"), max_digits=5, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    discount_amount = models.DecimalField(
        _("discount amount"), max_digits=12, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(0)],
    )

    class Meta:
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")
        ordering = ["id"]

    def __str__(self):
        return self.description or self.product_code

    @property
    def is_custom(self) -> bool:
        return self.license_option_id is None and self.report_id is None

    @property
    def price_minor(self) -> int:
        return currencies.to_minor_units(self.price or Decimal(0), self.quote.currency)

    @property
    def discount_minor(self) -> int:
        """The discount in minor units: an amount as given, a percentage rounded half up."""
        if self.discount_amount:
            return currencies.to_minor_units(self.discount_amount, self.quote.currency)
        if self.discount_percent:
            exact = Decimal(self.price_minor) * self.discount_percent / HUNDRED
            return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
        return 0

    @property
    def net_minor(self) -> int:
        return self.price_minor - self.discount_minor

    @property
    def net_price(self) -> Decimal:
        return currencies.from_minor_units(self.net_minor, self.quote.currency)

    @property
    def display_price(self) -> str:
        return self.display(self.price)

    @property
    def display_discount(self) -> str:
        if not self.discount_minor:
            return "—"
        if self.discount_percent and not self.discount_amount:
            return f"{self.discount_percent.normalize():f} % ({self.display(self.discount_minor)})"
        return self.display(self.discount_minor)

    @property
    def display_net(self) -> str:
        return self.display(self.net_price)

    def display(self, value: Decimal | int | None) -> str:
        if value is None:
            return ""
        if isinstance(value, int):
            value = currencies.from_minor_units(value, self.quote.currency)
        return format_amount(value, self.quote.currency)
