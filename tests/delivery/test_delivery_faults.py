"""Delivery under faults, with real parts: a Celery worker on Redis, PostgreSQL, an SMTP sink.

For each fault: what the buyer sees, what staff see, and that once the fault ends
nothing is lost or duplicated. The eager runs are in test_failures.py and
test_fresh_links.py.
"""

import json
import re
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection, connections, transaction
from django.test import Client
from django.utils import timezone

from reports.models import LicenseType
from storefront.delivery.models import DownloadGrant, StampedCopy
from storefront.delivery.tasks import sweep_undelivered_orders_task
from storefront.orders import services as order_services
from storefront.orders.cart import CartLine
from storefront.orders.models import Order, OrderStatus, PaymentMethod
from tests.celery_worker import purge_queue, running_worker
from tests.delivery.test_delivery import master_pdf
from tests.delivery.test_failures import damage_master, remove_master_file, stamped_files
from tests.factories import make_report

pytestmark = pytest.mark.django_db(transaction=True)

BUYER = "buyer@example.com"


def placed_order(full_name="Ann Lee") -> Order:
    report = make_report(
        product_code=f"F-{uuid.uuid4().hex[:8]}", master_pdf=master_pdf(4),
        licence_prices={LicenseType.SINGLE_USER: "3939"},
    )
    return order_services.place_order(
        lines=[CartLine(report.license_options.get())],
        buyer=order_services.Buyer(email=BUYER, full_name=full_name, company="Acme", country="UK"),
        language="en",
        payment_method=PaymentMethod.CARD,
    )


def pay(order: Order) -> None:
    """Paid as the webhook marks it: the delivery task goes to Redis after the commit."""
    order_services.mark_order_paid(order_id=order.pk, source="test")


def wait_until(condition, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.05)


def links_in(message) -> list[str]:
    return re.findall(r"https?://[^/\s]+(/downloads/[\w-]+/)", message.text_body())


def order_page(order: Order) -> str:
    return Client().get(order.get_absolute_url()).content.decode()


def delivered_order(smtp_sink) -> tuple[Order, DownloadGrant]:
    order = placed_order()
    pay(order)
    smtp_sink.wait_for(1, timeout=20)
    wait_until(
        lambda: Order.objects.filter(pk=order.pk, status=OrderStatus.DELIVERED).exists(), "delivered"
    )
    smtp_sink.clear()
    return Order.objects.get(pk=order.pk), DownloadGrant.objects.get(copy__line__order=order)


@pytest.fixture(scope="module")
def patient_worker(request, tmp_path_factory, smtp_sink_server, celery_test_queue):
    """A worker of this module with enough delivery retries to outlast a fault the test
    ends (the session worker gives up after two, possibly within milliseconds)."""
    request.getfixturevalue("django_db_setup")
    queue = f"{celery_test_queue}-patient"
    redis_url = django_settings.CELERY_BROKER_URL
    with running_worker(
        database_name=connection.settings_dict["NAME"], email_url=smtp_sink_server.url,
        redis_url=redis_url, queue=queue,
        log_path=tmp_path_factory.mktemp("patient-worker") / "worker.log",
        extra_env={
            "PRIVATE_MEDIA_ROOT": str(django_settings.PRIVATE_MEDIA_ROOT),
            "DELIVERY_MAX_RETRIES": "8",
        },
    ) as worker:
        yield worker
    purge_queue(redis_url, queue)


@pytest.fixture
def patient(real_broker, patient_worker):
    real_broker.conf.task_default_queue = patient_worker.queue  # restored by real_broker
    return patient_worker


# --- SMTP refusing ---------------------------------------------------------------------------


def test_smtp_refusing_briefly_during_delivery_delivers_the_links_once(celery_worker, smtp_sink):
    # given: the mail server refuses the first attempt
    smtp_sink.fail_mail_from(times=1)
    order = placed_order()

    # when: the order is paid
    pay(order)

    # then: the worker's retry delivers one mail with a working link; nothing is flagged
    [received] = smtp_sink.wait_for(1, timeout=20)
    assert received.rcpt_tos == [BUYER]
    wait_until(lambda: Order.objects.get(pk=order.pk).status == OrderStatus.DELIVERED, "delivered")
    assert smtp_sink.refusals == 1
    [path] = links_in(received)
    assert Client().get(path).status_code == 200
    order.refresh_from_db()
    assert not order.needs_attention and order.delivery_failed_at is None
    assert StampedCopy.objects.filter(line__order=order).count() == 1
    assert DownloadGrant.objects.filter(copy__line__order=order).count() == 1
    assert f"/downloads/{path.split('/')[2]}/" in order_page(order)
    time.sleep(1)  # a duplicate would have arrived by now
    assert len(smtp_sink.messages) == 1


def test_smtp_down_during_delivery_flags_then_staff_deliver_once_when_it_is_back(
    celery_worker, smtp_sink, admin_client, settings
):
    # given: the mail server refuses for longer than the worker's retries
    smtp_sink.fail_mail_from()
    order = placed_order()

    # when: the order is paid
    pay(order)

    # then: flagged after the retries; the buyer reads that staff are on it
    wait_until(
        lambda: Order.objects.filter(pk=order.pk, delivery_failed_at__isnull=False).exists(),
        "the order was flagged", timeout=40,
    )
    assert smtp_sink.refusals >= 3  # the first try and two retries
    page = order_page(order)
    assert "Our team has been told" in page and 'http-equiv="refresh"' not in page
    failed = admin_client.get("/admin/orders/order/", {"delivery": "failed"}).content.decode()
    assert order.number in failed
    settings.DELIVERY_SWEEP_AFTER_MINUTES = 0
    assert sweep_undelivered_orders_task() == 0

    # when: mail works again and staff deliver again from the admin
    smtp_sink.recover()
    smtp_sink.clear()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = smtp_sink.host, smtp_sink.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    admin_client.post(
        "/admin/orders/order/", {"action": "resend_delivery", "_selected_action": [order.pk]}
    )

    # then: one mail to the buyer with a working link, the copy stamped once
    [received] = smtp_sink.wait_for(1, timeout=20)
    assert received.rcpt_tos == [BUYER]
    assert Client().get(links_in(received)[0]).status_code == 200
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED and order.delivery_failed_at is None
    assert StampedCopy.objects.filter(line__order=order).count() == 1
    assert len(stamped_files(order)) == 1


def test_smtp_refusing_during_renewal_keeps_the_old_link_until_the_new_one_arrives(
    patient, smtp_sink
):
    # given: a delivered order whose link expired, and a mail server that refuses
    order, old = delivered_order(smtp_sink)
    DownloadGrant.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    smtp_sink.fail_mail_from()

    # when: the buyer asks for a fresh link
    response = Client().post(f"/downloads/{old.token}/renew/")

    # then: the page answers at once (the mail is the worker's job) and says what follows
    assert response.status_code == 200
    assert "A fresh link is on its way" in response.content.decode()
    smtp_sink.wait_for_refusals(1, timeout=20)
    old.refresh_from_db()
    assert old.revoked_at is None  # nothing taken away yet
    assert Order.objects.get(pk=order.pk).fresh_links_requested_at is not None  # staff see it

    # when: the mail server is back
    smtp_sink.recover()

    # then: one mail with the new link; only now is the old one revoked
    [received] = smtp_sink.wait_for(1, timeout=20)
    assert received.rcpt_tos == [BUYER]
    wait_until(
        lambda: Order.objects.filter(pk=order.pk, fresh_links_requested_at__isnull=True).exists(),
        "the request was carried out",
    )
    [path] = links_in(received)
    assert path != f"/downloads/{old.token}/"
    assert Client().get(path).status_code == 200
    old.refresh_from_db()
    assert old.revoked_at is not None
    assert not Order.objects.get(pk=order.pk).needs_attention
    time.sleep(1)
    assert len(smtp_sink.messages) == 1


def test_staff_fresh_links_while_smtp_refuses_keep_the_old_link_working(
    patient, smtp_sink, admin_client
):
    order, old = delivered_order(smtp_sink)
    smtp_sink.fail_mail_from()

    response = admin_client.post(
        "/admin/orders/order/",
        {"action": "issue_fresh_download_links", "_selected_action": [order.pk]},
        follow=True,
    )

    assert "mailed in the background" in response.content.decode()
    smtp_sink.wait_for_refusals(1, timeout=20)
    assert Client().get(f"/downloads/{old.token}/").status_code == 200  # during the outage
    smtp_sink.recover()
    [received] = smtp_sink.wait_for(1, timeout=20)
    wait_until(
        lambda: DownloadGrant.objects.filter(pk=old.pk, revoked_at__isnull=False).exists(),
        "the old link was revoked after the mail",
    )
    assert Client().get(links_in(received)[0]).status_code == 200
    assert Client().get(f"/downloads/{old.token}/").status_code == 410


# --- A stamp that cannot succeed ----------------------------------------------------------------


@pytest.mark.parametrize(
    "fault, reason",
    [(damage_master, "not a readable PDF"), (remove_master_file, "missing from storage")],
    ids=["damaged-master", "missing-master-file"],
)
def test_a_stamp_that_cannot_succeed_is_flagged_once_and_not_requeued(
    celery_worker, smtp_sink, settings, fault, reason
):
    # given: a card order whose master cannot be stamped
    order = placed_order()
    fault(order)

    # when: it is paid
    pay(order)

    # then: flagged at once with the reason, and sales get one mail
    wait_until(
        lambda: Order.objects.filter(pk=order.pk, delivery_failed_at__isnull=False).exists(),
        "the order was flagged",
    )
    [notice] = smtp_sink.wait_for(1, timeout=20)
    assert notice.rcpt_tos == [settings.SALES_EMAIL]
    assert order.number in notice.subject and reason in notice.text_body()
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.attention_reason.count("Delivery failed") == 1
    assert reason in order.attention_reason
    # the sweep leaves it alone
    settings.DELIVERY_SWEEP_AFTER_MINUTES = 0
    assert sweep_undelivered_orders_task() == 0
    # the buyer reads that it is delayed and staff are on it (no endless refresh)
    page = order_page(order)
    assert "taking longer than usual" in page and "Our team has been told" in page
    assert 'http-equiv="refresh"' not in page
    # nothing was written, nothing else was mailed
    assert stamped_files(order) == []
    assert not StampedCopy.objects.filter(line__order=order).exists()
    time.sleep(1)
    assert len(smtp_sink.messages) == 1


# --- The worker killed mid-delivery -------------------------------------------------------------


def _forget_unacked(redis_url: str, queue: str) -> None:
    """Drop the killed worker's unacknowledged message of our queue from kombu's bookkeeping,
    so that Redis does not hand it back an hour from now (nothing else is touched)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        for tag, payload in client.hgetall("unacked").items():
            try:
                _message, _exchange, routing_key = json.loads(payload)
            except (ValueError, TypeError):
                continue
            if routing_key == queue:
                client.hdel("unacked", tag)
                client.zrem("unacked_index", tag)
    finally:
        client.close()


def test_worker_killed_mid_delivery_then_the_sweep_delivers_once_without_an_orphan_file(
    real_broker, smtp_sink, settings, tmp_path
):
    redis_url = settings.CELERY_BROKER_URL
    queue = f"storefront-test-kill-{uuid.uuid4().hex[:12]}"
    real_broker.conf.task_default_queue = queue  # restored by the real_broker fixture
    worker_args = dict(
        database_name=connection.settings_dict["NAME"], email_url=smtp_sink.url,
        redis_url=redis_url, queue=queue,
        extra_env={"PRIVATE_MEDIA_ROOT": str(django_settings.PRIVATE_MEDIA_ROOT)},
    )
    blocker = connections.create_connection("default")
    try:
        # given: the delivery will stop after its stamped file is written: the link's
        # INSERT waits behind a table lock held here
        blocker.set_autocommit(False)
        with blocker.cursor() as cursor:
            cursor.execute("LOCK TABLE delivery_downloadgrant IN EXCLUSIVE MODE")
        order = placed_order()
        with running_worker(log_path=tmp_path / "first.log", **worker_args) as first:
            pay(order)
            wait_until(lambda: stamped_files(order), "the stamped file was written")
            wait_until(lambda: _waiting_on_lock(), "the worker waits on the lock")

            # when: the worker is killed there (SIGKILL: no cleanup of any kind)
            first.process.kill()
            first.process.wait(10)
        blocker.rollback()
        wait_until(lambda: _order_unlocked(order), "the killed worker's transaction ended")

        # then, during the fault: a file that no row owns, the buyer sees "preparing"
        assert len(stamped_files(order)) == 1
        assert not StampedCopy.objects.filter(line__order=order).exists()
        assert "Preparing your licensed copy" in order_page(order)
        assert smtp_sink.messages == []

        # when: a new worker runs and beat's sweep re-queues the paid, undelivered order
        with running_worker(log_path=tmp_path / "second.log", **worker_args):
            settings.DELIVERY_SWEEP_AFTER_MINUTES = 0
            assert sweep_undelivered_orders_task() == 1
            [received] = smtp_sink.wait_for(1, timeout=20)
            wait_until(
                lambda: Order.objects.get(pk=order.pk).status == OrderStatus.DELIVERED, "delivered"
            )
            time.sleep(1)

        # then: delivered once, one mail, one copy, one file (the orphan was replaced)
        assert received.rcpt_tos == [BUYER]
        assert len(smtp_sink.messages) == 1
        copy = StampedCopy.objects.get(line__order=order)
        assert stamped_files(order) == [Path(copy.file.path)]
        assert Client().get(links_in(received)[0]).status_code == 200
    finally:
        blocker.close()
        _forget_unacked(redis_url, queue)
        purge_queue(redis_url, queue)


def _waiting_on_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE NOT granted"
            " AND relation = 'delivery_downloadgrant'::regclass"
        )
        return cursor.fetchone()[0] > 0


def _order_unlocked(order: Order) -> bool:
    from django.db import DatabaseError

    try:
        with transaction.atomic():
            Order.objects.select_for_update(nowait=True).get(pk=order.pk)
        return True
    except DatabaseError:
        return False
