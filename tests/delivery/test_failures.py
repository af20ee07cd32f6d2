"""Deliveries that cannot succeed: flagged once, with the reason, and never half-written.

The same faults through a real worker and SMTP are in test_delivery_faults.py.
"""

from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.db import connection
from django.utils import timezone

from storefront.delivery import services
from storefront.delivery.models import DownloadGrant, StampedCopy
from storefront.delivery.tasks import deliver_order_task, sweep_undelivered_orders_task
from storefront.orders.models import Order, OrderStatus
from tests.delivery.test_delivery import paid_order

pytestmark = pytest.mark.django_db


def damage_master(order: Order) -> None:
    master = order.lines.first().report.master_pdf
    Path(master.path).write_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 200)


def remove_master_file(order: Order) -> None:
    master = order.lines.first().report.master_pdf
    master.storage.delete(master.name)


def stamped_files(order: Order) -> list[Path]:
    folder = Path(settings.PRIVATE_MEDIA_ROOT) / "stamped" / order.number
    return sorted(folder.glob("*")) if folder.exists() else []


def sweep_later() -> int:
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        return sweep_undelivered_orders_task.delay().get()


@pytest.mark.parametrize(
    "fault, reason",
    [(damage_master, "not a readable PDF"), (remove_master_file, "missing from storage")],
    ids=["damaged-master", "missing-master-file"],
)
def test_a_stamp_that_cannot_succeed_flags_the_order_once_and_the_sweep_leaves_it(
    client, settings, fault, reason
):
    # given: a paid order whose master cannot be stamped
    settings.SALES_EMAIL = "sales@example.com"
    order = paid_order()
    fault(order)

    # when: the delivery task runs, and runs again (a duplicate message)
    for _ in range(2):
        result = deliver_order_task.apply(args=[order.pk], throw=False)
        assert result.failed()

    # then: flagged once with the reason, sales told once, nothing stamped
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.delivery_failed_at is not None
    assert order.attention_reason.count("Delivery failed") == 1
    assert reason in order.attention_reason
    to_sales = [m for m in mail.outbox if m.to == ["sales@example.com"]]
    assert len(to_sales) == 1 and order.number in to_sales[0].subject
    assert not StampedCopy.objects.filter(line__order=order).exists()
    # and the sweep does not queue it again
    assert sweep_later() == 0
    # and the buyer reads that the delivery is delayed and staff know
    page = client.get(order.get_absolute_url()).content.decode()
    assert "taking longer than usual" in page
    assert "Our team has been told" in page
    assert 'http-equiv="refresh"' not in page


def test_an_unexpected_error_flags_at_once_instead_of_retrying(settings, monkeypatch):
    # given: a stamp that fails with an error no retry can fix
    settings.DELIVERY_MAX_RETRIES = 5
    order = paid_order()
    attempts = []

    def broken(*args, **kwargs):
        attempts.append(1)
        raise ValueError("overlay font table is corrupt")

    monkeypatch.setattr("storefront.delivery.services.stamp_stored", broken)

    # when
    result = deliver_order_task.apply(args=[order.pk], throw=False)

    # then: one attempt, the order flagged with the error
    assert result.failed()
    assert len(attempts) == 1
    order.refresh_from_db()
    assert order.delivery_failed_at is not None
    assert "overlay font table is corrupt" in order.attention_reason


def test_a_line_that_fails_leaves_no_stamped_file_of_the_lines_before_it():
    # given: two lines, the second one's master file is gone
    order = paid_order(lines=2)
    second = order.lines.order_by("id").last().report.master_pdf
    second.storage.delete(second.name)

    # when
    with pytest.raises(services.DeliveryFailed):
        services.deliver_order(order_id=order.pk)

    # then: the first line's stamped file went with its rolled-back row
    assert not StampedCopy.objects.filter(line__order=order).exists()
    assert stamped_files(order) == []


@pytest.mark.django_db(transaction=True)
def test_a_commit_that_fails_after_the_file_is_written_leaves_no_file():
    if connection.vendor != "postgresql":
        pytest.skip("a deferred constraint trigger needs PostgreSQL (make test uses it)")
    # given: PostgreSQL refuses a delivery's transaction at COMMIT, after the file is written
    with connection.cursor() as cursor:
        cursor.execute(
            """
            CREATE FUNCTION test_refuse_grant() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'refused at commit'; END $$;
            CREATE CONSTRAINT TRIGGER test_refuse_grant AFTER INSERT ON delivery_downloadgrant
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION test_refuse_grant();
            """
        )
    try:
        # when: an order is paid, and its delivery runs (eagerly, after the commit)
        order = paid_order()

        # then: no row and no file, and the order is flagged with the reason
        assert not StampedCopy.objects.filter(line__order=order).exists()
        assert stamped_files(order) == []
        order.refresh_from_db()
        assert order.status == OrderStatus.PAID
        assert "refused at commit" in order.attention_reason
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "DROP TRIGGER test_refuse_grant ON delivery_downloadgrant;"
                "DROP FUNCTION test_refuse_grant();"
            )

    # and once the database accepts it, staff deliver again: one file with its row
    services.deliver_order(order_id=order.pk)
    copy = StampedCopy.objects.get(line__order=order)
    assert stamped_files(order) == [Path(copy.file.path)]
    assert DownloadGrant.objects.filter(copy=copy).count() == 1


def test_a_file_left_by_an_attempt_that_died_is_replaced_not_duplicated():
    # given: an earlier attempt wrote the line's file, then its process died before commit
    order = paid_order()
    services.deliver_order(order_id=order.pk)
    copy = StampedCopy.objects.get(line__order=order)
    left_over = Path(copy.file.path)
    StampedCopy.objects.filter(pk=copy.pk).delete()  # the row that never committed
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.PAID, delivery_mailed_at=None)
    assert left_over.exists()

    # when: the delivery runs again
    services.deliver_order(order_id=order.pk)

    # then: one file, owned by the new row
    copy = StampedCopy.objects.get(line__order=order)
    assert stamped_files(order) == [Path(copy.file.path)]


def test_staff_deliver_again_after_a_failed_mail_sends_exactly_one_mail(admin_client, monkeypatch):
    # given: a delivery whose mail failed: stamped, flagged, never mailed
    order = paid_order()
    with monkeypatch.context() as patch:
        patch.setattr(
            "django.core.mail.backends.locmem.EmailBackend.send_messages",
            lambda self, messages: (_ for _ in ()).throw(ConnectionRefusedError("smtp down")),
        )
        with pytest.raises(ConnectionRefusedError):
            services.deliver_order(order_id=order.pk)
    services.mark_delivery_failed(order_id=order.pk, reason="ConnectionRefusedError: smtp down")
    mail.outbox.clear()

    # when: mail works again and staff choose "Deliver again"
    admin_client.post(
        "/admin/orders/order/", {"action": "resend_delivery", "_selected_action": [order.pk]}
    )

    # then: the buyer gets one mail, not two
    assert [m.to for m in mail.outbox] == [["buyer@example.com"]]
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED and order.delivery_failed_at is None
