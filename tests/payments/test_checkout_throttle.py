"""Card checkouts past the limit open no Stripe Checkout Session (over HTTP, no mock)."""

import pytest

from reports.models import LicenseType
from storefront.orders.models import Order
from tests.factories import make_report
from tests.payments.conftest import BUYER

pytestmark = pytest.mark.django_db


def test_card_checkouts_past_the_limit_open_no_stripe_session(client, stripe, settings):
    # given a limit of 3 checkouts per IP address and a report in the cart
    settings.CHECKOUT_RATE_LIMIT_PER_IP = 3
    settings.CHECKOUT_RATE_LIMIT_PER_EMAIL = 100
    report = make_report(licence_prices={LicenseType.SINGLE_USER: "3939"})
    client.post("/en/cart/add/", {"license_option": report.license_options.get().pk})

    # when the checkout is posted five times
    statuses = [
        client.post("/en/checkout/", {**BUYER, "email": f"buyer{n}@example.com"}).status_code
        for n in range(5)
    ]

    # then three went to Stripe and two were refused before any order or session
    assert statuses == [302, 302, 302, 429, 429]
    assert len(stripe.requests_to("POST", "/v1/checkout/sessions")) == 3
    assert Order.objects.count() == 3
