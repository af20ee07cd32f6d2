"""Delivery mail goes over one kept SMTP connection per process, checked before reuse."""

import smtplib
import socket

import pytest
from django.test import override_settings

from storefront.delivery import mailer, services
from storefront.orders.models import Order, OrderStatus
from tests.delivery.test_delivery import paid_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp_settings(smtp_sink):
    mailer.close()
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST=smtp_sink.host, EMAIL_PORT=smtp_sink.port, EMAIL_TIMEOUT=10,
    ):
        yield smtp_sink
    mailer.close()


def test_three_deliveries_share_one_smtp_connection(smtp_settings):
    # given
    orders = [paid_order(full_name=f"Buyer {number}") for number in range(3)]

    # when
    for order in orders:
        services.deliver_order(order_id=order.pk)

    # then
    received = smtp_settings.wait_for(3)
    assert smtp_settings.connections == 1
    assert sorted(message.subject for message in received) == sorted(
        f"Your report is ready: order {order.number}" for order in orders
    )
    assert set(Order.objects.filter(pk__in=[o.pk for o in orders])
               .values_list("status", flat=True)) == {OrderStatus.DELIVERED}


def test_a_connection_the_server_dropped_is_opened_again_and_mails_once(smtp_settings):
    # given: one delivery, then the connection is dropped while idle
    first, second = paid_order(), paid_order()
    services.deliver_order(order_id=first.pk)
    smtp_settings.wait_for(1)
    mailer._kept["connection"].connection.sock.shutdown(socket.SHUT_RDWR)

    # when
    services.deliver_order(order_id=second.pk)

    # then: a second connection, and each buyer has exactly one mail
    received = smtp_settings.wait_for(2)
    assert smtp_settings.connections == 2
    assert [message.subject for message in received] == [
        f"Your report is ready: order {first.number}",
        f"Your report is ready: order {second.number}",
    ]


def test_a_refused_mail_drops_the_connection_and_the_retry_mails_once(smtp_settings):
    # given: the server refuses the first attempt
    order = paid_order()
    smtp_settings.fail_mail_from(times=1)

    # when
    with pytest.raises(smtplib.SMTPSenderRefused):
        services.deliver_order(order_id=order.pk)
    services.deliver_order(order_id=order.pk)  # the task's retry

    # then
    [received] = smtp_settings.wait_for(1)
    assert received.subject == f"Your report is ready: order {order.number}"
    assert smtp_settings.connections == 2
    assert Order.objects.get(pk=order.pk).status == OrderStatus.DELIVERED
