"""What each document says, in the order's language: the content of the PDFs, built
from the order's snapshots and the document's own numbers and tax."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import override

from reports import currencies
from storefront.invoicing import services
from storefront.invoicing.models import CreditNote, Invoice, TaxExemption
from storefront.orders.models import Order


@dataclass(frozen=True)
class Line:
    description: str
    detail: str
    amount: str


@dataclass(frozen=True)
class Document:
    language: str
    filename: str
    title: str
    facts: list[tuple[str, str]]  # number, dates, references
    seller: list[str]
    buyer: list[str]
    lines: list[Line]
    totals: list[tuple[str, str]]
    notes: list[str] = field(default_factory=list)
    payment_heading: str = ""
    payment_lines: list[str] = field(default_factory=list)
    buyer_heading: str = ""


def amount(value: Decimal, currency: str) -> str:
    """"USD 3,939.00", "JPY 3,939", "KWD 1,000.500": every ISO 4217 minor unit shown."""
    places = currencies.exponent(currency)
    return f"{currency} {Decimal(value):,.{2 if places is None else places}f}"


def _date(value) -> str:
    return formats.date_format(value, "DATE_FORMAT") if value else ""


def _lines_of(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def seller_of_record() -> list[str]:
    rows = [settings.SELLER_LEGAL_NAME, *_lines_of(settings.SELLER_ADDRESS)]
    if settings.SELLER_TAX_ID:
        rows.append(_("Tax ID: %(tax_id)s") % {"tax_id": settings.SELLER_TAX_ID})
    return rows


def _buyer(order: Order) -> list[str]:
    rows = [order.company, order.full_name, *order.billing_address_lines]
    if order.vat_id:
        rows.append(_("VAT / tax ID: %(vat_id)s") % {"vat_id": order.vat_id})
    rows.append(order.email)
    return [row for row in rows if row]


def _order_lines(order: Order) -> list[Line]:
    return [
        Line(
            description=line.title,
            detail=""
            if line.is_custom
            else _("Code %(code)s, %(licence)s")
            % {"code": line.product_code, "licence": line.get_license_type_display()},
            amount=amount(line.unit_price, line.currency),
        )
        for line in order.lines.all()
    ]


def _tax_rows(document, total: Decimal, currency: str) -> tuple[list[tuple[str, str]], list[str]]:
    """The net, tax and total rows, and the note that explains a zero tax."""
    net = total - document.tax_amount
    rate = f"{document.tax_rate.normalize():f}%"
    rows = [
        (_("Net amount"), amount(net, currency)),
        (
            f"{document.tax_label} {rate}",
            amount(document.tax_amount, currency),
        ),
    ]
    notes = []
    if document.tax_exemption == TaxExemption.REVERSE_CHARGE:
        notes.append(
            _(
                "Reverse charge: no %(tax)s charged; the buyer accounts for it "
                "in their own country."
            )
            % {"tax": document.tax_label}
        )
    return rows, notes


def _payment(order: Order) -> tuple[str, list[str]]:
    return _("Bank details"), _lines_of(order.payment_instructions)


def invoice(invoice: Invoice) -> Document:
    """The invoice, which is also the receipt once the order is paid."""
    order = invoice.order
    with override(order.language):
        facts = [
            (_("Invoice number"), invoice.number),
            (_("Invoice date"), _date(invoice.issued_at)),
            (_("Order number"), order.number),
        ]
        if order.po_number:
            facts.append((_("PO number"), order.po_number))
        facts.append((_("Payment"), order.get_payment_method_display()))
        notes = []
        if order.paid_at:
            facts.append((_("Paid on"), _date(order.paid_at)))
            notes.append(_("Paid in full. This invoice is also your receipt."))
        else:
            facts.append((_("Payment reference"), order.number))
        tax_rows, tax_notes = _tax_rows(invoice, invoice.amount, invoice.currency)
        heading, payment_lines = _payment(order) if not order.paid_at else ("", [])
        return Document(
            language=order.language,
            filename=f"{invoice.number}.pdf",
            title=_("Invoice"),
            facts=facts,
            seller=seller_of_record(),
            buyer=_buyer(order),
            buyer_heading=_("Bill to"),
            lines=_order_lines(order),
            totals=[*tax_rows, (_("Total"), amount(invoice.amount, invoice.currency))],
            notes=[*tax_notes, *notes],
            payment_heading=heading,
            payment_lines=payment_lines,
        )


def proforma(order: Order, *, invoice: Invoice | None = None) -> Document:
    """The pro-forma of an invoice order: what to pay, by when, with which reference."""
    with override(order.language):
        facts = [(_("Order number"), order.number), (_("Date"), _date(order.created_at))]
        if invoice is not None:
            facts.append((_("Invoice number"), invoice.number))
        if order.po_number:
            facts.append((_("PO number"), order.po_number))
        facts += [
            (_("Due date"), _date(services.proforma_due_date(order))),
            (_("Payment reference"), order.number),
        ]
        taxed = invoice
        if taxed is None:  # not numbered yet: the tax as it would be issued now
            treatment = services.tax_treatment(order)
            taxed = Invoice(
                tax_label=treatment.label,
                tax_rate=treatment.rate,
                tax_exemption=treatment.exemption,
                tax_amount=services.included_tax(order.total, treatment.rate, order.currency),
            )
        tax_rows, tax_notes = _tax_rows(taxed, order.total, order.currency)
        heading, payment_lines = _payment(order)
        return Document(
            language=order.language,
            filename=f"proforma-{order.number}.pdf",
            title=_("Pro-forma invoice"),
            facts=facts,
            seller=seller_of_record(),
            buyer=_buyer(order),
            buyer_heading=_("Bill to"),
            lines=_order_lines(order),
            totals=[*tax_rows, (_("Total due"), amount(order.total, order.currency))],
            notes=[
                *tax_notes,
                _(
                    "Please pay by bank transfer and give the order number %(number)s "
                    "as the payment reference. Your report is delivered as soon as the "
                    "payment arrives."
                )
                % {"number": order.number},
            ],
            payment_heading=heading,
            payment_lines=payment_lines,
        )


def credit_note(credit_note: CreditNote) -> Document:
    order = credit_note.order
    with override(order.language):
        facts = [
            (_("Credit note number"), credit_note.number),
            (_("Date"), _date(credit_note.issued_at)),
            (_("Credits invoice"), credit_note.invoice.number),
            (_("Order number"), order.number),
        ]
        if order.po_number:
            facts.append((_("PO number"), order.po_number))
        tax_rows, tax_notes = _tax_rows(credit_note, credit_note.amount, credit_note.currency)
        return Document(
            language=order.language,
            filename=f"{credit_note.number}.pdf",
            title=_("Credit note"),
            facts=facts,
            seller=seller_of_record(),
            buyer=_buyer(order),
            buyer_heading=_("Bill to"),
            lines=[
                Line(
                    description=_("Refund of order %(number)s") % {"number": order.number},
                    detail=_("Refund %(reference)s") % {"reference": credit_note.refund.refund_id},
                    amount=amount(credit_note.amount, credit_note.currency),
                )
            ],
            totals=[
                *tax_rows,
                (_("Total credited"), amount(credit_note.amount, credit_note.currency)),
            ],
            notes=[
                *tax_notes,
                _("The amount is refunded to the card the order was paid with."),
            ],
        )
