"""A company buys a multi-user licence and names its people, in a real Chromium.

Checkout with two named seats (one first typed without its address: the page keeps
everything), payment recorded by sales, then the order's seats page: a third person
named, a seat given to someone else. At 390 px and 1366 px, in English and Chinese,
the pages fit the screen.
"""

import pytest
from django.core import mail
from django.utils.translation import override
from playwright.sync_api import expect

from reports.models import LicenseType
from storefront.orders import services as order_services
from storefront.orders.models import Order, Seat
from tests.delivery.test_delivery import master_pdf
from tests.factories import make_report

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TEXT = {
    "en": {"place": "Place order", "name": "Name this person", "give": "Give the seat to this person",
           "summary": "Give this seat to someone else", "fix": "e-mail address too"},
    "zh-hans": {"place": "提交订单", "name": "指定此人", "give": "将席位转给此人",
                "summary": "将此席位转给他人", "fix": "电子邮件地址"},
}
WIDE = {"width": 1366, "height": 900}
NARROW = {"width": 390, "height": 844}


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_company_names_its_seats_at_checkout_and_later(live_server, page, artifacts, language):
    text = TEXT[language]
    report = make_report(master_pdf=master_pdf(2), licence_prices={LicenseType.MULTI_USER: "4249"})
    option = report.license_options.get()

    # given a multi-user licence in the cart
    with override(language):
        page.goto(f"{live_server.url}{report.get_absolute_url()}")
    page.locator(f'form:has(input[name="license_option"][value="{option.pk}"]) button').click()

    # when the buyer names two people, the second first without an address
    page.goto(f"{live_server.url}/{language}/checkout/")
    page.fill("#id_full_name", "李伟")
    page.fill("#id_email", "li.wei@example.cn")
    page.fill("#id_company", "上海医学教育咨询有限公司")
    page.select_option("#id_country", "CN")
    page.fill("#id_billing_line1", "南京西路 1266 号")
    page.fill("#id_billing_postcode", "200040")
    page.fill("#id_billing_city", "上海")
    page.check('input[name="payment_method"][value="invoice"]')
    page.check("#id_accept_terms")
    page.fill(f"#id_seat_{report.pk}_1_name", "王芳")
    page.fill(f"#id_seat_{report.pk}_1_email", "wang.fang@example.cn")
    page.fill(f"#id_seat_{report.pk}_2_name", "Bo Chen")
    page.get_by_role("button", name=text["place"]).click()

    # then the page says what is missing and keeps everything typed
    expect(page.locator(".field-error").first).to_contain_text(text["fix"])
    expect(page.locator(f"#id_seat_{report.pk}_1_name")).to_have_value("王芳")
    expect(page.locator(f"#id_seat_{report.pk}_2_name")).to_have_value("Bo Chen")
    for viewport, label in ((NARROW, "390"), (WIDE, "1366")):
        page.set_viewport_size(viewport)
        assert fits_the_screen(page)
        artifacts(page, f"seats-{language}-checkout-error-{label}")
    page.fill(f"#id_seat_{report.pk}_2_email", "bo@example.com")
    page.check("#id_accept_terms")
    page.get_by_role("button", name=text["place"]).click()
    page.wait_for_url(f"{live_server.url}/{language}/orders/**")

    # when sales marks the invoice paid (delivery runs eagerly)
    order = Order.objects.get()
    order_services.mark_order_paid(order_id=order.pk, source="test")
    assert sorted(m.to[0] for m in mail.outbox if m.to[0] != "li.wei@example.cn") == [
        "bo@example.com", "wang.fang@example.cn",
    ]  # fmt: skip

    # then the order page leads to the seats page, where a third person is named
    page.reload()
    page.locator(f'a[href="/{language}/orders/{order.public_token}/seats/"]').click()
    page.fill(".seat-new input[name$='-name']", "Carla Díaz")
    page.fill(".seat-new input[name$='-email']", "carla@example.com")
    page.get_by_role("button", name=text["name"]).click()
    expect(page.locator(".seat-list > li")).to_have_count(3)

    # and a seat is given to someone else
    first = page.locator(".seat-list > li").first
    first.locator("summary").click()
    first.locator("input[name$='-name']").fill("Eve Park")
    first.locator("input[name$='-email']").fill("eve@example.com")
    first.get_by_role("button", name=text["give"]).click()
    expect(page.locator(".seat-list > li").first).to_contain_text("Eve Park")
    assert Seat.objects.get(order=order, number=1).holder_email == "eve@example.com"
    page.locator(".seat-list > li").first.locator("summary").click()
    for viewport, label in ((NARROW, "390"), (WIDE, "1366")):
        page.set_viewport_size(viewport)
        assert fits_the_screen(page)
        artifacts(page, f"seats-{language}-page-{label}")
    assert page.js_errors == []
