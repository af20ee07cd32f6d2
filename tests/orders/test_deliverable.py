"""Never sell what cannot be delivered: a report is bought only with its master PDF,
or "delivered on order" with a promised time, and every page says which."""

import json
import re

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports.models import DeliveryMode, LicenseType, Report
from storefront.orders.models import Order
from tests.factories import make_report

pytestmark = pytest.mark.django_db

BUYER = {
    "email": "ann.lee@example.com",
    "full_name": "Ann Lee",
    "company": "Acme Medical Ltd",
    "country": "GB",
    "billing_line1": "1 King's Road",
    "billing_postcode": "SW3 4RP",
    "billing_city": "London",
    "vat_id": "",
    "po_number": "",
    "accept_terms": "on",
    "payment_method": "invoice",
}
IMMEDIATE = {"en": "Immediate download after payment", "zh-hans": "付款后立即下载"}
ON_ORDER_2 = {
    "en": "Delivered on order: within 2 business days of payment",
    "zh-hans": "按订单交付：付款后 2 个工作日内",
}
NOT_ORDERABLE = {
    "en": "This report cannot be ordered online yet.",
    "zh-hans": "本报告暂不能在线订购。",
}


def without_master(**kwargs):
    """A published report as editors could publish one before: no master, no promise."""
    return make_report(master_pdf=None, **kwargs)


def on_order(**kwargs):
    return make_report(
        master_pdf=None, delivery_mode=DeliveryMode.ON_ORDER, delivery_days=2, **kwargs
    )


def single_user(report):
    return report.license_options.get(license_type=LicenseType.SINGLE_USER)


def add_to_cart(client, report, language="en"):
    return client.post(f"/{language}/cart/add/", {"license_option": single_user(report).pk})


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def detail(client, report, language="en"):
    return client.get(f"/{language}/reports/{report.product_code}/{report.slug}/").content.decode()


# --- The report page -----------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_report_without_a_file_promises_no_download_and_offers_no_purchase(client, language):
    # given: published without a master and without the "delivered on order" mark
    report = without_master()

    # when
    page = detail(client, report, language)

    # then
    assert IMMEDIATE[language] not in page
    assert "/cart/add/" not in page
    assert NOT_ORDERABLE[language] in page


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_report_page_says_how_the_report_is_delivered(client, language):
    with_master, promised = make_report(), on_order()

    assert IMMEDIATE[language] in detail(client, with_master, language)
    page = detail(client, promised, language)
    assert ON_ORDER_2[language] in page
    assert IMMEDIATE[language] not in page
    assert "/cart/add/" in page


@pytest.mark.parametrize(
    ("make", "availability"),
    [
        (make_report, "https://schema.org/InStock"),
        (on_order, "https://schema.org/MadeToOrder"),
        (without_master, "https://schema.org/OutOfStock"),
    ],
    ids=["master", "on order", "neither"],
)
def test_search_engines_are_told_whether_the_report_can_be_delivered(client, make, availability):
    page = detail(client, make())

    [data] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert {offer["availability"] for offer in json.loads(data)["offers"]} == {availability}


def test_the_report_page_costs_the_same_queries_whatever_its_delivery(client, settings):
    # given: the page cache and the parts kept per catalogue version off, so every
    # request builds the whole page
    settings.CATALOGUE_CACHE_SECONDS = 0
    settings.CATALOGUE_MEMO_ENTRIES = 0
    reports = [make_report(), on_order(), without_master()]

    # when
    counts = []
    for report in reports:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(report.get_absolute_url()).status_code == 200
        counts.append(len(queries))

    # then
    assert counts[0] == counts[1] == counts[2]


# --- Cart and checkout ------------------------------------------------------------------------


def test_adding_a_report_without_a_file_to_the_cart_is_refused(client):
    report = without_master(product_code="BARE-1")

    response = add_to_cart(client, report)

    assert response.status_code == 302
    assert response["Location"] == report.get_absolute_url()
    assert any(text.startswith("BARE-1 cannot be ordered online yet") for text in messages_of(response))
    assert client.get("/en/cart/").context["lines"] == []


def test_checkout_refuses_a_report_whose_master_went_away_while_in_the_cart(client):
    # given: bought into the cart while it had a master, then the master was removed
    report = make_report()
    add_to_cart(client, report)
    Report.objects.filter(pk=report.pk).update(master_pdf="")

    # when
    response = client.post("/en/checkout/", BUYER)

    # then
    assert response.status_code == 302
    assert response["Location"] == "/en/cart/"
    assert not Order.objects.exists()
    assert any("can no longer be ordered" in text for text in messages_of(response))


def test_a_report_delivered_on_order_can_be_bought_and_every_step_says_so(client):
    report = on_order(product_code="WAIT-1")

    add_to_cart(client, report)
    cart = client.get("/en/cart/").content.decode()
    checkout = client.get("/en/checkout/").content.decode()
    response = client.post("/en/checkout/", BUYER)

    assert ON_ORDER_2["en"] in cart and IMMEDIATE["en"] not in cart
    assert "Reports delivered on order are e-mailed to you within the time shown" in cart
    assert ON_ORDER_2["en"] in checkout and IMMEDIATE["en"] not in checkout
    order = Order.objects.get()
    assert response["Location"] == order.get_absolute_url()
    page = client.get(order.get_absolute_url()).content.decode()
    assert ON_ORDER_2["en"] in page  # awaiting the bank transfer: still the promise


def test_the_cart_and_checkout_say_so_in_chinese(client):
    add_to_cart(client, on_order(), "zh-hans")
    add_to_cart(client, make_report(), "zh-hans")

    cart = client.get("/zh-hans/cart/").content.decode()
    checkout = client.get("/zh-hans/checkout/").content.decode()

    for page in (cart, checkout):
        assert ON_ORDER_2["zh-hans"] in page and IMMEDIATE["zh-hans"] in page
