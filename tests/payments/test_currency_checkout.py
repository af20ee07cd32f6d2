"""A buyer who chose a currency pays in it: the licence's own price in that currency reaches
Stripe in ISO 4217 minor units, and the order shows it. The real
SDK against the suite's Stripe-compatible server."""

import re
from decimal import Decimal

import pytest

from reports import services as report_services
from reports.models import LicenseOption, LicenseType
from storefront.orders.models import Order, OrderStatus
from tests.factories import make_report
from tests.payments.conftest import BUYER, post_event

pytestmark = pytest.mark.django_db

S = LicenseType.SINGLE_USER
PRICES = {"USD": "3939", "EUR": "3650.50", "JPY": "588000", "CNY": "28300"}


@pytest.fixture
def report_in_four_currencies():
    report = make_report(
        product_code="1994249",
        title_en="Continuing Medical Education Market",
        licence_prices={S: PRICES["USD"]},
        licence_currency="USD",
    )
    for currency, price in PRICES.items():
        if currency != "USD":
            LicenseOption.objects.create(
                report=report, license_type=S, price=Decimal(price), currency=currency
            )
    report_services.refresh_listing(report_id=report.pk)
    return report


@pytest.mark.parametrize(
    ("currency", "language", "unit_amount", "shown"),
    [
        ("EUR", "en", 365050, "EUR 3,650.50"),  # cents
        ("JPY", "en", 588000, "JPY 588,000"),  # no minor unit: whole yen
        ("CNY", "zh-hans", 2830000, "CNY 28,300"),  # fen
    ],
)
def test_a_buyer_pays_in_the_currency_they_chose(client, stripe, report_in_four_currencies,
                                                 currency, language, unit_amount, shown):
    # given: the buyer switches currency, then picks the licence shown to them
    report = report_in_four_currencies
    client.post(f"/{language}/currency/", {"currency": currency, "next": f"/{language}/"})
    page = client.get(f"/{language}/reports/{report.product_code}/{report.slug}/")
    # (what the page offers, read from its licence form: a prepared page has no context)
    offered_ids = set(re.findall(r'name="license_option" value="(\d+)"', page.content.decode()))
    [offered] = LicenseOption.objects.filter(pk__in=offered_ids)
    assert offered.currency == currency

    # when: cart, checkout, and the buyer pays on Stripe
    client.post(f"/{language}/cart/add/", {"license_option": offered.pk})
    client.post(f"/{language}/checkout/", BUYER)
    order = Order.objects.get()
    session_id = order.checkout_sessions.get().session_id
    stripe.pay(session_id, send_webhook=False)
    event = stripe.build_event("checkout.session.completed", stripe.sessions[session_id])
    response = post_event(client, stripe, event)

    # then: Stripe was asked for the price in the currency's minor units, never converted
    [request] = stripe.requests_to("POST", "/v1/checkout/sessions")
    item = request.params["line_items"][0]["price_data"]
    assert (item["unit_amount"], item["currency"]) == (str(unit_amount), currency.lower())
    assert response.status_code == 200
    order.refresh_from_db()
    assert (order.currency, order.total) == (currency, Decimal(PRICES[currency]))
    assert order.status in (OrderStatus.PAID, OrderStatus.DELIVERED)
    assert not order.needs_attention, order.attention_reason
    payment = stripe.payment_intents[stripe.sessions[session_id]["payment_intent"]]
    assert (payment["amount_received"], payment["currency"]) == (unit_amount, currency.lower())

    # and: the order page shows that currency
    assert shown in client.get(f"/{language}/orders/{order.public_token}/").content.decode()
