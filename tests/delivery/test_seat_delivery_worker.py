"""Named seats through a real Celery worker on Redis, with the mail crossing SMTP.

The eager runs of the same paths are in test_seat_delivery.py.
"""

import re
import time

import pytest
from django.test import Client

from storefront.delivery.models import DownloadGrant, StampedCopy
from storefront.orders import seats as seat_services
from storefront.orders import services as order_services
from storefront.orders.models import Order, OrderStatus, Seat
from storefront.orders.seats import Holder
from tests.delivery.test_delivery import pdf_text
from tests.delivery.test_seat_delivery import seat_order

pytestmark = pytest.mark.django_db(transaction=True)

HOLDERS = [Holder(name="王芳", email="wang.fang@example.cn"), Holder(name="Bo Chen", email="bo@example.com")]


def token_in(message) -> str:
    [token] = re.findall(r"/downloads/([\w-]+)/", message.text_body())
    return token


def named_on_every_page(token: str, name: str) -> bool:
    response = Client().get(f"/downloads/{token}/")
    assert response.status_code == 200
    pages = pdf_text(b"".join(response.streaming_content))[-3:]
    return all(name in "".join(page.split()) for page in pages)


def wait_until(condition, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} never happened"
        time.sleep(0.05)


def test_the_worker_delivers_each_seat_holder_then_a_reassigned_seat(celery_worker, smtp_sink):
    # given a Chinese order of a multi-user licence with two seats named at checkout
    order = seat_order(holders=HOLDERS, language="zh-hans", paid=False)

    # when it is paid (the delivery task goes through Redis to the worker)
    order_services.mark_order_paid(order_id=order.pk, source="test")

    # then the buyer and each holder get one mail, each with their own copy
    received = smtp_sink.wait_for(3, timeout=30)
    wait_until(
        lambda: Order.objects.get(pk=order.pk).status == OrderStatus.DELIVERED, "delivery"
    )
    by_address = {message.rcpt_tos[0]: message for message in received}
    assert set(by_address) == {"buyer@example.com", "wang.fang@example.cn", "bo@example.com"}
    assert "王芳" in by_address["wang.fang@example.cn"].text_body()
    assert named_on_every_page(token_in(by_address["wang.fang@example.cn"]), "王芳")
    assert named_on_every_page(token_in(by_address["bo@example.com"]), "BoChen")
    old_token = token_in(by_address["bo@example.com"])

    # when Bo's seat is given to Eve
    seat = Seat.objects.get(order=order, holder_email="bo@example.com")
    seat_services.reassign_seat(
        seat_id=seat.pk, holder=Holder(name="Eve Park", email="eve@example.com"), source="buyer"
    )

    # then Eve gets her own copy through the worker, and Bo's link ends after that
    [*_, to_eve] = smtp_sink.wait_for(4, timeout=30)
    assert to_eve.rcpt_tos == ["eve@example.com"]
    assert named_on_every_page(token_in(to_eve), "EvePark")
    wait_until(
        lambda: DownloadGrant.objects.get(token=old_token).revoked_at is not None, "revocation"
    )
    assert Client().get(f"/downloads/{old_token}/").status_code == 410
    assert StampedCopy.objects.filter(seat__order=order).count() == 3
    time.sleep(1)  # nothing else arrives: nobody is mailed twice
    assert len(smtp_sink.messages) == 4
