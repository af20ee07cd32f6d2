"""Checkout cannot be used to send mail or open Stripe sessions in bulk: it is throttled
per IP and per e-mail address with the contact form's limiter (storefront.throttle)."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from storefront.orders.models import Order, PaymentMethod
from tests.factories import make_report
from tests.orders.test_checkout import BUYER, add_to_cart, cart_codes, option

pytestmark = pytest.mark.django_db

INVOICE = {**BUYER, "payment_method": PaymentMethod.INVOICE}


@pytest.fixture
def report():
    return make_report(product_code="1994249")


def invoice_checkout(client, report, language="en", **buyer):
    add_to_cart(client, option(report), language)
    return client.post(f"/{language}/checkout/", {**INVOICE, **buyer})


def test_invoice_checkouts_past_the_email_limit_mail_nothing_more(
    client, report, settings, django_capture_on_commit_callbacks
):
    # given a limit of 3 orders per e-mail address
    settings.CHECKOUT_RATE_LIMIT_PER_EMAIL = 3
    settings.CHECKOUT_RATE_LIMIT_PER_IP = 100
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            assert invoice_checkout(client, report, email="victim@example.com").status_code == 302

    # when a fourth pro-forma is requested for the same address (with a URL as the name)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = invoice_checkout(client, report, email="Victim@Example.com")

    # then a 429, no order, no mail, and the cart still holds the report
    assert response.status_code == 429
    assert "several orders in a short time" in response.content.decode()
    assert Order.objects.count() == 3 and len(mail.outbox) == 3 and callbacks == []
    assert cart_codes(client) == [("1994249", option(report).license_type)]
    # another buyer is still welcome
    assert invoice_checkout(client, report, email="someone.else@example.com").status_code == 302


def test_plus_addresses_of_one_mailbox_share_its_limit(client, report, settings):
    settings.CHECKOUT_RATE_LIMIT_PER_EMAIL = 2
    for tag in ("a", "b"):
        assert invoice_checkout(client, report, email=f"victim+{tag}@example.com").status_code == 302

    assert invoice_checkout(client, report, email="victim+c@example.com").status_code == 429
    assert Order.objects.count() == 2


def test_checkouts_past_the_ip_limit_are_refused_in_the_buyers_language(client, report, settings):
    settings.CHECKOUT_RATE_LIMIT_PER_IP = 2
    for number in range(2):
        assert invoice_checkout(client, report, email=f"buyer{number}@example.com").status_code == 302

    response = invoice_checkout(client, report, "zh-hans", email="buyer9@example.com")

    assert response.status_code == 429
    assert '<html lang="zh-hans">' in response.content.decode()
    assert "短时间内" in response.content.decode()
    assert Order.objects.count() == 2
    # another address (IP) is counted on its own
    other = Client(REMOTE_ADDR="203.0.113.7")
    assert invoice_checkout(other, report, email="x@example.com").status_code == 302


def test_the_checkout_limit_ends_with_its_window(client, report, settings):
    settings.CHECKOUT_RATE_LIMIT_PER_EMAIL = 1
    assert invoice_checkout(client, report).status_code == 302
    assert invoice_checkout(client, report).status_code == 429

    later = timezone.now() + timedelta(seconds=settings.CHECKOUT_RATE_LIMIT_WINDOW_SECONDS + 1)
    with time_machine.travel(later):
        assert invoice_checkout(client, report).status_code == 302


def test_invalid_checkouts_do_not_use_up_the_limit(client, report, settings):
    settings.CHECKOUT_RATE_LIMIT_PER_EMAIL = 1
    for _ in range(3):
        assert invoice_checkout(client, report, accept_terms="").status_code == 400

    assert invoice_checkout(client, report).status_code == 302


def test_cache_down_the_checkout_limit_fails_open_and_the_order_is_taken(client, report, settings):
    # Redis is cache and broker: a buyer's order must not be lost because it is down.
    settings.CHECKOUT_RATE_LIMIT_PER_EMAIL = 0
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }

    assert invoice_checkout(client, report).status_code == 302
    assert Order.objects.count() == 1
