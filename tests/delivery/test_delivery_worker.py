"""Paid webhook → real Celery worker on Redis → stamped PDF → one mail at a real SMTP sink.

The eager runs of the same paths are in test_delivery.py; here the webhook is
signed by the Stripe-compatible server, the delivery task travels through Redis to
a separate worker process, and the mail crosses SMTP.
"""

import re
import time

import pytest
from django.test import Client

from reports.models import LicenseType
from storefront.delivery.models import DownloadGrant, StampedCopy
from storefront.delivery.tasks import sweep_undelivered_orders_task
from storefront.orders import services as order_services
from storefront.orders.cart import CartLine
from storefront.orders.models import Order, OrderStatus, PaymentMethod
from storefront.payments import services as payment_services
from tests.delivery.test_delivery import master_pdf, pdf_text
from tests.factories import make_report

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shop_stripe(stripe_server, settings):
    settings.STRIPE_SECRET_KEY = stripe_server.api_key
    settings.STRIPE_WEBHOOK_SECRET = stripe_server.webhook_secret
    settings.STRIPE_API_BASE = stripe_server.url
    settings.SITE_URL = "http://testserver"
    return stripe_server


def paid_at_stripe(stripe_server, *, full_name="李伟"):
    """A card order paid at Stripe whose webhook has not been delivered yet."""
    report = make_report(master_pdf=master_pdf(4), licence_prices={LicenseType.SINGLE_USER: "3939"})
    order = order_services.place_order(
        lines=[CartLine(report.license_options.get())],
        buyer=order_services.Buyer(
            email="buyer@example.cn", full_name=full_name, company="上海医学教育咨询有限公司",
            country="China",
        ),
        language="zh-hans",
        payment_method=PaymentMethod.CARD,
    )
    payment_services.start_card_checkout(order_id=order.pk)
    session_id = order.checkout_sessions.get().session_id
    stripe_server.pay(session_id, send_webhook=False)
    event = stripe_server.build_event("checkout.session.completed", stripe_server.sessions[session_id])
    return order, event


def post_webhook(stripe_server, event):
    payload = stripe_server.event_payload(event)
    return Client().post(
        "/stripe/webhook/", data=payload, content_type="application/json",
        HTTP_STRIPE_SIGNATURE=stripe_server.sign(payload),
    )


def wait_for_status(order, status, timeout=20.0):
    deadline = time.monotonic() + timeout
    while Order.objects.get(pk=order.pk).status != status:
        assert time.monotonic() < deadline, f"{order.number} never became {status}"
        time.sleep(0.05)


def test_paid_webhook_leads_to_one_mail_with_a_working_link(celery_worker, smtp_sink, shop_stripe):
    order, event = paid_at_stripe(shop_stripe)

    assert post_webhook(shop_stripe, event).status_code == 200
    assert post_webhook(shop_stripe, event).status_code == 200  # a duplicate delivery

    [received] = smtp_sink.wait_for(1, timeout=20)
    wait_for_status(order, OrderStatus.DELIVERED)
    assert received.rcpt_tos == ["buyer@example.cn"]
    assert order.number in received.subject
    [path] = re.findall(r"http://testserver(/downloads/[\w-]+/)", received.text_body())
    response = Client().get(path)
    assert response.status_code == 200
    text = "".join(pdf_text(b"".join(response.streaming_content))[-1].split())
    assert "李伟" in text
    time.sleep(1)  # nothing else arrives: the duplicate changed nothing
    assert len(smtp_sink.messages) == 1
    assert StampedCopy.objects.count() == 1


def test_broker_down_during_the_webhook_then_the_sweep_delivers(
    celery_worker, smtp_sink, shop_stripe, settings
):
    from storefront.celery import app

    order, event = paid_at_stripe(shop_stripe, full_name="Ann Lee")
    # Point the producer at a port where nothing listens; put the real pools back after.
    working = (app.conf.broker_url, app._pool, app.amqp._producer_pool)
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    app._pool = app.amqp._producer_pool = None
    try:
        response = post_webhook(shop_stripe, event)
    finally:
        if app._pool is not None:
            app._pool.force_close_all()
        app.conf.broker_url, app._pool, app.amqp._producer_pool = working
    assert response.status_code == 200  # the webhook never fails for the broker
    time.sleep(1.5)  # a queued task would have been delivered by now: none was queued
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
    assert smtp_sink.messages == []

    settings.DELIVERY_SWEEP_AFTER_MINUTES = 0
    assert sweep_undelivered_orders_task() == 1  # beat, once the broker is back

    smtp_sink.wait_for(1, timeout=20)
    wait_for_status(order, OrderStatus.DELIVERED)
    assert DownloadGrant.objects.filter(copy__line__order=order).count() == 1


def test_smtp_failing_is_retried_then_the_order_is_flagged(celery_worker, smtp_sink, shop_stripe):
    order, event = paid_at_stripe(shop_stripe, full_name="Ann Lee")
    smtp_sink.fail_mail_from()
    try:
        post_webhook(shop_stripe, event)
        deadline = time.monotonic() + 40
        while not Order.objects.filter(pk=order.pk, delivery_failed_at__isnull=False).exists():
            assert time.monotonic() < deadline, "delivery was never flagged as failed"
            time.sleep(0.1)
    finally:
        smtp_sink.recover()
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.needs_attention and "Delivery failed" in order.attention_reason
    assert smtp_sink.refusals >= 2  # the worker tried again before giving up
