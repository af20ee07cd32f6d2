"""A report delivered on order, through the real parts: a card payment signed by the
Stripe-compatible server, the delivery task on a real Celery worker over Redis, the
master uploaded in the admin, and exactly one mail per waiting order at the SMTP sink.

The eager runs of the same paths are in test_delivered_on_order.py.
"""

import re
import time

import pytest
from django.test import Client

from reports.models import DeliveryMode, LicenseType
from storefront.delivery.models import DownloadGrant, StampedCopy
from storefront.orders import services as order_services
from storefront.orders.cart import CartLine
from storefront.orders.models import Order, OrderStatus, PaymentMethod
from storefront.payments import services as payment_services
from tests.delivery.test_delivery import master_pdf, pdf_text
from tests.delivery.test_delivery_worker import post_webhook, shop_stripe, wait_for_status  # noqa: F401
from tests.factories import make_report
from tests.reports.test_uploads import upload

pytestmark = pytest.mark.django_db(transaction=True)


def paid_at_stripe(stripe_server, report, *, email, full_name):
    """A card order of ``report`` paid at Stripe; returns it with its signed event."""
    order = order_services.place_order(
        lines=[CartLine(report.license_options.get())],
        buyer=order_services.Buyer(
            email=email, full_name=full_name, company="Acme Medical Ltd", country="UK"
        ),
        language="en",
        payment_method=PaymentMethod.CARD,
    )
    payment_services.start_card_checkout(order_id=order.pk)
    session_id = order.checkout_sessions.get().session_id
    stripe_server.pay(session_id, send_webhook=False)
    event = stripe_server.build_event(
        "checkout.session.completed", stripe_server.sessions[session_id]
    )
    return order, event


def wait_until_waiting(order, timeout=20.0):
    """Until the worker has run the delivery task and recorded the wait."""
    deadline = time.monotonic() + timeout
    while not Order.objects.filter(pk=order.pk, delivery_due_at__isnull=False).exists():
        assert time.monotonic() < deadline, f"{order.number} was never recorded as waiting"
        time.sleep(0.05)


def test_orders_paid_before_the_master_get_exactly_one_delivery_when_it_is_uploaded(
    celery_worker, smtp_sink, shop_stripe, admin_client  # noqa: F811
):
    # given: a report sold "delivered on order", bought and paid twice by card
    report = make_report(
        master_pdf=None,
        delivery_mode=DeliveryMode.ON_ORDER,
        delivery_days=2,
        licence_prices={LicenseType.SINGLE_USER: "4200"},
    )
    orders = []
    for email, name in (("ann@example.com", "Ann Lee"), ("bo@example.com", "Bo Chen")):
        order, event = paid_at_stripe(shop_stripe, report, email=email, full_name=name)
        assert post_webhook(shop_stripe, event).status_code == 200
        orders.append(order)
    for order in orders:
        wait_until_waiting(order)

    # then, before the master: paid, waiting, not flagged, nothing mailed
    for order in Order.objects.filter(pk__in=[order.pk for order in orders]):
        assert order.status == OrderStatus.PAID
        assert order.delivery_failed_at is None and not order.needs_attention
    assert smtp_sink.messages == []

    # when: the editor uploads the master in the admin
    response = upload(admin_client, report, "master_pdf", master_pdf(3))
    assert response.status_code == 302, response.context["adminform"].form.errors

    # then: one mail per waiting order, each with its own stamped copy
    received = smtp_sink.wait_for(2, timeout=30)
    for order in orders:
        wait_for_status(order, OrderStatus.DELIVERED)
    assert sorted(message.rcpt_tos[0] for message in received) == [
        "ann@example.com", "bo@example.com",
    ]  # fmt: skip
    ann = next(message for message in received if message.rcpt_tos == ["ann@example.com"])
    [path] = re.findall(r"http://testserver(/downloads/[\w-]+/)", ann.text_body())
    download = Client().get(path)
    assert download.status_code == 200
    text = "".join(pdf_text(b"".join(download.streaming_content))[0].split())
    assert "AnnLee" in text
    time.sleep(1)  # nothing else arrives: each order was delivered once
    assert len(smtp_sink.messages) == 2
    assert StampedCopy.objects.count() == 2
    assert DownloadGrant.objects.count() == 2
