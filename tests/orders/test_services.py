"""Order status rules: one map of allowed moves, idempotent steps, history rows."""

from decimal import Decimal

import pytest

from storefront.orders import services
from storefront.orders.cart import CartLine
from storefront.orders.models import ALLOWED_TRANSITIONS, Order, OrderStatus, PaymentMethod
from tests.factories import make_report

pytestmark = pytest.mark.django_db


def place(payment_method=PaymentMethod.CARD, prices=("3939",)):
    report = make_report(licence_prices=list(prices))
    lines = [CartLine(option) for option in report.license_options.order_by("price")][:1]
    return services.place_order(
        lines=lines,
        buyer=services.Buyer(email="a@example.com", full_name="Ann Lee", company="Acme",
                             country="United Kingdom"),
        language="en",
        payment_method=payment_method,
    )


def history(order):
    return list(order.status_changes.values_list("from_status", "to_status", "source"))


def test_every_status_has_a_rule():
    assert set(ALLOWED_TRANSITIONS) == set(OrderStatus.values)


def test_mark_paid_is_idempotent_and_recorded_once():
    order = place()
    services.mark_order_paid(order_id=order.pk, source="webhook")
    services.mark_order_paid(order_id=order.pk, source="success page")
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.paid_at is not None
    assert history(order) == [("", "pending", "checkout"), ("pending", "paid", "webhook")]


def test_mark_paid_hands_off_for_delivery_after_commit(django_capture_on_commit_callbacks):
    order = place()
    with django_capture_on_commit_callbacks() as callbacks:
        services.mark_order_paid(order_id=order.pk, source="webhook")
        services.mark_order_paid(order_id=order.pk, source="webhook again")
    assert len(callbacks) == 1


@pytest.mark.parametrize(
    "amount, currency",
    [(Decimal("3938.99"), "USD"), (Decimal("3939.00"), "EUR"), (Decimal("39.39"), "USD")],
)
def test_a_mismatched_payment_is_flagged_not_fulfilled(amount, currency):
    order = place()
    services.mark_order_paid(order_id=order.pk, source="webhook", amount=amount, currency=currency)
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    assert order.needs_attention
    assert "does not match" in order.attention_reason


def test_a_payment_after_cancellation_is_flagged():
    order = place()
    services.cancel_order(order_id=order.pk, source="webhook expired")
    services.mark_order_paid(order_id=order.pk, source="webhook", amount=order.total, currency="USD")
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert order.needs_attention


def test_cancel_never_moves_a_paid_order_backwards():
    order = place()
    services.mark_order_paid(order_id=order.pk, source="webhook")
    services.cancel_order(order_id=order.pk, source="late expired event")
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_set_status_refuses_moves_outside_the_map():
    order = place(PaymentMethod.INVOICE)
    with pytest.raises(services.InvalidTransition):
        services.set_status(order, OrderStatus.DELIVERED, source="test")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.AWAITING_INVOICE


def test_refunds_count_cumulatively_and_a_full_refund_ends_the_order():
    order = place(prices=("1000",))
    services.mark_order_paid(order_id=order.pk, source="webhook")

    services.record_refund(order_id=order.pk, refunded_total=Decimal("300"), source="webhook")
    services.record_refund(order_id=order.pk, refunded_total=Decimal("300"), source="duplicate")
    services.record_refund(order_id=order.pk, refunded_total=Decimal("200"), source="stale")
    order.refresh_from_db()
    assert (order.refunded_amount, order.status) == (Decimal("300.00"), OrderStatus.PAID)

    services.record_refund(order_id=order.pk, refunded_total=Decimal("1000"), source="webhook")
    order.refresh_from_db()
    assert (order.refunded_amount, order.status) == (Decimal("1000.00"), OrderStatus.REFUNDED)


def test_a_refund_above_the_total_is_flagged():
    order = place(prices=("1000",))
    services.mark_order_paid(order_id=order.pk, source="webhook")
    services.record_refund(order_id=order.pk, refunded_total=Decimal("1000.01"), source="webhook")
    order.refresh_from_db()
    assert order.refunded_amount == 0
    assert order.needs_attention


def test_an_empty_cart_cannot_be_ordered():
    with pytest.raises(services.EmptyCart):
        services.place_order(
            lines=[],
            buyer=services.Buyer(email="a@example.com", full_name="A", company="B", country="CN"),
            language="en",
            payment_method=PaymentMethod.CARD,
        )
    assert Order.objects.count() == 0
