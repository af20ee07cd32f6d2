"""A buyer in Taipei sees prices in New Taiwan dollars, switches to US dollars in the
header, and buys in US dollars, in a real Chromium: the cart, the Stripe Checkout
Session and the order all carry the licence's own USD price (never a conversion), and
the stamped PDF arrives. A report priced in USD only shows an indicative TWD amount.
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
    settings.SHOP_CURRENCIES = ["USD", "EUR", "GBP", "CNY", "JPY", "TWD"]
    settings.SHOP_EXCHANGE_RATES = {"USD/TWD": ("31.90", "2026-12-02")}
    call_command("seed_demo", no_pdfs=True, verbosity=0)
    report = Report.objects.get(product_code=PRODUCT_CODE)
    report.master_pdf.save(f"{PRODUCT_CODE}-e2e.pdf", ContentFile(master_pdf(3)))
    settings.STRIPE_SECRET_KEY = stripe_server.api_key
    settings.STRIPE_WEBHOOK_SECRET = stripe_server.webhook_secret
    settings.STRIPE_API_BASE = stripe_server.url
    settings.SITE_URL = live_server.url
    stripe_server.webhook_url = f"{live_server.url}/stripe/webhook/"
    return live_server.url


def test_switch_to_us_dollars_and_buy_in_traditional_chinese(shop, stripe_server, page,
                                                             artifacts):
    # The list in traditional Chinese starts in TWD: the flagship's own TWD price, and
    # an indicative amount, with its rate and date, for reports priced in USD only.
    page.goto(f"{shop}/zh-hant/reports/")
    body = page.locator("body")
    expect(page.locator("#currency-select")).to_have_value("TWD")
    expect(body).to_contain_text("TWD 126,000")
    expect(page.locator(".indicative").first).to_contain_text("31.90")
    expect(page.locator(".indicative").first).to_contain_text("2026年12月2日")
    artifacts(page, "currency-1-list-twd")

    # The flagship's licences in TWD.
    page.goto(f"{shop}/zh-hant/reports/{PRODUCT_CODE}/x/")
    multi_user = page.locator(".licence-option", has_text="多使用者許可")
    expect(multi_user).to_contain_text("TWD 135,500")
    artifacts(page, "currency-2-detail-twd")

    # Switch to US dollars in the header: back on the same page, in USD.
    page.select_option("#currency-select", "USD")
    page.locator(".currency-switcher button").click()
    expect(page).to_have_url(f"{shop}/zh-hant/reports/{PRODUCT_CODE}/"
                             f"{Report.objects.get(product_code=PRODUCT_CODE).slug}/")
    expect(page.locator(".messages")).to_contain_text("USD")
    expect(multi_user).to_contain_text("USD 4,249")
    artifacts(page, "currency-3-detail-usd")

    # Buy the multi-user licence in USD.
    multi_user.get_by_role("button").click()
    expect(page).to_have_url(f"{shop}/zh-hant/cart/")
    expect(page.locator("body")).to_contain_text("USD 4,249")
    page.locator('a[href="/zh-hant/checkout/"]').click()
    page.fill("#id_full_name", "林雅婷")
    page.fill("#id_email", "buyer@example.com.tw")
    page.fill("#id_company", "臺北市場研究股份有限公司")
    page.fill("#id_billing_line1", "忠孝東路四段 100 號")
    page.fill("#id_billing_postcode", "106")
    page.fill("#id_billing_city", "臺北市")
    page.select_option("#id_country", "TW")
    page.check("#id_payment_method_0")
    page.check("#id_accept_terms")
    artifacts(page, "currency-4-checkout")
    page.get_by_role("button", name="提交訂單").click()

    # Stripe is asked for the USD price in cents.
    page.wait_for_url(f"{stripe_server.url}/pay/**")
    [session] = stripe_server.sessions.values()
    assert (session["currency"], session["amount_total"]) == ("usd", 424900)
    assert session["locale"] == "zh-TW"
    # The return to the shop confirms the payment and stamps the copy in the request
    # (tasks run eagerly here): allow it more than a click's time on a busy machine.
    page.get_by_role("button", name="Pay", exact=True).click(no_wait_after=True)

    # The order page in USD, and the stamped copy.
    page.wait_for_url(f"{shop}/zh-hant/orders/**", timeout=90_000)
    expect(page.locator(".status-steps li").last).to_have_class("current")
    expect(page.locator("body")).to_contain_text("USD 4,249")
    artifacts(page, "currency-5-ready")
    with page.expect_download() as download_info:
        page.locator(".download-list a.button").click()
    stamped = pdf_text(Path(download_info.value.path()).read_bytes())
    assert "林雅婷" in "".join(stamped[-1].split())

    order = Order.objects.get()
    assert (order.status, order.currency, order.language) == (
        OrderStatus.DELIVERED, "USD", "zh-hant"
    )
