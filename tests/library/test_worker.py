"""Signing in through the real parts: the sign-in mail queued after commit on Redis, sent by a
real Celery worker to the SMTP sink, read from there and used in the browser's session."""

import re
import uuid

import pytest
from django.test import Client

from reports.models import LicenseType
from storefront.orders import services as order_services
from storefront.orders.cart import CartLine
from storefront.orders.models import PaymentMethod
from tests.delivery.test_delivery_faults import wait_until
from tests.factories import make_report

pytestmark = pytest.mark.django_db(transaction=True)

BUYER = "Ann.Lee@Acme.example"


def invoice_order(email: str):
    """An order placed by invoice: no delivery, so the only mail that matters is ours."""
    report = make_report(
        product_code=f"W{uuid.uuid4().hex[:8]}", licence_prices={LicenseType.SINGLE_USER: "3939"}
    )
    return order_services.place_order(
        lines=[CartLine(report.license_options.get())],
        buyer=order_services.Buyer(email=email, full_name="Ann Lee", company="Acme", country="UK"),
        language="en",
        payment_method=PaymentMethod.INVOICE,
    )


def test_sign_in_by_code_and_by_link_through_the_worker_and_smtp(celery_worker, smtp_sink):
    # given: an order (its pro-forma mail is sent by the worker first)
    order = invoice_order(BUYER)
    smtp_sink.wait_for(1, timeout=20)
    smtp_sink.clear()
    browser = Client()

    # when: the buyer asks for a sign-in in Chinese and types the mailed code
    assert browser.post("/zh-hans/account/sign-in/", {"email": BUYER.lower()}).status_code == 302
    [received] = smtp_sink.wait_for(1, timeout=20)
    code = re.search(r"(\d{6})", received.subject).group(1)
    response = browser.post("/zh-hans/account/sign-in/code/", {"code": code})

    # then: the mail went to the address, in Chinese; the library shows the order
    assert received.rcpt_tos == [BUYER.lower()]
    assert "登录" in received.subject
    assert response.status_code == 302
    library = browser.get("/zh-hans/account/").content.decode()
    assert order.number in library
    assert "等待付款" in library

    # and: a second sign-in by the mailed link, on another browser
    smtp_sink.clear()
    phone = Client()
    phone.post("/en/account/sign-in/", {"email": BUYER})
    [received] = smtp_sink.wait_for(1, timeout=20)
    link = re.search(r"https?://[^/\s]+(/en/account/sign-in/[0-9a-f]{64}/)", received.text_body())
    assert phone.post(link.group(1)).status_code == 302
    assert order.number in phone.get("/en/account/").content.decode()
    # used once: the same link signs in nobody else
    assert Client().post(link.group(1)).status_code == 410


def test_fresh_links_from_the_library_through_the_worker(celery_worker, smtp_sink):
    from storefront.delivery.models import DownloadGrant
    from tests.delivery.test_delivery_faults import delivered_order

    # given: a delivered order, and its buyer signed in
    order, old = delivered_order(smtp_sink)
    browser = Client()
    browser.post("/en/account/sign-in/", {"email": order.email})
    [received] = smtp_sink.wait_for(1, timeout=20)
    code = re.search(r"(\d{6})", received.subject).group(1)
    browser.post("/en/account/sign-in/code/", {"code": code})
    smtp_sink.clear()

    # when
    response = browser.post(f"/en/account/orders/{order.number}/fresh-links/")

    # then: the worker mails a new link to the order's address; then the old one ends
    assert response.status_code == 302
    [received] = smtp_sink.wait_for(1, timeout=20)
    assert received.rcpt_tos == [order.email]
    wait_until(
        lambda: DownloadGrant.objects.filter(pk=old.pk, revoked_at__isnull=False).exists(),
        "old link revoked after the mail",
    )
    fresh = DownloadGrant.objects.get(copy__line__order=order, revoked_at__isnull=True)
    assert f"/downloads/{fresh.token}/" in received.text_body()
    assert browser.get(f"/downloads/{fresh.token}/").status_code == 200
