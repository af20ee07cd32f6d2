"""The buyer's order page links the order's PDFs, in English and Chinese, at phone and
desktop width; the links open private PDFs."""

from decimal import Decimal

import pytest

from storefront.invoicing import services
from storefront.orders import services as order_services
from storefront.payments.models import Refund
from tests.invoicing.conftest import CHINESE_BUYER, pay, place

pytestmark = pytest.mark.django_db(transaction=True)

WIDE = {"width": 1366, "height": 900}
NARROW = {"width": 390, "height": 844}


def refunded_order(language):
    order = pay(place(language=language, buyer=CHINESE_BUYER))
    refund = Refund.objects.create(order=order, refund_id=f"re_{order.pk}", amount=Decimal("939"),
                                   currency=order.currency)  # fmt: skip
    order_services.record_refund(order_id=order.pk, refunded_total=Decimal("939"), source="test")
    credit_note = services.issue_credit_note(refund_id=refund.pk)
    return order, credit_note


@pytest.mark.parametrize(
    ("language", "link_text", "credit_text"),
    [
        ("en", "Invoice (PDF)", "Credit note {number} (PDF)"),
        ("zh-hans", "发票（PDF）", "退款凭证 {number}（PDF）"),
    ],
)
@pytest.mark.parametrize("viewport", [NARROW, WIDE], ids=["390px", "1366px"])
def test_order_page_links_invoice_and_credit_note_pdfs(
    browser, live_server, artifacts, language, link_text, credit_text, viewport
):
    # given: a paid order, refunded in part
    order, credit_note = refunded_order(language)
    context = browser.new_context(viewport=viewport, locale="en-GB")
    page = context.new_page()
    violations = []
    page.on("console", lambda m: "Content-Security-Policy" in m.text and violations.append(m.text))

    # when: the buyer opens the order page
    page.goto(f"{live_server.url}/{language}/orders/{order.public_token}/")

    # then: both links are visible, nothing overflows the width, no CSP violation
    invoice_link = page.get_by_role("link", name=link_text)
    credit_link = page.get_by_role("link", name=credit_text.format(number=credit_note.number))
    assert invoice_link.is_visible() and credit_link.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    artifacts(page, f"invoice-links-{language}-{viewport['width']}")
    assert violations == []
    # and the links open private PDFs
    for link in (invoice_link, credit_link):
        response = page.request.get(live_server.url + link.get_attribute("href"))
        assert response.status == 200
        assert response.headers["content-type"] == "application/pdf"
        assert "no-store" in response.headers["cache-control"]
    context.close()
