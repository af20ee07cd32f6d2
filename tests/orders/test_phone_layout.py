"""The markup the phone layouts stand on, checked without a browser (the journeys in
tests/e2e/test_phone_journey.py look at the result in Chromium): filters in a
disclosure, cart and order lines with labelled cells, the checkout summary before the
"Place order" button, the buyer's country in the page's language, and each page's
query count fixed however large the catalogue grows."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from storefront.orders.models import Order, PaymentMethod
from tests.factories import make_category, make_report
from tests.orders.test_checkout import BUYER, add_to_cart, option

pytestmark = pytest.mark.django_db


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def grow_catalogue(count: int):
    for _ in range(count):
        make_report()


@pytest.mark.parametrize("params", ["", "?category=healthcare&q=market"])
def test_catalogue_filters_stay_closed_in_a_disclosure_with_the_choice_in_its_summary(
    client, params
):
    make_report(categories=[make_category(slug="healthcare", name_en="Healthcare")])

    page = client.get(f"/en/reports/{params}").content.decode()

    disclosure = re.search(
        r"<details class=\"filters-disclosure\"[^>]*>(.*?)</details>", page, re.S
    )
    assert disclosure, "the filters are not in a <details>"
    assert "open" not in disclosure.group(0).split(">", 1)[0]
    assert "<summary>Filter by industry or publisher" in disclosure.group(1)
    assert "Industries" in disclosure.group(1) and "Publishers" in disclosure.group(1)
    if params:
        assert '<span class="filters-active">Healthcare</span>' in disclosure.group(1)
    # The results follow the one-line disclosure, not a screenful of filters.
    assert page.index("filters-disclosure") < page.index('class="report-list"')


@pytest.mark.parametrize(
    "language, labels", [("en", ("Licence", "Price")), ("zh-hans", ("许可类型", "价格"))]
)
def test_cart_lines_are_cards_with_labelled_licence_and_price(client, language, labels):
    add_to_cart(client, option(make_report()), language)

    page = client.get(f"/{language}/cart/").content.decode()

    assert 'class="line-table line-cards"' in page
    for label in labels:
        assert f'data-label="{label}"' in page


def test_checkout_shows_the_summary_and_total_before_the_place_order_button(client):
    add_to_cart(client, option(make_report(licence_prices={"single_user": "3939"})), "zh-hans")

    page = client.get("/zh-hans/checkout/").content.decode()

    summary, total, button = (
        page.index('class="panel checkout-summary"'),
        page.index('class="checkout-total"'),
        page.index("提交订单"),
    )
    assert summary < total < button
    assert "USD 3,939" in page[total:button]


@pytest.mark.parametrize(
    "language, country, shown, not_shown",
    [("zh-hans", "GB", "英国", "United Kingdom"), ("en", "CN", "China", "中国")],
)
def test_order_page_names_the_buyers_country_in_the_pages_language(
    client, language, country, shown, not_shown
):
    add_to_cart(client, option(make_report()), language)
    client.post(
        f"/{language}/checkout/",
        {**BUYER, "country": country, "payment_method": PaymentMethod.INVOICE},
    )
    order = Order.objects.get()

    page = client.get(f"/{language}/orders/{order.public_token}/").content.decode()

    licensee = re.search(r'<dl class="summary-list">(.*?)</dl>', page, re.S).group(1)
    assert shown in licensee and not_shown not in licensee
    assert 'class="line-table line-cards"' in page


@pytest.mark.parametrize(
    "url",
    ["/en/reports/", "/zh-hans/reports/?q=market", "/en/cart/", "/zh-hans/checkout/", "ORDER"],
)
def test_phone_pages_keep_their_query_count_as_the_catalogue_grows(client, url):
    # given: a small catalogue, a cart and (for the order page) an order
    grow_catalogue(5)
    add_to_cart(client, option(make_report()), "zh-hans")
    if url == "ORDER":
        client.post("/zh-hans/checkout/", {**BUYER, "payment_method": PaymentMethod.INVOICE})
        url = f"/zh-hans/orders/{Order.objects.get().public_token}/"
        add_to_cart(client, option(make_report()), "zh-hans")
    small = queries(client, url)

    # when the catalogue grows forty-fold
    grow_catalogue(200)
    large = queries(client, url)

    # then
    assert small == large
