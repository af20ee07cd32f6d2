"""The prices a buyer reads say whether tax is in them, as the invoice will."""

from decimal import Decimal

import pytest

from tests.factories import make_report

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("rate", "english", "chinese"),
    [
        (Decimal("20"), "Prices include VAT at 20%.", "价格已含 20% 的VAT。"),
        (Decimal("0"), "Prices exclude applicable taxes.", "价格不含适用税费。"),
    ],
)
def test_the_licence_box_and_the_cart_say_what_the_invoice_will(
    client, settings, rate, english, chinese
):
    # given: a tax rate the invoices will work out of the price (or none)
    settings.INVOICE_TAX_RATE = rate
    report = make_report()

    # when / then: the product page in both languages and the cart say the same
    assert english in client.get(report.get_absolute_url()).content.decode()
    zh_url = report.get_absolute_url().replace("/en/", "/zh-hans/", 1)
    assert chinese in client.get(zh_url).content.decode()
    client.post("/en/cart/add/", {"license_option": report.license_options.first().pk})
    assert english in client.get("/en/cart/").content.decode()
