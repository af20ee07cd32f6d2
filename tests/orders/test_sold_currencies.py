"""place_order, the last step before money moves, takes only what the shop can charge exactly."""

from decimal import Decimal

import pytest

from reports.models import LicenseType
from storefront.orders import services
from storefront.orders.cart import CartLine
from storefront.orders.models import Order, PaymentMethod
from tests.factories import make_report

pytestmark = pytest.mark.django_db

BUYER = services.Buyer(email="a@example.com", full_name="Ann Lee", company="Acme",
                       country="United Kingdom")


def place(price, currency, payment_method=PaymentMethod.CARD):
    # The factory writes licences without the model's checks, as an old row or a raw
    # SQL edit would be.
    report = make_report(licence_prices={LicenseType.SINGLE_USER: price},
                         licence_currency=currency)
    return services.place_order(
        lines=[CartLine(report.license_options.get())], buyer=BUYER, language="en",
        payment_method=payment_method,
    )


@pytest.mark.parametrize("payment_method", [PaymentMethod.CARD, PaymentMethod.INVOICE])
def test_a_licence_in_a_currency_the_shop_does_not_sell_is_not_ordered(payment_method):
    with pytest.raises(services.OrderError) as refused:
        place("1000.00", "KWD", payment_method)

    assert str(refused.value) == (
        "KWD licences cannot be bought: the shop sells in USD, EUR, GBP, CNY, JPY."
    )
    assert not Order.objects.exists()


def test_a_currency_dropped_from_the_shop_is_no_longer_ordered(settings):
    report = make_report(licence_prices=["3939"], licence_currency="GBP")
    settings.SHOP_CURRENCIES = ["USD", "EUR"]

    with pytest.raises(services.OrderError):
        services.place_order(lines=[CartLine(report.license_options.first())], buyer=BUYER,
                             language="en", payment_method=PaymentMethod.CARD)
    assert not Order.objects.exists()


def test_a_yen_price_with_sen_is_not_ordered():
    with pytest.raises(services.OrderError) as refused:
        place("1234.50", "JPY")

    assert str(refused.value) == "The price 1234.50 JPY has more decimals than JPY has."
    assert not Order.objects.exists()


def test_sold_currencies_at_their_precision_are_ordered(settings):
    settings.SHOP_CURRENCIES = ["JPY", "KWD"]
    assert place("1234.00", "JPY").total == Decimal("1234.00")
    assert place("1000.25", "KWD").total == Decimal("1000.25")


@pytest.mark.parametrize(("price", "currency"), [("1000.00", "KWD"), ("1234.50", "JPY")])
def test_a_licence_the_shop_cannot_charge_leaves_the_cart_and_checkout_orders_nothing(
    client, price, currency
):
    # given: an old licence row the catalogue would refuse today, put in the cart
    report = make_report(licence_prices={LicenseType.SINGLE_USER: price},
                         licence_currency=currency)
    client.post("/en/cart/add/", {"license_option": report.license_options.get().pk})

    # when
    response = client.post("/en/checkout/", {
        "email": "ann.lee@example.com", "full_name": "Ann Lee", "company": "Acme",
        "country": "GB", "billing_line1": "1 King's Road", "billing_postcode": "SW3 4RP",
        "billing_city": "London", "accept_terms": "on", "payment_method": "invoice",
    })

    # then: no order, and the buyer is back at an empty cart
    assert response.status_code == 302
    assert response["Location"] == "/en/cart/"
    assert not Order.objects.exists()
    assert client.session.get("cart") == {}
