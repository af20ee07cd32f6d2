"""A buyer in Shanghai pays in yuan with WeChat Pay: signed webhook → real Celery worker
on Redis → stamped PDF → one mail at a real SMTP sink → the download works."""

import re

import pytest
from django.test import Client

from reports.models import LicenseType
from storefront.orders import services as order_services
from storefront.orders.cart import CartLine
from storefront.orders.models import OrderStatus, PaymentMethod
from storefront.payments import services as payment_services
from storefront.payments.models import CheckoutSession
from tests.delivery.test_delivery import master_pdf, pdf_text
from tests.delivery.test_delivery_worker import post_webhook, shop_stripe, wait_for_status
from tests.factories import make_report

pytestmark = pytest.mark.django_db(transaction=True)

__all__ = ["shop_stripe"]  # the fixture, shared with the card journey


def test_a_yuan_wechat_pay_order_is_stamped_and_mailed_by_the_worker(
    celery_worker, smtp_sink, shop_stripe, settings
):
    settings.STRIPE_PAYMENT_METHODS = ["card", "alipay", "wechat_pay"]
    report = make_report(
        master_pdf=master_pdf(3),
        licence_prices={LicenseType.SINGLE_USER: "28350.00"},
        licence_currency="CNY",
    )
    order = order_services.place_order(
        lines=[CartLine(report.license_options.get())],
        buyer=order_services.Buyer(
            email="wang.fang@example.cn", full_name="王芳", company="上海医学教育咨询有限公司",
            country="CN",
        ),
        language="zh-hans",
        payment_method=PaymentMethod.CARD,
    )
    payment_services.start_card_checkout(order_id=order.pk)
    session_id = order.checkout_sessions.get().session_id
    assert "wechat_pay" in shop_stripe.sessions[session_id]["payment_method_types"]

    shop_stripe.pay(session_id, method="wechat_pay", send_webhook=False)
    event = shop_stripe.build_event("checkout.session.completed", shop_stripe.sessions[session_id])
    assert post_webhook(shop_stripe, event).status_code == 200

    [received] = smtp_sink.wait_for(1, timeout=20)
    wait_for_status(order, OrderStatus.DELIVERED)
    assert received.rcpt_tos == ["wang.fang@example.cn"]
    assert CheckoutSession.objects.get(session_id=session_id).method_type == "wechat_pay"
    [path] = re.findall(r"http://testserver(/downloads/[\w-]+/)", received.text_body())
    response = Client().get(path)
    assert response.status_code == 200
    text = "".join(pdf_text(b"".join(response.streaming_content))[-1].split())
    assert "王芳" in text and order.number in text
