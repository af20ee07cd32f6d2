"""A buyer in Taipei reads, finds and buys in traditional Chinese, in a real Chromium.

The flagship 1994249 ships in traditional Chinese; another demo report has only its
simplified text, which a zh-hant page shows with a notice. Search finds the
traditional term in the simplified text too. The purchase runs through the Stripe-
compatible server's hosted page (Checkout in zh-TW) to a stamped PDF.
"""

from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from playwright.sync_api import expect

from reports.models import Report
from storefront.orders.models import Order, OrderStatus
from tests.delivery.test_delivery import master_pdf, pdf_text

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PRODUCT_CODE = "1994249"


@pytest.fixture
def shop(live_server, stripe_server, settings):
    call_command("seed_demo", no_pdfs=True, verbosity=0)
    report = Report.objects.get(product_code=PRODUCT_CODE)
    report.master_pdf.save(f"{PRODUCT_CODE}-e2e.pdf", ContentFile(master_pdf(3)))
    settings.STRIPE_SECRET_KEY = stripe_server.api_key
    settings.STRIPE_WEBHOOK_SECRET = stripe_server.webhook_secret
    settings.STRIPE_API_BASE = stripe_server.url
    settings.STRIPE_PAYMENT_METHODS = ["card", "alipay", "wechat_pay"]
    settings.SITE_URL = live_server.url
    stripe_server.webhook_url = f"{live_server.url}/stripe/webhook/"
    return live_server.url


def test_read_search_and_buy_in_traditional_chinese(shop, stripe_server, page, artifacts):
    # The catalogue in traditional Chinese, reached from the language switcher.
    page.goto(f"{shop}/en/reports/")
    page.get_by_role("link", name="繁體中文").first.click()
    expect(page).to_have_url(f"{shop}/zh-hant/reports/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hant")
    artifacts(page, "zh-hant-1-list")

    # 醫學 (traditional) finds the flagship, whatever script its text is in.
    page.goto(f"{shop}/zh-hant/reports/?q=醫學")
    expect(page.locator("body")).to_contain_text("繼續醫學教育")
    artifacts(page, "zh-hant-2-search")

    # The flagship reads as Taiwan writes it: 億, 專案, and the key figures.
    page.goto(f"{shop}/zh-hant/reports/{PRODUCT_CODE}/x/")
    body = page.locator("body")
    expect(body).to_contain_text("繼續醫學教育")
    expect(body).to_contain_text("93.1億美元")
    expect(page.locator(".fallback-notice")).to_have_count(0)
    artifacts(page, "zh-hant-3-detail")

    # Buy the multi-user licence.
    page.locator(".licence-option", has_text="多使用者許可").get_by_role("button").click()
    expect(page).to_have_url(f"{shop}/zh-hant/cart/")
    page.locator('a[href="/zh-hant/checkout/"]').click()
    page.fill("#id_full_name", "陳怡君")
    page.fill("#id_email", "buyer@example.com.tw")
    page.fill("#id_company", "臺北醫學教育顧問股份有限公司")
    page.fill("#id_billing_line1", "信義路五段 7 號")
    page.fill("#id_billing_postcode", "110")
    page.fill("#id_billing_city", "臺北市")
    page.select_option("#id_country", "TW")
    page.check("#id_payment_method_0")
    page.check("#id_accept_terms")
    artifacts(page, "zh-hant-4-checkout")
    page.get_by_role("button", name="提交訂單").click()

    # Stripe Checkout in Taiwan's Chinese; pay with the card.
    page.wait_for_url(f"{stripe_server.url}/pay/**")
    [session] = stripe_server.sessions.values()
    assert session["locale"] == "zh-TW"
    assert session["payment_method_types"] == ["card", "alipay", "wechat_pay"]
    artifacts(page, "zh-hant-5-stripe")
    page.get_by_role("button", name="Pay", exact=True).click()

    # The order page and the stamped copy.
    page.wait_for_url(f"{shop}/zh-hant/orders/**")
    expect(page.locator(".status-steps li").last).to_have_class("current")
    artifacts(page, "zh-hant-6-ready")
    with page.expect_download() as download_info:
        page.locator(".download-list a.button").click()
    stamped = pdf_text(Path(download_info.value.path()).read_bytes())
    assert "陳怡君" in "".join(stamped[-1].split())
    assert "授權副本" in "".join(stamped[0].split())  # the cover page, in traditional Chinese

    order = Order.objects.get()
    assert (order.status, order.language) == (OrderStatus.DELIVERED, "zh-hant")


def test_a_report_without_traditional_text_shows_the_simplified_one_and_says_so(
    shop, page, artifacts
):
    other = Report.objects.exclude(product_code=PRODUCT_CODE).order_by("id").first()
    page.goto(f"{shop}/zh-hant{other.get_absolute_url()[len('/en'):]}")
    notice = page.locator(".fallback-notice")
    expect(notice).to_contain_text("繁體中文")
    expect(notice).to_contain_text("簡體中文")
    artifacts(page, "zh-hant-7-fallback")
