"""What the shop knows of payments: checkout sessions, provider events, refunds."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from storefront.orders.models import Order


class CheckoutSession(models.Model):
    """One attempt to pay an order through Stripe Checkout."""

    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="checkout_sessions"
    )
    attempt = models.PositiveSmallIntegerField(_("attempt"))
    session_id = models.CharField(_("Stripe session"), max_length=255, unique=True)
    url = models.URLField(_("checkout URL"), max_length=2000)
    amount = models.PositiveBigIntegerField(_("amount (minor units)"))
    currency = models.CharField(_("currency"), max_length=3)
    expires_at = models.DateTimeField(_("expires"))
    payment_intent_id = models.CharField(_("payment intent"), max_length=255, blank=True)
    # The Stripe payment method type that paid ("card", "alipay", "wechat_pay" …).
    method_type = models.CharField(_("paid with"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("checkout session")
        verbose_name_plural = _("checkout sessions")
        ordering = ["-attempt"]
        constraints = [
            models.UniqueConstraint(fields=["order", "attempt"], name="checkout_one_per_attempt"),
        ]
        indexes = [models.Index(fields=["payment_intent_id"], name="checkout_payment_intent_idx")]

    def __str__(self):
        return self.session_id


class PaymentEventOutcome(models.TextChoices):
    PROCESSED = "processed", _("Processed")
    IGNORED = "ignored", _("Ignored")
    FLAGGED = "flagged", _("Flagged for staff")


class PaymentEvent(models.Model):
    """A provider event, recorded once: its id is the guard against duplicates."""

    provider = models.CharField(_("provider"), max_length=20, default="stripe")
    event_id = models.CharField(_("event id"), max_length=255, unique=True)
    event_type = models.CharField(_("type"), max_length=100)
    order = models.ForeignKey(
        Order,
        verbose_name=_("order"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="payment_events",
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=PaymentEventOutcome.choices)
    note = models.TextField(_("note"), blank=True)
    payload = models.JSONField(_("payload"))
    received_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        verbose_name = _("payment event")
        verbose_name_plural = _("payment events")
        ordering = ["-received_at", "-id"]

    def __str__(self):
        return f"{self.event_type} {self.event_id}"


class Refund(models.Model):
    """A refund made at the provider; its id is unique so it counts once."""

    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="refunds"
    )
    refund_id = models.CharField(_("refund id"), max_length=255, unique=True)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.refund_id
