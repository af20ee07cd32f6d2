"""A buyer on a 390 px phone, and on a 1366 px laptop, in English and in Chinese:
list → search → report → cart → checkout → pay (the suite's Stripe-compatible
server) → order → download the stamped PDF.

On every page of the shop the journey checks that nothing scrolls sideways and that
axe-core finds no serious or critical accessibility issue; on a phone, that the first
search result shows on the first screen and the order summary comes before the
"Place order" button. Screenshots of every step go to test-artifacts/e2e/.
"""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from storefront.orders.models import Order, OrderStatus
from tests.delivery.test_delivery import pdf_text
from tests.e2e.accessibility import axe_violations, describe, sideways_overflow
from tests.e2e.test_buying_journey import PRODUCT_CODE, shop_with_stripe  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TEXT = {
    "en": {
        "query": "medical",
        "licence": "Multi-user (up to 5)",
        "place": "Place order",
        "buyer": "Ann Lee",
        "company": "Acme Medical",
        "street": "1 King's Road",
        "postcode": "SW3 4RP",
        "city": "London",
        "country": "GB",
    },
    "zh-hans": {
        "query": "医学教育",
        "licence": "多用户许可",
        "place": "提交订单",
        "buyer": "李伟",
        "company": "上海医学教育咨询有限公司",
        "street": "南京西路 1266 号",
        "postcode": "200040",
        "city": "上海",
        "country": "CN",
    },
}


class Inspector:
    """Checks each page the journey reaches and keeps its screenshot; problems are
    collected so one run reports every page that fails, not only the first."""

    def __init__(self, page, artifacts, axe_source, label):
        self.page, self.artifacts, self.axe_source, self.label = page, artifacts, axe_source, label
        self.problems = []
        self.step = 0

    def check(self, name: str):
        self.step += 1
        self.artifacts(self.page, f"phone-journey-{self.label}-{self.step}-{name}")
        overflow = sideways_overflow(self.page)
        if overflow:
            self.problems.append(f"{name}: the page scrolls {overflow}px sideways")
        violations = axe_violations(self.page, self.axe_source)
        if violations:
            self.problems.append(f"{name}: axe-core found\n{describe(violations)}")

    def fail_if_any(self):
        if self.problems:
            pytest.fail(f"{self.label}:\n" + "\n".join(self.problems), pytrace=False)


@pytest.mark.parametrize("viewport", ["phone", "laptop"])
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_search_to_download_fits_the_screen_and_passes_axe(
    shop_with_stripe, stripe_server, sized_page, artifacts,  # noqa: F811
    axe_source, language, viewport,
):
    page, text = sized_page, TEXT[language]
    shop = shop_with_stripe
    inspect = Inspector(page, artifacts, axe_source, f"{language}-{viewport}")

    # The catalogue.
    page.goto(f"{shop}/{language}/reports/")
    expect(page.locator(".report-list .report-card").first).to_be_visible()
    inspect.check("list")

    # A search from the header: on a phone the first result is on the first screen.
    search_box = page.locator("header input[name=q]")
    search_box.fill(text["query"])
    search_box.press("Enter")
    first_result = page.locator(".report-list .card-title a").first
    expect(first_result).to_be_visible()
    if viewport == "phone":
        box = first_result.bounding_box()
        height = page.evaluate("() => window.innerHeight")
        assert page.evaluate("() => window.scrollY") == 0
        assert box["y"] + box["height"] <= height, (
            f"the first result ends at y={box['y'] + box['height']:.0f}, below the first "
            f"screen ({height}px)"
        )
        filters = page.locator("details.filters-disclosure")
        expect(filters).not_to_have_attribute("open", "")
    inspect.check("search")

    # The report: choose the multi-user licence.
    first_result.click()
    expect(page.locator("h1")).to_be_visible()
    assert f"/{language}/reports/{PRODUCT_CODE}/" in page.url
    inspect.check("report")
    page.locator(".licence-option", has_text=text["licence"]).get_by_role("button").click()

    # The cart: one line, shown as a card on a phone, its price on screen.
    expect(page).to_have_url(f"{shop}/{language}/cart/")
    lines = page.locator(".line-cards tbody tr")
    expect(lines).to_have_count(1)
    price = lines.first.locator("td.num")
    expect(price).to_be_visible()
    price_box = price.bounding_box()
    assert price_box["x"] + price_box["width"] <= page.evaluate("() => window.innerWidth")
    inspect.check("cart")
    page.locator(f'a[href="/{language}/checkout/"]').click()

    # Checkout: the order summary and its total come before "Place order".
    place = page.get_by_role("button", name=text["place"])
    expect(place).to_be_visible()
    summary = page.locator(".checkout-summary")
    expect(summary).to_contain_text(text["licence"])
    if viewport == "phone":
        assert summary.bounding_box()["y"] < place.bounding_box()["y"]
    # 1994249 is priced in CNY too: a zh-hans buyer pays in it by default.
    expect(page.locator(".checkout-total")).to_contain_text(
        "CNY" if language == "zh-hans" else "USD"
    )
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

    # The Stripe-compatible server's hosted page (not the shop's: not audited).
    page.wait_for_url(f"{stripe_server.url}/pay/**")
    page.get_by_role("button", name="Pay").click()

    # The order page: paid, stamped, ready to download.
    page.wait_for_url(f"{shop}/{language}/orders/**")
    expect(page.locator(".status-steps li").last).to_have_class("current")
    inspect.check("order")
    with page.expect_download() as download_info:
        page.locator(".download-list a.button").click()
    stamped = "".join(pdf_text(Path(download_info.value.path()).read_bytes())[-1].split())
    assert "".join(text["buyer"].split()) in stamped

    # The multi-user licence's named seats.
    page.locator(f'a[href$="/seats/"]').click()
    expect(page.locator(".seat-new")).to_be_visible()
    inspect.check("seats")

    order = Order.objects.get()
    assert order.status == OrderStatus.DELIVERED and order.language == language
    assert page.js_errors == []
    inspect.fail_if_any()


PAGES = ["/", "/contact/", "/account/", "/licence-terms/"]


@pytest.mark.parametrize("viewport", ["phone", "laptop"])
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_other_buyer_pages_fit_the_screen_and_pass_axe(
    shop_with_stripe, sized_page, artifacts, axe_source, language, viewport  # noqa: F811
):
    inspect = Inspector(sized_page, artifacts, axe_source, f"pages-{language}-{viewport}")
    for path in PAGES:
        response = sized_page.goto(f"{shop_with_stripe}/{language}{path}")
        assert response.status == 200, path
        inspect.check(path.strip("/") or "home")
    inspect.fail_if_any()
