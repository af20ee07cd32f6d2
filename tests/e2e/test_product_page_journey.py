"""A buyer judging a report on its page, on a 390 px phone and a 1366 px laptop, in
English and Chinese: list → report → section navigation → read more → look inside
(a stamped sample page, large) → buy → cart (compare licences, change licence) →
checkout → pay → order.

Every shop page is checked for sideways scrolling and by axe-core (no serious or
critical issue); screenshots of every step go to test-artifacts/e2e/.
"""

import pytest
from django.core.files.base import ContentFile
from playwright.sync_api import expect

from reports.models import LicenseOption, Report, SamplePage
from storefront.orders.models import Order, OrderStatus
from tests.e2e.test_buying_journey import PRODUCT_CODE, shop_with_stripe  # noqa: F401
from tests.e2e.test_phone_journey import Inspector
from tests.factories import multi_page_pdf

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TEXT = {
    "en": {
        "look_inside": "Look inside",
        "read_more": "Read more",
        "compare": "Compare licences",
        "licence": "Multi-user (up to 5)",
        "other_licence": "Single user",
        "change": "Change licence",
        "place": "Place order",
        "buyer": "Ann Lee",
        "company": "Acme Medical",
        "street": "1 King's Road",
        "postcode": "SW3 4RP",
        "city": "London",
        "country": "GB",
    },
    "zh-hans": {
        "look_inside": "预览内页",
        "read_more": "展开全文",
        "compare": "对比许可",
        "licence": "多用户许可",
        "other_licence": "单用户许可",
        "change": "更换许可",
        "place": "提交订单",
        "buyer": "李伟",
        "company": "上海医学教育咨询有限公司",
        "street": "南京西路 1266 号",
        "postcode": "200040",
        "city": "上海",
        "country": "CN",
    },
}


@pytest.fixture
def shop_with_sample(shop_with_stripe, settings):  # noqa: F811
    """The demo shop, its flagship report with a four-page sample rendered (the task
    runs eagerly once the upload is committed)."""
    settings.SAMPLE_PAGES_RENDERED = 4
    report = Report.objects.get(product_code=PRODUCT_CODE)
    report.sample_pdf.save(f"{PRODUCT_CODE}-sample.pdf", ContentFile(multi_page_pdf(6, "Sample")))
    assert SamplePage.objects.filter(report=report).count() == 4
    return shop_with_stripe


@pytest.mark.parametrize("viewport", ["phone", "laptop"])
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_judge_look_inside_compare_and_buy(
    shop_with_sample, stripe_server, sized_page, artifacts, axe_source, language, viewport
):
    page, text, shop = sized_page, TEXT[language], shop_with_sample
    inspect = Inspector(page, artifacts, axe_source, f"product-{language}-{viewport}")
    # Screenshots named for this journey, not the phone journey's.
    inspect.artifacts = lambda p, name: artifacts(p, name.replace("phone-journey-", "", 1))

    # The list, then the report.
    page.goto(f"{shop}/{language}/reports/")
    inspect.check("list")
    page.locator(f'.report-list a[href*="/reports/{PRODUCT_CODE}/"]').first.click()
    expect(page.locator("h1")).to_be_visible()
    inspect.check("report")

    # Section navigation: every section it names exists; it stays on screen (sticky).
    nav = page.locator("nav.section-nav")
    expect(nav).to_be_visible()
    for href in nav.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))"):
        expect(page.locator(href)).to_have_count(1)
    nav.get_by_role("link", name=text["look_inside"]).click()
    sample = page.locator("#sample")
    expect(sample).to_be_in_viewport()
    assert page.evaluate("() => window.scrollY") > 0
    nav_box = nav.bounding_box()
    assert -1 <= nav_box["y"] <= 1, f"the section navigation scrolled away (y={nav_box['y']})"
    thumbnails = sample.locator("img")
    expect(thumbnails).to_have_count(4)
    assert thumbnails.first.evaluate("img => img.complete && img.naturalWidth > 0")
    inspect.check("look-inside")

    # Read more: the whole summary, without JavaScript.
    read_more = page.locator("#overview details.read-more")
    expect(read_more).to_have_count(1)
    read_more.locator("summary").click()
    expect(read_more).to_have_attribute("open", "")
    expect(read_more.locator(".prose")).to_be_visible()

    # A sample page, large.
    sample.locator("a.sample-page").first.click()
    page.wait_for_url(f"{shop}/sample-pages/{PRODUCT_CODE}/1-*.webp")
    width = page.evaluate("() => document.images[0].naturalWidth")
    assert width >= 800
    artifacts(page, f"product-{language}-{viewport}-sample-page")
    page.go_back()

    # The licence comparison on the page.
    # one row per licence, in the buyer's currency (the report is priced in several)
    licences = (
        LicenseOption.objects.filter(report__product_code=PRODUCT_CODE)
        .values("license_type").distinct().count()
    )
    comparison = page.locator("#licences table")
    expect(comparison.locator("tbody tr")).to_have_count(licences)
    comparison.scroll_into_view_if_needed()
    inspect.check("licences")

    # Buy the multi-user licence.
    page.locator(".licence-option", has_text=text["licence"]).get_by_role("button").click()
    expect(page).to_have_url(f"{shop}/{language}/cart/")

    # The cart: compare, then change to a single-user licence.
    compare = page.locator("details.licence-compare")
    compare.locator("summary", has_text=text["compare"]).click()
    expect(compare.locator("tbody tr")).to_have_count(licences)
    expect(compare.locator("tr.is-current")).to_contain_text(text["licence"])
    inspect.check("cart-compare")
    select = page.locator("select.licence-select")
    select.select_option(label=select.locator("option", has_text=text["other_licence"]).inner_text())
    page.get_by_role("button", name=text["change"]).click()
    expect(page.locator(".line-cards > tbody > tr")).to_have_count(1)
    expect(page.locator("details.licence-compare tr.is-current")).to_contain_text(
        text["other_licence"]
    )
    inspect.check("cart-changed")
    page.locator(f'a[href="/{language}/checkout/"]').click()

    # Checkout and pay.
    place = page.get_by_role("button", name=text["place"])
    expect(page.locator(".checkout-summary")).to_contain_text(text["other_licence"])
    inspect.check("checkout")
    page.fill("#id_full_name", text["buyer"])
    page.fill("#id_email", "buyer@example.com")
    page.fill("#id_company", text["company"])
    page.fill("#id_billing_line1", text["street"])
    page.fill("#id_billing_postcode", text["postcode"])
    page.fill("#id_billing_city", text["city"])
    page.select_option("#id_country", text["country"])
    page.check("#id_payment_method_0")
    page.check("#id_accept_terms")
    place.click()
    page.wait_for_url(f"{stripe_server.url}/pay/**")
    page.get_by_role("button", name="Pay").click()

    # The order.
    page.wait_for_url(f"{shop}/{language}/orders/**")
    expect(page.locator(".status-steps li").last).to_have_class("current")
    inspect.check("order")
    order = Order.objects.get()
    assert order.status == OrderStatus.DELIVERED
    assert order.lines.get().license_type == "single_user"
    assert page.js_errors == []
    inspect.fail_if_any()
