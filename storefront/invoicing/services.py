"""Business steps of invoicing: numbering documents once, with their tax.

Numbers come from DocumentCounter rows, taken and locked by one upsert in the
transaction that saves the document, so concurrent payments get consecutive
numbers and a rolled-back document gives its number back: no gaps, no repeats.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from reports import currencies
from storefront.invoicing.models import (
    CreditNote,
    DocumentCounter,
    Invoice,
    Series,
    TaxExemption,
    document_number,
)
from storefront.orders.models import PAID_STATUSES, Order, OrderStatus, PaymentMethod
from storefront.payments.models import Refund

logger = logging.getLogger(__name__)

HUNDRED = Decimal(100)
# VAT ids of Greece start with EL, its ISO country code is GR.
VAT_PREFIX_COUNTRIES = {"EL": "GR", "XI": "GB"}


class InvoicingError(Exception):
    """The document cannot be issued for this order (yet)."""


@dataclass(frozen=True)
class TaxTreatment:
    label: str
    rate: Decimal  # percent, included in the prices
    exemption: str = TaxExemption.NONE


def _next_number(series: str, year: int) -> int:
    """Take the next number of the series; call inside the transaction that saves it."""
    # One statement: the first document of a year makes its counter at 1; any later one
    # adds one to it. Either way the row stays locked until the transaction ends, so
    # concurrent documents queue on it and a rollback gives the number back. (Three
    # statements before: insert-or-nothing, SELECT … FOR UPDATE, UPDATE.)
    table = connection.ops.quote_name(DocumentCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (series, year, last_value) VALUES (%s, %s, 1) "
            f"ON CONFLICT (series, year) DO UPDATE SET last_value = {table}.last_value + 1 "
            f"RETURNING last_value",
            [series, year],
        )
        return cursor.fetchone()[0]


def buyer_country_code(order: Order) -> str:
    """The buyer's country: the billing country, else the VAT id's prefix (orders from
    before checkout stored codes may have none)."""
    if order.country:
        return order.country.code
    prefix = (order.vat_id or "").strip()[:2].upper()
    if len(prefix) == 2 and prefix.isalpha():
        return VAT_PREFIX_COUNTRIES.get(prefix, prefix)
    return ""


def tax_treatment(order: Order) -> TaxTreatment:
    """How the order is taxed: reverse charge for a business buyer with a VAT id in
    another country than the seller's (no tax, the buyer accounts for it), else
    INVOICE_TAX_RATE under INVOICE_TAX_LABEL, included in the prices."""
    label = settings.INVOICE_TAX_LABEL
    buyer_country = buyer_country_code(order)
    if (
        (order.vat_id or "").strip()
        and settings.SELLER_COUNTRY
        and buyer_country
        and buyer_country != settings.SELLER_COUNTRY
    ):
        return TaxTreatment(label=label, rate=Decimal(0), exemption=TaxExemption.REVERSE_CHARGE)
    return TaxTreatment(label=label, rate=settings.INVOICE_TAX_RATE)


def included_tax(amount: Decimal, rate: Decimal, currency: str) -> Decimal:
    """The tax inside a tax-inclusive amount, rounded to the currency's minor unit."""
    places = currencies.exponent(currency)
    quantum = Decimal(1).scaleb(-min(2 if places is None else places, 2))
    net = (amount * HUNDRED / (HUNDRED + rate)).quantize(quantum, rounding=ROUND_HALF_UP)
    return amount - net


def can_have_invoice(order: Order) -> bool:
    """Paid (or paid and refunded since), or an invoice order waiting for payment."""
    if order.status in PAID_STATUSES or order.status == OrderStatus.REFUNDED:
        return True
    return order.payment_method == PaymentMethod.INVOICE and order.status == (
        OrderStatus.AWAITING_INVOICE
    )


def was_paid(order: Order) -> bool:
    """Paid, or paid and refunded since: its invoice is also a receipt."""
    paid = order.status in PAID_STATUSES or order.status == OrderStatus.REFUNDED
    return paid and order.paid_at is not None


def can_have_proforma(order: Order) -> bool:
    return order.payment_method == PaymentMethod.INVOICE and order.status != OrderStatus.CANCELLED


def proforma_due_date(order: Order):
    return timezone.localdate(order.created_at) + timedelta(days=settings.INVOICE_DUE_DAYS)


def _issue_invoice_for_locked(order: Order) -> Invoice:
    existing = Invoice.objects.filter(order=order).first()
    if existing is not None:
        return existing
    if not can_have_invoice(order):
        raise InvoicingError(f"order {order.number} ({order.status}) cannot be invoiced")
    now = timezone.now()
    year = timezone.localdate(now).year
    sequence = _next_number(Series.INVOICE, year)
    treatment = tax_treatment(order)
    invoice = Invoice.objects.create(
        order=order,
        number=document_number(Series.INVOICE, year, sequence),
        year=year,
        sequence=sequence,
        issued_at=now,
        amount=order.total,
        currency=order.currency,
        tax_label=treatment.label,
        tax_rate=treatment.rate,
        tax_exemption=treatment.exemption,
        tax_amount=included_tax(order.total, treatment.rate, order.currency),
    )
    logger.info("invoice %s issued for order %s", invoice.number, order.number)
    return invoice


@transaction.atomic
def issue_invoice(*, order_id: int) -> Invoice:
    """The order's invoice, numbered on the first call; later calls return it unchanged.

    Idempotent and safe under concurrency (the order's row is locked, then the
    year's counter). Raises InvoicingError for an order that is neither paid nor an
    invoice order awaiting payment.
    """
    order = Order.objects.select_for_update().get(pk=order_id)
    return _issue_invoice_for_locked(order)


issue_invoice.alters_data = True


@transaction.atomic
def issue_credit_note(*, refund_id: int) -> CreditNote:
    """The refund's credit note, numbered in its own series on the first call, against
    the order's invoice (issued first if the order has none). Idempotent."""
    order_id = Refund.objects.values_list("order_id", flat=True).get(pk=refund_id)
    order = Order.objects.select_for_update().get(pk=order_id)
    existing = CreditNote.objects.filter(refund_id=refund_id).first()
    if existing is not None:
        return existing
    refund = Refund.objects.get(pk=refund_id)
    invoice = _issue_invoice_for_locked(order)
    now = timezone.now()
    year = timezone.localdate(now).year
    sequence = _next_number(Series.CREDIT_NOTE, year)
    credit_note = CreditNote.objects.create(
        refund=refund,
        invoice=invoice,
        order=order,
        number=document_number(Series.CREDIT_NOTE, year, sequence),
        year=year,
        sequence=sequence,
        issued_at=now,
        amount=refund.amount,
        currency=refund.currency,
        tax_label=invoice.tax_label,
        tax_rate=invoice.tax_rate,
        tax_exemption=invoice.tax_exemption,
        tax_amount=included_tax(refund.amount, invoice.tax_rate, refund.currency),
    )
    logger.info("credit note %s issued for refund %s", credit_note.number, refund.refund_id)
    return credit_note


issue_credit_note.alters_data = True


def issue_missing_documents() -> dict[str, int]:
    """Sweep: an invoice for every paid order and a credit note for every refund that
    lack one (a subscriber that failed after commit). Idempotent; one document that
    cannot be issued is logged and counted, and the others are still issued."""
    counts = {"invoices": 0, "credit_notes": 0, "errors": 0}
    unpaid = Order.objects.filter(
        status__in=[*PAID_STATUSES, OrderStatus.REFUNDED], invoice__isnull=True
    )
    steps = [("invoices", issue_invoice, "order_id", unpaid.values_list("pk", flat=True))]
    steps.append(
        (
            "credit_notes",
            issue_credit_note,
            "refund_id",
            Refund.objects.filter(credit_note__isnull=True).values_list("pk", flat=True),
        )
    )
    for kind, issue, argument, ids in steps:
        for pk in list(ids):
            try:
                issue(**{argument: pk})
            except Exception:
                logger.exception("could not issue the missing %s for %s %s", kind, argument, pk)
                counts["errors"] += 1
            else:
                counts[kind] += 1
    return counts
