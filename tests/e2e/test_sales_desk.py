"""A sales person at 1366 px in a real Chromium: the order and inquiry lists fit the
screen; a quote in EUR with a discount is sent, accepted and paid by card through the
Stripe-compatible server; a bank payment is recorded in two parts on an order."""

import importlib
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core import mail
from playwright.sync_api import expect

from reports.models import LicenseType
from storefront.inquiries.models import InquiryKind
from storefront.orders import services as order_services
from storefront.orders.cart import CartLine
from storefront.orders.models import Order, OrderStatus, PaymentMethod
from storefront.quotes.models import Quote, QuoteStatus
from tests.factories import make_report, minimal_pdf
from tests.inquiries.test_admin import make_inquiry

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
LAPTOP = {"width": 1366, "height": 768}
# Transactional tests flush the groups the data migrations made: grant the same set.
SALES_GRANTS = [
    ("storefront.inquiries.migrations", "0002_sales_group"),
    ("storefront.inquiries.migrations", "0005_sales_work_the_conversation"),
    ("storefront.quotes.migrations", "0002_sales_prepare_quotes"),
]


@pytest.fixture
def desk(live_server, settings):
    settings.SITE_URL = live_server.url
    user = User.objects.create_user("mei", "mei@example.com", PASSWORD, is_staff=True)
    group, _created = Group.objects.get_or_create(name="Sales")
    for package, module in SALES_GRANTS:
        granted = importlib.import_module(f"{package}.{module}")
        for app_label, codename in granted.SALES_PERMISSIONS:
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
    user.groups.add(group)
    return live_server.url


def sign_in(page, base, next_path):
    page.set_viewport_size(LAPTOP)
    page.goto(f"{base}/admin/login/?next={next_path}")
    page.fill("#id_username", "mei")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")


def invoice_order(total="8399"):
    report = make_report(licence_prices={LicenseType.SINGLE_USER: total},
                         master_pdf=minimal_pdf())  # fmt: skip
    return order_services.place_order(
        lines=[CartLine(report.license_options.get())],
        buyer=order_services.Buyer(email="ann.lee@example.com", full_name="Ann Lee",
                                   company="Acme Medical Ltd", country="GB"),
        language="zh-hans",
        payment_method=PaymentMethod.INVOICE,
    )  # fmt: skip


def overflow(page) -> dict:
    return page.evaluate(
        """() => {
            const box = document.querySelector('#changelist .results');
            return {scroll: box.scrollWidth, client: box.clientWidth};
        }"""
    )


def test_the_order_and_inquiry_lists_fit_1366_px(desk, page, artifacts):
    for _ in range(3):
        invoice_order()
        make_inquiry(kind=InquiryKind.QUOTATION, company="Continental Medical Education Group")
    sign_in(page, desk, "/admin/orders/order/")
    for path, columns in [
        ("/admin/orders/order/", ["Status", "Total", "Needs attention"]),
        ("/admin/inquiries/inquiry/", ["Status", "Assignee", "Needs attention"]),
    ]:
        page.goto(f"{desk}{path}")
        for column in columns:
            expect(page.locator("#result_list thead")).to_contain_text(column)
        size = overflow(page)
        assert size["scroll"] <= size["client"], (path, size)
        artifacts(page, f"sales-fit-{path.split('/')[2]}-1366")


def test_a_quote_in_euro_with_a_discount_accepted_and_paid_by_card(
    desk, page, artifacts, stripe_server, settings,
):
    settings.STRIPE_SECRET_KEY = stripe_server.api_key
    settings.STRIPE_WEBHOOK_SECRET = stripe_server.webhook_secret
    settings.STRIPE_API_BASE = stripe_server.url
    report = make_report(title_en="Continuing Medical Education Market",
                         licence_prices={LicenseType.SINGLE_USER: "4949"},
                         licence_currency="EUR", master_pdf=minimal_pdf())  # fmt: skip
    inquiry = make_inquiry(report=report, kind=InquiryKind.QUOTATION, country="Germany")

    # From the inquiry, sales prepare a quote: the licence at its list price, 10 % off.
    sign_in(page, desk, f"/admin/inquiries/inquiry/{inquiry.pk}/change/")
    page.get_by_role("link", name="Prepare a quote (lines, discount, currency)").click()
    page.get_by_role("button", name="Prepare a new quote").click()
    expect(page.locator(".messagelist")).to_contain_text("prepared as a draft")
    page.fill("#id_lines-0-discount_percent", "10")
    page.fill("#id_lines-1-description", "Analyst briefing, 2 hours")
    page.fill("#id_lines-1-price", "500")
    page.fill("#id_po_number", "PO-4711")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    expect(page.locator(".field-total_column")).to_contain_text("EUR 4,954.10")
    artifacts(page, "sales-quote-1366")
    page.get_by_role("link", name="Send to the buyer").click()
    page.get_by_role("button", name="Send the quote").click()
    expect(page.locator(".messagelist")).to_contain_text("on its way")
    quote = Quote.objects.get()
    assert quote.status == QuoteStatus.SENT

    # The buyer opens the link from the mail and accepts it, paying by card.
    message = mail.outbox[-1]
    assert message.attachments[0][0] == f"{quote.number}.pdf"
    link = next(word for word in message.body.split() if "/quotes/" in word)
    page.goto(link)
    expect(page.locator(".quote-total")).to_have_text("EUR 4,954.10")
    artifacts(page, "buyer-quote-1366")
    page.get_by_label("By card, now (secure payment by Stripe)").check()
    page.get_by_role("button", name="Accept the quote").click()
    page.wait_for_url(f"{stripe_server.url}/**")
    order = Order.objects.get()
    session = order.checkout_sessions.get()
    assert (session.amount, session.currency) == (495410, "EUR")

    # Stripe takes the payment and tells the shop; the order is paid and delivered.
    stripe_server.pay(session.session_id, send_webhook=False)
    page.goto(f"{desk}/en/orders/{order.public_token}/paid/?session_id={session.session_id}")
    order.refresh_from_db()
    assert order.status in (OrderStatus.PAID, OrderStatus.DELIVERED)
    assert order.total == Decimal("4954.10")
    artifacts(page, "buyer-quote-paid-1366")


def test_a_bank_payment_recorded_in_two_parts(desk, page, artifacts):
    order = invoice_order("8399")
    sign_in(page, desk, f"/admin/orders/order/{order.pk}/change/")
    expect(page.locator(".field-total_display")).to_contain_text("USD 8,399.00")
    for amount, reference, expected in [
        ("4000", "BANK-1", "USD 4,399.00 still owed."),
        ("4399", "BANK-2", "The order is paid"),
    ]:
        page.get_by_role("link", name="Record a bank payment").click()
        page.fill("#id_amount", amount)
        page.fill("#id_reference", reference)
        page.get_by_role("button", name="Record the payment").click()
        expect(page.locator(".messagelist")).to_contain_text(expected)
    expect(page.locator(".field-bank_payments_received")).to_contain_text("BANK-2")
    expect(page.locator("#status_changes-group")).to_contain_text(
        "Awaiting invoice payment → Paid"
    )
    artifacts(page, "sales-bank-payment-1366")
    order.refresh_from_db()
    assert order.status in (OrderStatus.PAID, OrderStatus.DELIVERED)
    assert order.bank_payments.count() == 2
