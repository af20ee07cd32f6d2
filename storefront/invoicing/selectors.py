"""Reads for the document pages, each with a fixed number of queries."""

from django.db.models import Prefetch

from storefront.invoicing.models import CreditNote, Invoice
from storefront.orders.models import Order, OrderLine


def _orders():
    return Order.objects.prefetch_related(Prefetch("lines", queryset=OrderLine.objects.all()))


def order_for_buyer(token: str) -> Order | None:
    return _orders().filter(public_token=token).first()


def invoice_of(order: Order) -> Invoice | None:
    return Invoice.objects.filter(order=order).first()


def invoice_by_pk(pk: int) -> Invoice | None:
    invoice = Invoice.objects.filter(pk=pk).select_related("order").first()
    if invoice is not None:
        invoice.order = _orders().get(pk=invoice.order_id)
    return invoice


def credit_note_of(order: Order, number: str) -> CreditNote | None:
    credit_note = (
        CreditNote.objects.filter(order=order, number=number)
        .select_related("invoice", "refund")
        .first()
    )
    if credit_note is not None:
        credit_note.order = order
    return credit_note


def credit_note_by_pk(pk: int) -> CreditNote | None:
    credit_note = CreditNote.objects.filter(pk=pk).select_related("invoice", "refund").first()
    if credit_note is not None:
        credit_note.order = _orders().get(pk=credit_note.order_id)
    return credit_note


def credit_notes_of(order: Order) -> list[CreditNote]:
    return list(CreditNote.objects.filter(order=order).order_by("sequence", "year"))
