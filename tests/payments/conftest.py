import pytest

from reports.models import LicenseType
from storefront.orders.models import Order
from tests.factories import make_report

BUYER = {
    "email": "ann.lee@example.com",
    "full_name": "Ann Lee",
    "company": "Acme Medical Ltd",
    "country": "GB",
    "billing_line1": "1 King's Road",
    "billing_postcode": "SW3 4RP",
    "billing_city": "London",
    "accept_terms": "on",
    "payment_method": "card",
}


@pytest.fixture
def stripe(stripe_server, settings):
    """The shop pointed at the suite's Stripe-compatible server."""
    settings.STRIPE_SECRET_KEY = stripe_server.api_key
    settings.STRIPE_WEBHOOK_SECRET = stripe_server.webhook_secret
    settings.STRIPE_API_BASE = stripe_server.url
    settings.SITE_URL = "http://testserver"
    return stripe_server


@pytest.fixture
def card_order(client, stripe):
    """A pending card order for product 1994249 (USD 3,939) with its Checkout Session."""

    def place(*, language="en", prices=None, currency="USD", product_code="1994249", **buyer):
        report = make_report(
            product_code=product_code,
            title_en="Continuing Medical Education Market",
            title_zh="继续医学教育(CME)市场",
            licence_prices=prices or {LicenseType.SINGLE_USER: "3939"},
            licence_currency=currency,
        )
        option = report.license_options.order_by("price").first()
        client.post(f"/{language}/cart/add/", {"license_option": option.pk})
        response = client.post(f"/{language}/checkout/", {**BUYER, **buyer})
        order = Order.objects.latest("created_at")
        session_id = order.checkout_sessions.get().session_id
        return order, session_id, response

    return place


def post_event(client, server, event, *, signature=None, payload=None):
    """Deliver an event to the shop's webhook, signed as Stripe signs it."""
    payload = payload if payload is not None else server.event_payload(event)
    signature = signature if signature is not None else server.sign(payload)
    return client.post(
        "/stripe/webhook/",
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature,
    )
