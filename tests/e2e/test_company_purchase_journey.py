"""A company buys a multi-user licence in Chinese, in a real Chromium, on a phone.

The whole company purchase of issue 11 in one journey: the licence in the cart, the
billing address and two named colleagues at checkout, the bank transfer recorded by
sales, each colleague's own stamped copy, the invoice downloaded from the order page,
then the buyer signs in to the library with the link mailed to them and finds the
report, its licence and the invoice there. At 390 px, nothing scrolls sideways.
"""

import pytest
from django.core import mail
from django.utils.translation import override
from playwright.sync_api import expect

from reports.models import LicenseType
from storefront.delivery.models import StampedCopy
from storefront.orders import services as order_services
from storefront.orders.models import Order
from tests.delivery.test_delivery import master_pdf
from tests.factories import make_report
from tests.invoicing.conftest import pdf_text
from tests.library.buyers import link_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BUYER = "li.wei@example.cn"
COLLEAGUES = {"wang.fang@example.cn": "王芳", "bo.chen@example.cn": "Bo Chen"}
PHONE = {"width": 390, "height": 844}


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_company_buys_a_multi_user_licence_in_chinese_and_finds_it_in_its_library(
    live_server, page, artifacts, settings
):
    settings.SITE_URL = live_server.url  # the links in the mail lead to this server
    report = make_report(master_pdf=master_pdf(2), licence_prices={LicenseType.MULTI_USER: "4249"})
    option = report.license_options.get()
    page.set_viewport_size(PHONE)

    # given: the multi-user licence in the cart, from the Chinese product page
    with override("zh-hans"):
        page.goto(f"{live_server.url}{report.get_absolute_url()}")
    page.locator(f'form:has(input[name="license_option"][value="{option.pk}"]) button').click()

    # when: the company checks out with its billing address and names two colleagues
    page.goto(f"{live_server.url}/zh-hans/checkout/")
    page.fill("#id_full_name", "李伟")
    page.fill("#id_email", BUYER)
    page.fill("#id_company", "上海医学教育咨询有限公司")
    page.select_option("#id_country", "CN")
    page.fill("#id_billing_line1", "南京西路 1266 号")
    page.fill("#id_billing_postcode", "200040")
    page.fill("#id_billing_city", "上海")
    page.fill("#id_po_number", "PO-2026-118")
    for number, (email, name) in enumerate(COLLEAGUES.items(), start=1):
        page.fill(f"#id_seat_{report.pk}_{number}_name", name)
        page.fill(f"#id_seat_{report.pk}_{number}_email", email)
    page.check('input[name="payment_method"][value="invoice"]')
    page.check("#id_accept_terms")
    assert fits_the_screen(page)
    artifacts(page, "company-zh-hans-390-1-checkout")
    page.get_by_role("button", name="提交订单").click()
    page.wait_for_url(f"{live_server.url}/zh-hans/orders/**")
    order = Order.objects.get()

    # and: sales records the bank transfer (delivery runs in-process)
    order_services.mark_order_paid(order_id=order.pk, source="sales: bank transfer")

    # then: each colleague is invited to their own copy, stamped with their name
    invited = {message.to[0] for message in mail.outbox if message.to[0] in COLLEAGUES}
    assert invited == set(COLLEAGUES)
    holders = set(
        StampedCopy.objects.filter(seat__order=order).values_list("seat__holder_name", flat=True)
    )
    assert holders == set(COLLEAGUES.values())

    # and: the order page offers the invoice, which carries the buyer and the PO
    page.reload()
    invoice_link = page.get_by_role("link", name="发票（PDF）", exact=True)
    expect(invoice_link).to_be_visible()
    assert fits_the_screen(page)
    artifacts(page, "company-zh-hans-390-2-order")
    invoice = page.request.get(live_server.url + invoice_link.get_attribute("href"))
    assert invoice.ok and invoice.headers["content-type"] == "application/pdf"
    text = " ".join(pdf_text(invoice.body()).split())
    for expected in ("上海医学教育咨询有限公司", "PO-2026-118", order.number, "INV-"):
        assert expected in text

    # when: the buyer asks for the library's sign-in link and opens it from the mail
    mail.outbox.clear()
    page.goto(f"{live_server.url}/zh-hans/account/")
    page.fill("#id_email", BUYER)
    page.get_by_role("button", name="通过邮件发送登录链接").click()
    [sign_in_mail] = mail.outbox
    page.goto(f"{live_server.url}{link_in(sign_in_mail.body)}")
    page.get_by_role("button", name="登录").click()

    # then: the library shows the report under its order, with the invoice
    expect(page).to_have_url(f"{live_server.url}/zh-hans/account/")
    library_order = page.locator(".library-order")
    expect(library_order).to_have_count(1)
    expect(library_order).to_contain_text(order.number)
    expect(library_order.get_by_role("link", name="发票（PDF）", exact=True)).to_be_visible()
    expect(library_order.get_by_role("link", name="指定或更改席位持有人")).to_be_visible()
    assert fits_the_screen(page)
    artifacts(page, "company-zh-hans-390-3-library")
    assert page.js_errors == []
