"""Orders of a report "delivered on order" wait, visibly, for its master PDF; when an
editor uploads it, every waiting order is delivered once (eager tasks here; the real
worker in test_delivered_on_order_worker.py)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports.models import DeliveryMode, LicenseType
from reports.signals import master_pdf_available
from storefront.delivery import services
from storefront.delivery.models import DownloadGrant, StampedCopy
from storefront.delivery.tasks import sweep_undelivered_orders_task
from storefront.orders import services as order_services
from storefront.orders.business_days import add_business_days
from storefront.orders.cart import CartLine
from storefront.orders.models import Order, OrderStatus, PaymentMethod
from tests.delivery.test_delivery import master_pdf
from tests.factories import make_report
from tests.reports.test_admin import change_url, post_data
from tests.reports.test_uploads import upload

pytestmark = pytest.mark.django_db

FRIDAY_AFTERNOON = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)
TUESDAY_AFTERNOON = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


def report_on_order(days=2, **kwargs):
    return make_report(
        master_pdf=None,
        delivery_mode=DeliveryMode.ON_ORDER,
        delivery_days=days,
        licence_prices={LicenseType.SINGLE_USER: "4200"},
        **kwargs,
    )


def place(reports, *, language="en", email="buyer@example.com"):
    return order_services.place_order(
        lines=[CartLine(report.license_options.get()) for report in reports],
        buyer=order_services.Buyer(
            email=email, full_name="Ann Lee", company="Acme Medical Ltd", country="UK"
        ),
        language=language,
        payment_method=PaymentMethod.CARD,
    )


def pay(order, capture):
    """Mark paid as the webhook does; the delivery task runs (eagerly) after commit."""
    with capture(execute=True):
        order_services.mark_order_paid(order_id=order.pk, source="test")
    return Order.objects.get(pk=order.pk)


# --- Business days -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (FRIDAY_AFTERNOON, 2, TUESDAY_AFTERNOON),
        (datetime(2026, 3, 7, 9, 0, tzinfo=UTC), 1, datetime(2026, 3, 9, 9, 0, tzinfo=UTC)),
        (datetime(2026, 3, 4, 9, 0, tzinfo=UTC), 5, datetime(2026, 3, 11, 9, 0, tzinfo=UTC)),
    ],
    ids=["friday plus two is tuesday", "saturday plus one is monday", "a whole week"],
)
def test_promised_business_days_skip_weekends(start, days, due):
    assert add_business_days(start, days) == due


# --- Waiting ---------------------------------------------------------------------------------


def test_a_paid_order_waits_for_the_master_with_its_due_time_and_is_not_flagged(
    django_capture_on_commit_callbacks,
):
    # given
    report = report_on_order(days=2)
    order = place([report])

    # when: paid on a Friday afternoon; the delivery task runs at once
    with time_machine.travel(FRIDAY_AFTERNOON, tick=False):
        order = pay(order, django_capture_on_commit_callbacks)

    # then
    assert order.status == OrderStatus.PAID
    assert order.delivery_due_at == TUESDAY_AFTERNOON
    assert order.delivery_failed_at is None and not order.needs_attention
    assert not StampedCopy.objects.exists()
    assert mail.outbox == []


def test_the_sweep_leaves_waiting_orders_alone_until_the_master_arrives(
    settings, django_capture_on_commit_callbacks
):
    settings.DELIVERY_SWEEP_AFTER_MINUTES = 0
    report = report_on_order()
    order = pay(place([report]), django_capture_on_commit_callbacks)

    assert list(services.orders_awaiting_delivery(older_than=timedelta(0))) == []
    assert sweep_undelivered_orders_task() == 0

    # the master is stored but its announcement was lost (broker down): the sweep delivers
    report.master_pdf.save("late.pdf", ContentFile(master_pdf(3)), save=False)
    type(report).objects.filter(pk=report.pk).update(master_pdf=report.master_pdf.name)
    assert list(services.orders_awaiting_delivery(older_than=timedelta(0))) == [order.pk]


def test_a_mixed_order_waits_whole_and_its_other_line_is_stamped_once(
    django_capture_on_commit_callbacks,
):
    waiting = report_on_order()
    ready = make_report(master_pdf=master_pdf(2), licence_prices={LicenseType.SINGLE_USER: "3939"})
    order = pay(place([waiting, ready]), django_capture_on_commit_callbacks)

    services.deliver_order(order_id=order.pk)  # a duplicated task

    order.refresh_from_db()
    assert order.status == OrderStatus.PAID and order.delivery_failed_at is None
    assert StampedCopy.objects.filter(line__order=order).count() == 1
    assert mail.outbox == []  # one mail with every link, once all are stamped


def test_a_report_with_neither_master_nor_mark_still_flags_its_order():
    # an order placed before publishing needed a master: staff must hear of it
    report = make_report(master_pdf=None, licence_prices={LicenseType.SINGLE_USER: "3939"})
    order = place([report])
    order_services.mark_order_paid(order_id=order.pk, source="test")

    with pytest.raises(services.DeliveryFailed):
        services.deliver_order(order_id=order.pk)


# --- The master arrives ----------------------------------------------------------------------


def test_uploading_the_master_in_the_admin_delivers_every_waiting_order_once(
    admin_client, django_capture_on_commit_callbacks
):
    # given: two paid orders waiting, one order not paid yet, one waiting on another report
    report, other = report_on_order(), report_on_order()
    first = pay(place([report], email="first@example.com"), django_capture_on_commit_callbacks)
    second = pay(place([report], email="second@example.com"), django_capture_on_commit_callbacks)
    unpaid = place([report], email="unpaid@example.com")
    elsewhere = pay(place([other], email="other@example.com"), django_capture_on_commit_callbacks)

    # when: an editor uploads the master
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(admin_client, report, "master_pdf", master_pdf(3))

    # then: one stamped copy, one link and one mail per waiting order
    assert response.status_code == 302, response.context["adminform"].form.errors
    for order in (first, second):
        order.refresh_from_db()
        assert order.status == OrderStatus.DELIVERED
        assert StampedCopy.objects.filter(line__order=order).count() == 1
        assert DownloadGrant.objects.filter(copy__line__order=order).count() == 1
    assert sorted(message.to[0] for message in mail.outbox) == [
        "first@example.com", "second@example.com",
    ]  # fmt: skip
    assert Order.objects.get(pk=unpaid.pk).status == OrderStatus.PENDING
    assert Order.objects.get(pk=elsewhere.pk).status == OrderStatus.PAID

    # and again: the same form saved, the announcement repeated: nothing more
    url = change_url(report) + "?language=en"
    with django_capture_on_commit_callbacks(execute=True):
        upload_again = admin_client.post(
            url, {**post_data(admin_client.get(url)), "title": "Renamed Market"}
        )
    master_pdf_available.send(sender=type(report), report_id=report.pk)
    assert upload_again.status_code == 302
    assert len(mail.outbox) == 2
    assert StampedCopy.objects.filter(line__order__in=[first, second]).count() == 2


def test_a_master_saved_again_unchanged_announces_nothing(django_capture_on_commit_callbacks):
    report = make_report(master_pdf=master_pdf(2))
    heard = []

    def listener(sender, report_id, **kwargs):
        heard.append(report_id)

    master_pdf_available.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            type(report).objects.get(pk=report.pk).save()
            fresh = type(report).objects.get(pk=report.pk)
            fresh.master_pdf.save("new.pdf", ContentFile(master_pdf(4)), save=True)
    finally:
        master_pdf_available.disconnect(listener)

    assert heard == [report.pk]


# --- What the buyer and staff see ------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "says"),
    [
        ("en", "This report is delivered on order: we are preparing your licensed copy"),
        ("zh-hans", "本报告按订单交付：我们正在为您准备授权副本"),
    ],
)
def test_the_order_page_says_what_is_happening_and_by_when(
    client, language, says, django_capture_on_commit_callbacks
):
    report = report_on_order(days=2)
    order = place([report], language=language)
    with time_machine.travel(FRIDAY_AFTERNOON, tick=False):
        order = pay(order, django_capture_on_commit_callbacks)

    page = client.get(order.get_absolute_url()).content.decode()

    assert says in page
    assert 'http-equiv="refresh"' not in page  # days, not seconds: no reloading
    due = {"en": "March 10, 2026, 3 p.m.", "zh-hans": "2026年3月10日 15:00"}[language]
    assert due in page
    assert "Immediate download" not in page and "立即下载" not in page


def test_the_order_page_of_a_waiting_order_keeps_a_fixed_query_count(
    client, django_capture_on_commit_callbacks
):
    small = pay(place([report_on_order()]), django_capture_on_commit_callbacks)
    large = pay(place([report_on_order() for _ in range(3)]), django_capture_on_commit_callbacks)
    counts = []
    for order in (small, large):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(order.get_absolute_url()).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_staff_see_waiting_orders_with_their_due_time_and_overdue_ones_stand_out(
    admin_client, django_capture_on_commit_callbacks
):
    # given: one order paid long ago (overdue), one paid now
    with time_machine.travel(FRIDAY_AFTERNOON, tick=False):
        late = pay(place([report_on_order()]), django_capture_on_commit_callbacks)
    fresh = pay(place([report_on_order()]), django_capture_on_commit_callbacks)

    # when
    overdue = admin_client.get("/admin/orders/order/?delivery=overdue").content.decode()
    waiting = admin_client.get("/admin/orders/order/?delivery=on_order").content.decode()

    # then
    assert late.number in overdue and fresh.number not in overdue
    assert '<strong class="delivery-overdue">March 10, 2026, 3 p.m. (overdue)</strong>' in overdue
    assert late.number in waiting and fresh.number in waiting
