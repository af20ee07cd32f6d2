"""A cart whose licences end up in two currencies (an editor re-priced one while it sat
in the cart): the buyer is told which reports to remove and can fix it; nothing is saved."""

import pytest
from django.core import mail

from reports.models import LicenseOption, LicenseType
from storefront.orders.models import Order, PaymentMethod
from tests.factories import make_report
from tests.orders.test_checkout import BUYER, add_to_cart, cart_codes, option

pytestmark = pytest.mark.django_db


@pytest.fixture
def mixed_cart(client):
    """Two USD reports in the cart, then one of them re-priced in EUR by an editor."""
    dollars = make_report(product_code="1994249", licence_prices={LicenseType.SINGLE_USER: "3939"})
    other = make_report(product_code="2000001", licence_prices={LicenseType.SINGLE_USER: "1000"})
    add_to_cart(client, option(dollars))
    add_to_cart(client, option(other))
    LicenseOption.objects.filter(report=other).update(currency="EUR")
    return dollars, other


def test_placing_a_mixed_currency_order_is_refused_with_a_way_to_fix_the_cart(client, mixed_cart):
    # given a cart in USD and EUR
    # when the buyer places the order
    response = client.post("/en/checkout/", {**BUYER, "payment_method": PaymentMethod.INVOICE})

    # then a clear message names the line to remove, what was typed is kept, nothing is saved
    page = response.content.decode()
    assert response.status_code == 409
    assert "different currencies" in page
    assert "2000001 (EUR)" in page
    assert 'href="/en/cart/"' in page
    assert "上海医学教育咨询有限公司" in page
    assert Order.objects.count() == 0
    assert mail.outbox == []


def test_opening_checkout_with_a_mixed_cart_sends_the_buyer_back_to_the_cart(client, mixed_cart):
    response = client.get("/en/checkout/", follow=True)

    assert response.redirect_chain == [("/en/cart/", 302)]
    assert "2000001 (EUR)" in response.content.decode()


def test_cart_page_names_the_other_currency_lines_and_removes_them(client, mixed_cart):
    # given a mixed cart, the cart page names the EUR line and offers no checkout
    page = client.get("/en/cart/").content.decode()
    assert "more than one currency" in page
    assert "Remove this report and keep USD" in page
    assert "/en/checkout/" not in page

    # when the buyer takes the offer
    client.post("/en/cart/remove-other-currencies/")

    # then the USD line is left and checkout works
    assert cart_codes(client) == [("1994249", LicenseType.SINGLE_USER)]
    response = client.post("/en/checkout/", {**BUYER, "payment_method": PaymentMethod.INVOICE})
    assert response.status_code == 302
    assert Order.objects.get().currency == "USD"


def test_mixed_cart_message_is_in_the_buyers_language(client, mixed_cart):
    response = client.post("/zh-hans/checkout/", {**BUYER, "payment_method": PaymentMethod.INVOICE})

    assert response.status_code == 409
    assert "2000001（EUR）" in response.content.decode()  # full-width brackets in Chinese
    assert "不同币种" in response.content.decode()
