"""Two staff members refunding the same order at once (PostgreSQL: real row locks; the
real Stripe SDK against the suite's Stripe-compatible server)."""

import re
import threading
from decimal import Decimal

import pytest
from django.db import connection

from storefront.orders import services as order_services
from storefront.orders.models import Order
from storefront.payments import services, stripe_api
from storefront.payments.models import Refund
from tests.payments.test_stripe_checkout import pay_order

pytestmark = pytest.mark.django_db(transaction=True)


def refund_at_once(order, amounts):
    """Call refund_order() for each amount in its own thread, released together."""
    barrier = threading.Barrier(len(amounts))
    outcomes = {}

    def refund(amount):
        try:
            barrier.wait(timeout=5)
            services.refund_order(order_id=order.pk, amount=Decimal(amount))
            outcomes[amount] = "refunded"
        except order_services.OrderError as error:
            outcomes[amount] = f"refused: {error}"
        except stripe_api.PaymentError as error:
            outcomes[amount] = f"refused by Stripe: {error}"
        finally:
            connection.close()

    threads = [threading.Thread(target=refund, args=(amount,)) for amount in amounts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


@pytest.fixture
def paid_card_order(client, stripe, card_order):
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent transactions need PostgreSQL (make test uses it)")
    order, _session_id = pay_order(client, stripe, card_order)  # USD 3,939
    return order


def stripe_refunded(stripe) -> Decimal:
    [charge] = stripe.charges.values()
    return Decimal(charge["amount_refunded"]) / 100


def test_concurrent_refunds_record_what_stripe_refunded(stripe, paid_card_order):
    # when two admins refund 100 and 200 at the same moment
    outcomes = refund_at_once(paid_card_order, ["100.00", "200.00"])

    # then both refunds are made and the order records their sum, as Stripe does
    order = Order.objects.get(pk=paid_card_order.pk)
    assert outcomes == {"100.00": "refunded", "200.00": "refunded"}
    assert stripe_refunded(stripe) == Decimal("300.00")
    assert order.refunded_amount == Decimal("300.00")
    assert sorted(Refund.objects.values_list("amount", flat=True)) == [Decimal("100"), Decimal("200")]


def test_concurrent_refunds_over_what_is_left_are_refused_before_stripe(stripe, paid_card_order):
    # when two admins each refund 3,000 of a 3,939 order at the same moment
    outcomes = refund_at_once(paid_card_order, ["3000.00", "3000.01"])

    # then one is made, the other refused by the shop (never sent to Stripe)
    refused = [outcome for outcome in outcomes.values() if outcome.startswith("refused")]
    assert sorted(outcomes.values())[0] == "refunded" and len(refused) == 1
    assert re.search(r"at most USD (939|938\.99)\.$", refused[0])  # what the other one left
    assert len(stripe.requests_to("POST", "/v1/refunds")) == 1
    order = Order.objects.get(pk=paid_card_order.pk)
    assert order.refunded_amount == stripe_refunded(stripe)
    assert order.refunded_amount in {Decimal("3000.00"), Decimal("3000.01")}
