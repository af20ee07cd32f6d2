"""Steps staff take on an invoice order from its admin page: record a bank payment
(partial payments add up; covered means paid), send the pro-forma again. Each writes a
row of the order's status history naming the staff member."""

from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext

from reports import currencies as currency_facts
from reports.formatting import format_amount
from storefront.orders.models import (
    BankPayment,
    Order,
    OrderStatus,
    OrderStatusChange,
    PaymentMethod,
)
from storefront.orders.services import OrderError, locked_order, queue_proforma, mark_order_paid


def bank_payments_total(order: Order) -> Decimal:
    return order.bank_payments.aggregate(total=Sum("amount"))["total"] or Decimal("0")


def _note_in_history(order: Order, *, source: str, note: str, actor) -> None:
    """A history row that records a step without a status move (from = to)."""
    OrderStatusChange.objects.create(
        order=order, from_status=order.status, to_status=order.status, source=source,
        note=note, actor=actor,
    )


@transaction.atomic
def record_bank_payment(
    *, order_id: int, amount: Decimal, received_on, reference: str, actor
) -> Order:
    """Record money received by bank transfer for an invoice order awaiting payment.

    Payments add up; when they cover the total the order is marked paid through
    mark_order_paid (so delivery and the invoice follow after commit). Refused with
    OrderError: another state, a non-positive amount, finer than the currency, or more
    than is still owed. Each payment writes a history row with the staff member.
    """
    order = locked_order(order_id)
    if order.payment_method != PaymentMethod.INVOICE or order.status != OrderStatus.AWAITING_INVOICE:
        raise OrderError(
            gettext("Only an invoice order awaiting payment can receive a bank payment.")
        )
    if amount <= 0 or not currency_facts.fits(amount, order.currency):
        raise OrderError(
            gettext("Enter a positive amount in %(code)s, to at most its minor unit.")
            % {"code": order.currency}
        )
    reference = (reference or "").strip()
    if not reference:
        raise OrderError(gettext("Enter the bank's reference of the payment."))
    if received_on > timezone.localdate():
        raise OrderError(gettext("A payment cannot be received in the future."))
    outstanding = order.total - bank_payments_total(order)
    if amount > outstanding:
        raise OrderError(
            gettext("%(amount)s is more than the %(outstanding)s still owed.")
            % {
                "amount": format_amount(amount, order.currency),
                "outstanding": format_amount(outstanding, order.currency),
            }
        )
    BankPayment.objects.create(
        order=order, amount=amount, currency=order.currency, received_on=received_on,
        reference=reference, recorded_by=actor,
    )
    outstanding -= amount
    _note_in_history(
        order,
        source="bank payment",
        note=gettext("%(amount)s received on %(date)s, reference %(reference)s; %(outstanding)s outstanding.")
        % {
            "amount": format_amount(amount, order.currency),
            "date": received_on.isoformat(),
            "reference": reference,
            "outstanding": format_amount(outstanding, order.currency),
        },
        actor=actor,
    )
    if outstanding == 0:
        order = mark_order_paid(
            order_id=order.pk, source="bank payment", actor=actor,
            note=gettext("Bank payments cover the total."),
        )
    return order


record_bank_payment.alters_data = True


@transaction.atomic
def resend_proforma(*, order_id: int, actor) -> Order:
    """Mail the pro-forma invoice again (after commit, by the usual task), clearing a
    failure flag's date so the sweep may retry it; recorded in the history."""
    order = locked_order(order_id)
    if order.payment_method != PaymentMethod.INVOICE or order.status != OrderStatus.AWAITING_INVOICE:
        raise OrderError(gettext("Only an invoice order awaiting payment has a pro-forma to send."))
    order.proforma_sent_at = None
    order.proforma_failed_at = None
    order.save(update_fields=["proforma_sent_at", "proforma_failed_at", "updated_at"])
    _note_in_history(
        order, source="pro-forma resent", note=gettext("Pro-forma invoice sent again to %(email)s.")
        % {"email": order.email}, actor=actor,
    )
    queue_proforma(order.pk)
    return order


resend_proforma.alters_data = True
