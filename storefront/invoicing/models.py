"""Numbered documents: an invoice per order, a credit note per refund, and the yearly
counters their numbers come from."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from storefront.orders.models import Order
from storefront.payments.models import Refund


class Series(models.TextChoices):
    INVOICE = "INV", _("Invoices")
    CREDIT_NOTE = "CN", _("Credit notes")


class TaxExemption(models.TextChoices):
    NONE = "", _("None")
    REVERSE_CHARGE = "reverse_charge", _("Reverse charge")


def document_number(series: str, year: int, sequence: int) -> str:
    return f"{series}-{year}-{sequence:06d}"


class DocumentCounter(models.Model):
    """The last number given in a series and year. Its row is locked while a number is
    taken, in the transaction that saves the document: a rollback returns the number,
    so the series has no gaps (a database SEQUENCE would keep it)."""

    series = models.CharField(_("series"), max_length=4, choices=Series.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    last_value = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("document counter")
        verbose_name_plural = _("document counters")
        ordering = ["series", "year"]
        constraints = [
            models.UniqueConstraint(fields=["series", "year"], name="invoicing_one_counter_per_year"),
        ]

    def __str__(self):
        return f"{self.series}-{self.year}: {self.last_value}"


class TaxedDocument(models.Model):
    """What every numbered document keeps: its number and the tax as it was issued."""

    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    year = models.PositiveSmallIntegerField(_("year"), editable=False)
    sequence = models.PositiveIntegerField(_("sequence"), editable=False)
    issued_at = models.DateTimeField(_("issued"), editable=False)
    currency = models.CharField(_("currency"), max_length=3, editable=False)
    # Prices include tax: these split the amount the buyer paid, as they stood when
    # the document was issued, so a later change of rate never rewrites it.
    tax_label = models.CharField(_("tax"), max_length=50, editable=False)
    tax_rate = models.DecimalField(_("tax rate (%)"), max_digits=5, decimal_places=2, editable=False)
    tax_amount = models.DecimalField(_("tax amount"), max_digits=12, decimal_places=2, editable=False)
    tax_exemption = models.CharField(
        _("tax exemption"), max_length=20, choices=TaxExemption.choices, blank=True, editable=False
    )

    class Meta:
        abstract = True

    def __str__(self):
        return self.number


class Invoice(TaxedDocument):
    """The order's invoice, numbered once: when a card order is paid, or when the
    pro-forma of an invoice order is sent. Printed as a receipt once paid."""

    order = models.OneToOneField(
        Order, verbose_name=_("order"), on_delete=models.PROTECT, related_name="invoice"
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2, editable=False)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-year", "-sequence"]
        constraints = [
            models.UniqueConstraint(fields=["year", "sequence"], name="invoice_number_once"),
        ]


class CreditNote(TaxedDocument):
    """A refund, credited against the order's invoice; numbered in its own series."""

    refund = models.OneToOneField(
        Refund, verbose_name=_("refund"), on_delete=models.PROTECT, related_name="credit_note"
    )
    invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT, related_name="credit_notes"
    )
    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.PROTECT, related_name="credit_notes"
    )
    amount = models.DecimalField(_("amount credited"), max_digits=12, decimal_places=2, editable=False)

    class Meta:
        verbose_name = _("credit note")
        verbose_name_plural = _("credit notes")
        ordering = ["-year", "-sequence"]
        constraints = [
            models.UniqueConstraint(fields=["year", "sequence"], name="credit_note_number_once"),
        ]
