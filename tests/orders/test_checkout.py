"""Cart and checkout as a buyer uses them, in both languages, without Stripe."""

from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from reports.models import LicenseOption, LicenseType, ReportStatus
from storefront.orders.models import Order, OrderStatus, PaymentMethod
from tests.factories import make_report

pytestmark = pytest.mark.django_db

BUYER = {
    "email": "li.wei@example.cn",
    "full_name": "李伟",
    "company": "上海医学教育咨询有限公司",
    "billing_line1": "南京西路 1266 号 恒隆广场 30 楼",
    "billing_postcode": "200040",
    "billing_city": "上海",
    "country": "CN",
    "vat_id": "",
    "po_number": "PO-7781",
    "accept_terms": "on",
}


def option(report, license_type=LicenseType.SINGLE_USER):
    return report.license_options.get(license_type=license_type)


def add_to_cart(client, license_option, language="en"):
    return client.post(f"/{language}/cart/add/", {"license_option": license_option.pk})


def cart_codes(client, language="en"):
    response = client.get(f"/{language}/cart/")
    return [(line.report.product_code, line.option.license_type) for line in response.context["lines"]]


# --- Cart ---------------------------------------------------------------------


def test_add_change_and_remove_keep_one_line_per_report(client):
    report = make_report(product_code="1994249")
    other = make_report(product_code="2000001")

    add_to_cart(client, option(report))
    add_to_cart(client, option(other))
    add_to_cart(client, option(report, LicenseType.ENTERPRISE))  # switch the licence
    assert sorted(cart_codes(client)) == [
        ("1994249", LicenseType.ENTERPRISE),
        ("2000001", LicenseType.SINGLE_USER),
    ]

    client.post("/en/cart/remove/", {"report": other.pk})
    assert cart_codes(client) == [("1994249", LicenseType.ENTERPRISE)]


def test_cart_total_uses_current_database_prices(client):
    report = make_report(licence_prices={LicenseType.SINGLE_USER: "1000"})
    add_to_cart(client, option(report))
    LicenseOption.objects.filter(report=report).update(price=Decimal("1200"))
    page = client.get("/en/cart/").content.decode()
    assert "USD 1,200" in page
    assert "USD 1,000" not in page


def test_an_option_of_an_unpublished_report_cannot_be_added(client):
    draft = make_report(status=ReportStatus.DRAFT)
    response = add_to_cart(client, option(draft))
    assert response.status_code == 302
    assert cart_codes(client) == []


def test_a_report_unpublished_after_adding_drops_out_of_the_cart(client):
    report = make_report()
    add_to_cart(client, option(report))
    report.status = ReportStatus.ARCHIVED
    report.save()
    assert cart_codes(client) == []


def test_mixed_currencies_get_a_clear_message(client):
    dollars = make_report(licence_currency="USD")
    euros = make_report(licence_currency="EUR")
    add_to_cart(client, option(dollars))
    response = add_to_cart(client, option(euros))
    page = client.get(response["Location"]).content.decode()
    assert "priced in EUR" in page
    assert [code for code, _ in cart_codes(client)] == [dollars.product_code]


def test_cart_forms_require_csrf():
    report = make_report()
    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/en/cart/add/", {"license_option": option(report).pk}).status_code == 403


def test_garbage_cart_input_is_refused_gracefully(client):
    assert client.post("/en/cart/add/", {"license_option": "abc"}).status_code == 302
    assert client.post("/en/cart/add/", {"license_option": "999999"}).status_code == 302
    assert client.post("/en/cart/remove/", {"report": "x"}).status_code == 302
    assert client.get("/en/cart/add/").status_code == 405


# --- Checkout: invoice path -----------------------------------------------------


def test_checkout_with_an_empty_cart_goes_back_to_the_cart(client):
    response = client.get("/en/checkout/")
    assert response.status_code == 302
    assert response["Location"] == "/en/cart/"


def test_invalid_checkout_shows_messages_in_the_buyers_language_and_keeps_input(client):
    add_to_cart(client, option(make_report()), "zh-hans")
    response = client.post("/zh-hans/checkout/", {**BUYER, "email": "not-an-email", "accept_terms": ""})
    page = response.content.decode()
    assert response.status_code == 400
    assert "请输入有效的电子邮件地址。" in page  # the shop's wording, not Django's
    assert "Email 地址" not in page
    assert "上海医学教育咨询有限公司" in page  # what was typed is kept
    assert Order.objects.count() == 0


def test_invoice_order_snapshots_prices_and_mails_a_proforma(client, django_capture_on_commit_callbacks):
    report = make_report(product_code="1994249", title_zh="继续医学教育(CME)市场",
                         licence_prices={LicenseType.SINGLE_USER: "3939"})
    add_to_cart(client, option(report), "zh-hans")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/zh-hans/checkout/", {**BUYER, "payment_method": PaymentMethod.INVOICE}
        )

    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/zh-hans/orders/{order.public_token}/"
    assert order.status == OrderStatus.AWAITING_INVOICE
    assert order.language == "zh-hans"
    assert (order.total, order.currency) == (Decimal("3939.00"), "USD")
    line = order.lines.get()
    assert (line.product_code, line.title, line.unit_price) == (
        "1994249", "继续医学教育(CME)市场", Decimal("3939.00")
    )
    assert list(order.status_changes.values_list("to_status", flat=True)) == ["awaiting_invoice"]
    # A catalogue edit later never changes what was bought.
    LicenseOption.objects.filter(report=report).update(price=Decimal("9999"))
    line.refresh_from_db()
    assert line.unit_price == Decimal("3939.00")
    # One pro-forma, in Chinese, to the buyer.
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["li.wei@example.cn"]
    assert order.number in message.subject
    assert "继续医学教育(CME)市场" in message.body
    assert "USD 3,939" in message.body
    order.refresh_from_db()
    assert order.proforma_sent_at is not None
    # The cart is empty after an invoice order.
    assert cart_codes(client, "zh-hans") == []


def test_proforma_is_sent_once_even_if_the_task_runs_twice(client):
    from storefront.orders.mail import send_proforma_invoice

    add_to_cart(client, option(make_report()))
    client.post("/en/checkout/", {**BUYER, "payment_method": PaymentMethod.INVOICE})
    order = Order.objects.get()
    assert mail.outbox == []  # on-commit work has not run in this test transaction
    assert send_proforma_invoice(order_id=order.pk) is True
    assert send_proforma_invoice(order_id=order.pk) is False
    assert len(mail.outbox) == 1


def test_checkout_form_requires_terms_and_details(client):
    add_to_cart(client, option(make_report()))
    response = client.post("/en/checkout/", {"payment_method": PaymentMethod.INVOICE})
    form = response.context["form"]
    assert set(form.errors) >= {
        "email", "full_name", "company", "country", "billing_line1", "billing_city", "accept_terms",
    }
    assert "Please accept the licence terms" in response.content.decode()


def test_order_page_is_only_reachable_with_its_token(client):
    assert client.get("/en/orders/not-a-real-token/").status_code == 404


# --- Checkout: card path without Stripe keys --------------------------------------


def test_development_gateway_completes_a_purchase_when_debugging(client, settings):
    settings.DEBUG = True
    settings.STRIPE_SECRET_KEY = ""
    add_to_cart(client, option(make_report()))
    response = client.post("/en/checkout/", {**BUYER, "payment_method": PaymentMethod.CARD})
    order = Order.objects.get()
    assert response["Location"] == f"/en/orders/{order.public_token}/test-payment/"
    page = client.get(response["Location"]).content.decode()
    assert "no money moves" in page

    response = client.post(response["Location"], {"outcome": "pay"})
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.status_changes.last().source == "development gateway"
    assert cart_codes(client) == []


def test_development_gateway_is_404_without_debug(client, settings):
    settings.DEBUG = False
    settings.STRIPE_SECRET_KEY = ""
    add_to_cart(client, option(make_report()))
    client.post("/en/checkout/", {**BUYER, "payment_method": PaymentMethod.INVOICE})
    order = Order.objects.get()
    assert client.get(f"/en/orders/{order.public_token}/test-payment/").status_code == 404


def test_card_is_not_offered_without_stripe_in_production(client, settings):
    settings.DEBUG = False
    settings.STRIPE_SECRET_KEY = ""
    add_to_cart(client, option(make_report()))
    response = client.post("/en/checkout/", {**BUYER, "payment_method": PaymentMethod.CARD})
    assert response.status_code == 400
    assert Order.objects.count() == 0


def test_production_without_stripe_keys_fails_the_system_check(settings):
    from storefront.payments.checks import stripe_configured_in_production

    settings.DEBUG = False
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""
    errors = stripe_configured_in_production(None)
    assert [error.id for error in errors] == ["payments.E001"]
    settings.STRIPE_SECRET_KEY = "sk_live_x"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_x"
    assert stripe_configured_in_production(None) == []


# --- Fixed query counts as the cart grows -------------------------------------------


@pytest.mark.parametrize("url", ["/en/cart/", "/en/checkout/", "/zh-hans/cart/"])
def test_cart_and_checkout_keep_a_fixed_query_count(client, url):
    reports = [make_report() for _ in range(6)]
    add_to_cart(client, option(reports[0]))
    with CaptureQueriesContext(connection) as one_line:
        assert client.get(url).status_code == 200
    for report in reports[1:]:
        add_to_cart(client, option(report))
    with CaptureQueriesContext(connection) as six_lines:
        assert client.get(url).status_code == 200
    assert len(one_line) == len(six_lines)


def test_broker_down_at_an_invoice_checkout_keeps_the_order_and_the_sweep_mails_it(
    client, django_capture_on_commit_callbacks
):
    import time_machine
    from datetime import timedelta

    from django.utils import timezone

    from storefront.celery import app
    from storefront.orders.tasks import sweep_unsent_proformas_task

    add_to_cart(client, option(make_report()))
    saved = (app.conf.task_always_eager, app.conf.broker_url, app._pool, app.amqp._producer_pool)
    app.conf.task_always_eager = False
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens there
    app._pool = app.amqp._producer_pool = None
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/en/checkout/", {**BUYER, "payment_method": PaymentMethod.INVOICE})
    finally:
        if app._pool is not None:
            app._pool.force_close_all()
        (app.conf.task_always_eager, app.conf.broker_url, app._pool,
         app.amqp._producer_pool) = saved
    order = Order.objects.get()
    assert response.status_code == 302  # the buyer is not shown an error
    assert mail.outbox == []

    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        assert sweep_unsent_proformas_task.delay().get() == 1
    assert len(mail.outbox) == 1
    order.refresh_from_db()
    assert order.proforma_sent_at is not None
