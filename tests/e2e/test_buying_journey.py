"""A buyer pays for a licence in a real Chromium, in English and in Chinese.

Report page → choose a licence → cart → checkout form → the Stripe-compatible
test server's hosted checkout page → pay → back on the shop's success page →
the order is ready → the download button returns a PDF that names the buyer. The test server sends the signed webhook to the live shop,
exactly as Stripe would.
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
PAGE_TEXT = {
    "en": {"licence": "Multi-user (up to 5)", "place": "Place order"},
    "zh-hans": {"licence": "多用户许可", "place": "提交订单"},
}


@pytest.fixture
def shop_with_stripe(live_server, stripe_server, settings):
    call_command("seed_demo", no_pdfs=True, verbosity=0)
    # A short master instead of the demo's 196 pages: the journey reads its stamp only.
    report = Report.objects.get(product_code=PRODUCT_CODE)
    report.master_pdf.save(f"{PRODUCT_CODE}-e2e.pdf", ContentFile(master_pdf(3)))
    settings.STRIPE_SECRET_KEY = stripe_server.api_key
    settings.STRIPE_WEBHOOK_SECRET = stripe_server.webhook_secret
    settings.STRIPE_API_BASE = stripe_server.url
    settings.SITE_URL = live_server.url
    stripe_server.webhook_url = f"{live_server.url}/stripe/webhook/"
    return live_server.url


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_buy_a_licence_by_card(shop_with_stripe, stripe_server, page, artifacts, language):
    text = PAGE_TEXT[language]

    # The report page: choose the multi-user licence.
    page.goto(f"{shop_with_stripe}/{language}/reports/{PRODUCT_CODE}/x/")  # old slug redirects
    option = page.locator(".licence-option", has_text=text["licence"])
    option.get_by_role("button").click()

    # The cart holds it; go to checkout.
    expect(page).to_have_url(f"{shop_with_stripe}/{language}/cart/")
    expect(page.locator(".line-table tbody tr")).to_have_count(1)
    artifacts(page, f"buy-{language}-1-cart")
    page.locator(f'a[href="/{language}/checkout/"]').click()

    # The checkout form, filled in as the buyer would.
    buyer_name = "李伟" if language == "zh-hans" else "AnnLee"
    page.fill("#id_full_name", "李伟" if language == "zh-hans" else "Ann Lee")
    page.fill("#id_email", "buyer@example.com")
    page.fill("#id_company", "上海医学教育咨询有限公司" if language == "zh-hans" else "Acme Medical")
    page.fill("#id_billing_line1", "南京西路 1266 号" if language == "zh-hans" else "1 King's Road")
    page.fill("#id_billing_postcode", "200040" if language == "zh-hans" else "SW3 4RP")
    page.fill("#id_billing_city", "上海" if language == "zh-hans" else "London")
    page.select_option("#id_country", "CN" if language == "zh-hans" else "GB")
    page.check("#id_payment_method_0")
    page.check("#id_accept_terms")
    artifacts(page, f"buy-{language}-2-checkout")
    page.get_by_role("button", name=text["place"]).click()

    # Stripe's (test server's) hosted checkout page.
    page.wait_for_url(f"{stripe_server.url}/pay/**")
    # in the language's default currency: CNY for simplified Chinese
    expect(page.locator("body")).to_contain_text("CNY" if language == "zh-hans" else "USD")
    artifacts(page, f"buy-{language}-3-stripe")
    page.get_by_role("button", name="Pay").click()

    # Back at the shop: the order is paid and its stamped copy ready to download.
    page.wait_for_url(f"{shop_with_stripe}/{language}/orders/**")
    expect(page.locator(".status-steps li").last).to_have_class("current")
    artifacts(page, f"buy-{language}-4-ready")
    with page.expect_download() as download_info:
        page.locator(".download-list a.button").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    stamped = "".join(pdf_text(Path(download.path()).read_bytes())[-1].split())
    assert buyer_name in stamped

    order = Order.objects.get()
    assert order.status == OrderStatus.DELIVERED
    assert order.language == language
    assert order.lines.get().license_type == "multi_user"
    assert [event.status for event in stripe_server.delivered_events] == [200]
