"""Amounts reach Stripe in each currency's minor units, as Stripe counts them, and come
back to the same price: the real SDK against the suite's Stripe-compatible server."""

from datetime import timedelta
from decimal import Decimal

import pytest
import stripe as stripe_sdk
from django.utils import timezone

from reports.models import LicenseType
from storefront.orders import services as order_services
from storefront.orders.models import OrderStatus
from storefront.payments import services, stripe_api
from storefront.payments.models import Refund
from tests.payments.conftest import post_event
from tests.stripe_server import format_amount

pytestmark = pytest.mark.django_db

D = Decimal


def session_request(server):
    [request] = server.requests_to("POST", "/v1/checkout/sessions")
    return request.params["line_items"][0]["price_data"]


def pay_by_webhook(client, server, session_id):
    server.pay(session_id, send_webhook=False)
    event = server.build_event("checkout.session.completed", server.sessions[session_id])
    return post_event(client, server, event)


# --- The shop's side: to_minor_units / from_minor_units ------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "units"),
    [("3939.00", "USD", 393900), ("3939.50", "eur", 393950), ("528000.00", "JPY", 528000),
     ("1000.00", "KWD", 1000000), ("1000.25", "BHD", 1000250),
     # Stripe's special cases: ISK is counted in hundredths, MGA in whole ariary.
     ("5000", "ISK", 500000), ("5000.00", "MGA", 5000)],
)
def test_amounts_go_to_stripe_in_its_minor_units_and_come_back_exactly(amount, currency, units):
    assert stripe_api.to_minor_units(D(amount), currency) == units
    assert stripe_api.from_minor_units(units, currency) == D(amount)


@pytest.mark.parametrize(
    ("amount", "currency"),
    [("1234.50", "JPY"), ("3939.505", "USD"), ("1000.001", "KWD"), ("10.5", "ISK"),
     ("10.50", "MGA"), ("1", "XXX")],
)
def test_an_amount_stripe_cannot_take_exactly_is_refused_not_rounded(amount, currency):
    with pytest.raises(stripe_api.AmountError):
        stripe_api.to_minor_units(D(amount), currency)


# --- Checkout Sessions and the paid webhook ------------------------------------------


def test_a_dinar_licence_is_charged_in_fils_and_paid_at_its_price(client, settings, stripe,
                                                                  card_order):
    # given: a licence at KWD 1,000.00 in a shop that sells dinars
    settings.SHOP_CURRENCIES = ["USD", "KWD"]
    order, session_id, _ = card_order(prices={LicenseType.SINGLE_USER: "1000.00"},
                                      currency="KWD")

    # then: Stripe is asked for 1,000,000 fils, not 100,000 (KWD 100.000)
    item = session_request(stripe)
    assert (item["unit_amount"], item["currency"]) == ("1000000", "kwd")
    assert stripe.sessions[session_id]["amount_total"] == 1_000_000
    assert order.checkout_sessions.get().amount == 1_000_000

    # when: the buyer pays and the webhook comes
    response = pay_by_webhook(client, stripe, session_id)

    # then: paid, for the amount Stripe charged, which is the order total
    order.refresh_from_db()
    assert response.status_code == 200
    assert order.status == OrderStatus.PAID
    assert not order.needs_attention, order.attention_reason
    pi = stripe.payment_intents[stripe.sessions[session_id]["payment_intent"]]
    assert pi["amount_received"] == 1_000_000
    assert stripe_api.from_minor_units(pi["amount_received"], "KWD") == order.total == D("1000")


def test_a_whole_yen_licence_is_paid_at_its_price(client, stripe, card_order):
    order, session_id, _ = card_order(prices={LicenseType.SINGLE_USER: "528000"}, currency="JPY")

    response = pay_by_webhook(client, stripe, session_id)

    order.refresh_from_db()
    assert response.status_code == 200
    assert (order.status, order.needs_attention) == (OrderStatus.PAID, False)
    assert stripe.sessions[session_id]["amount_total"] == 528000


def test_an_icelandic_krona_licence_is_sent_in_hundredths_as_stripe_asks(settings, stripe,
                                                                         card_order):
    settings.SHOP_CURRENCIES = ["ISK"]
    card_order(prices={LicenseType.SINGLE_USER: "550000"}, currency="ISK")
    assert session_request(stripe)["unit_amount"] == "55000000"


def test_a_session_that_would_not_charge_the_order_total_is_never_made(stripe, card_order):
    # given: an order whose line no longer adds up to its total (a hand-edited row)
    order, _, _ = card_order()
    order.checkout_sessions.all().delete()
    order.lines.update(unit_price=D("3938.99"))
    before = len(stripe.requests_to("POST", "/v1/checkout/sessions"))

    # when / then
    with pytest.raises(stripe_api.AmountError):
        services.start_card_checkout(order_id=order.pk)
    assert len(stripe.requests_to("POST", "/v1/checkout/sessions")) == before


def test_a_refund_finer_than_the_currency_is_refused_before_stripe(client, stripe, card_order):
    # given: a paid yen order
    order, session_id, _ = card_order(prices={LicenseType.SINGLE_USER: "528000"}, currency="JPY")
    pay_by_webhook(client, stripe, session_id)

    # when / then: ¥100.50 cannot be refunded; nothing is asked of Stripe or recorded
    with pytest.raises(order_services.OrderError, match="JPY has no smaller unit than 1"):
        services.refund_order(order_id=order.pk, amount=D("100.50"))
    assert stripe.requests_to("POST", "/v1/refunds") == []
    assert not Refund.objects.exists()
    order.refresh_from_db()
    assert order.refunded_amount == 0


# --- The Stripe-compatible server counts as Stripe does ------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [(1999, "usd", "19.99 USD"), (528000, "jpy", "528,000 JPY"),
     (1000000, "kwd", "1,000.000 KWD"), (500, "isk", "5.00 ISK"), (5000, "mga", "5,000 MGA"),
     (1000001230, "bhd", "1,000,001.230 BHD")],
)
def test_the_server_shows_amounts_in_iso_minor_units_with_stripes_exceptions(amount, currency,
                                                                             shown):
    assert format_amount(amount, currency) == shown


def sdk(server):
    return stripe_sdk.StripeClient(server.api_key, base_addresses={"api": server.url},
                                   max_network_retries=0)


def new_session(server, currency, unit_amount):
    return sdk(server).v1.checkout.sessions.create(params={
        "mode": "payment",
        "success_url": "http://shop.test/ok",
        "cancel_url": "http://shop.test/cart",
        "line_items": [{"price_data": {"currency": currency, "unit_amount": unit_amount,
                                       "product_data": {"name": "A report"}},
                        "quantity": 1}],
    })


@pytest.mark.parametrize(("currency", "unit_amount"), [("kwd", 1000001), ("isk", 550050)])
def test_the_server_refuses_amounts_stripe_refuses(stripe_server, currency, unit_amount):
    with pytest.raises(stripe_sdk.InvalidRequestError) as refused:
        new_session(stripe_server, currency, unit_amount)
    assert "must be evenly divisible" in str(refused.value)
    assert new_session(stripe_server, currency, unit_amount - unit_amount % 100).amount_total


@pytest.mark.parametrize("currency", ["xxx", "abc"])
def test_the_server_refuses_currencies_without_minor_units(stripe_server, currency):
    with pytest.raises(stripe_sdk.InvalidRequestError, match="Invalid currency"):
        new_session(stripe_server, currency, 1000)


def test_a_payment_that_does_not_match_is_flagged_once_however_often_reconciliation_runs(
    stripe, card_order
):
    # given: Stripe took an amount that is not the order total (as JPY 1,234 for 1,234.50)
    order, session_id, _ = card_order()
    stripe.pay(session_id, send_webhook=False)
    order.__class__.objects.filter(pk=order.pk).update(total=D("3939.50"))
    later = timezone.now() + timedelta(minutes=10)

    # when: beat reconciles three times
    for _run in range(3):
        services.reconcile_pending_card_orders(now=later)

    # then: staff see the reason once, and the order is not fulfilled
    order.refresh_from_db()
    assert (order.status, order.needs_attention) == (OrderStatus.PENDING, True)
    assert order.attention_reason.count("does not match the order total") == 1
    assert "Payment of 3939.00 USD does not match the order total 3939.50 USD" in (
        order.attention_reason)


def test_an_amount_in_a_currency_iso_does_not_know_is_read_not_refused():
    # A webhook must not fail on it; mark_order_paid then flags the currency mismatch.
    assert stripe_api.from_minor_units(1999, "xxx") == D("19.99")
    assert stripe_api.from_minor_units(1999, "") == D("19.99")
