"""The cart's licence comparison: who may read, how many people, sharing and price."""

import pytest

from tests.factories import make_report

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "language, expected",
    [
        ("en", ["Compare licences", "Up to 5", "Everyone at one company location", "in your cart"]),
        ("zh-hans", ["对比许可", "最多 5 人", "公司一个办公地点的所有人员", "已在购物车中"]),
    ],
)
def test_the_cart_compares_the_licences_of_its_report(client, language, expected):
    # given a report with three licences, its multi-user licence in the cart
    report = make_report()
    options = {option.license_type: option for option in report.license_options.all()}
    client.post(f"/{language}/cart/add/", {"license_option": options["multi_user"].pk})

    # when the buyer opens the cart
    html = client.get(f"/{language}/cart/").content.decode()

    # then every licence of the report is compared, the one in the cart marked
    for text in expected:
        assert text in html
    assert html.count('class="is-current"') == 1
    for option in options.values():
        assert option.display_price() in html
