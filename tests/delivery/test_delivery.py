"""From a paid order to stamped copies, links and one mail; and the links' rules."""

import hashlib
import io
import subprocess
import threading
from datetime import timedelta
from decimal import Decimal
from smtplib import SMTPServerDisconnected

import pikepdf
import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test import Client
from django.utils import timezone

from reports.models import LicenseType
from storefront.delivery import services
from storefront.delivery.models import DownloadGrant, DownloadLog, StampedCopy
from storefront.delivery.tasks import deliver_order_task, sweep_undelivered_orders_task
from storefront.orders import services as order_services
from storefront.orders.cart import CartLine
from storefront.orders.models import Order, OrderStatus, PaymentMethod
from tests.factories import make_report

pytestmark = pytest.mark.django_db


def master_pdf(pages=12) -> bytes:
    """A small multi-page master, made the way reportlab makes real ones."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    for number in range(1, pages + 1):
        pdf.drawString(72, 760, f"Continuing Medical Education Market - page {number}")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def paid_order(*, language="en", full_name="Ann Lee", company="Acme Medical Ltd", lines=1,
               pages=12, with_master=True):
    reports = [
        make_report(
            product_code=f"D{number}-{timezone.now().microsecond}",
            master_pdf=master_pdf(pages) if with_master else None,
            licence_prices={LicenseType.SINGLE_USER: "3939"},
        )
        for number in range(lines)
    ]
    order = order_services.place_order(
        lines=[CartLine(report.license_options.get()) for report in reports],
        buyer=order_services.Buyer(
            email="buyer@example.com", full_name=full_name, company=company, country="UK"
        ),
        language=language,
        payment_method=PaymentMethod.CARD,
    )
    order_services.mark_order_paid(order_id=order.pk, source="test")
    return Order.objects.get(pk=order.pk)


def pdf_text(data: bytes) -> list[str]:
    """The text of each page as poppler's pdftotext extracts it (make test installs it)."""
    result = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, check=True
    )
    return result.stdout.decode("utf-8").split("\f")[: -1]


def download(client, grant, **headers):
    return client.get(f"/downloads/{grant.token}/", **headers)


# --- Delivering ------------------------------------------------------------------------------


def test_delivery_stamps_every_line_and_mails_once():
    order = paid_order(lines=2)
    master = order.lines.first().report.master_pdf
    master_hash = hashlib.sha256(master.open("rb").read()).hexdigest()

    services.deliver_order(order_id=order.pk)
    services.deliver_order(order_id=order.pk)  # a retried or duplicated task
    deliver_order_task.delay(order.pk)

    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    assert StampedCopy.objects.filter(line__order=order).count() == 2
    assert DownloadGrant.objects.filter(copy__line__order=order).count() == 2
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["buyer@example.com"]
    assert order.number in message.subject
    for grant in DownloadGrant.objects.filter(copy__line__order=order):
        assert f"/downloads/{grant.token}/" in message.body
    assert hashlib.sha256(master.open("rb").read()).hexdigest() == master_hash


@pytest.mark.parametrize(
    "language, full_name, company",
    [("en", "Ann Lee", "Acme Medical Ltd"), ("zh-hans", "李伟", "上海医学教育咨询有限公司")],
)
def test_every_page_names_the_licensee(client, language, full_name, company):
    order = paid_order(language=language, full_name=full_name, company=company, pages=6)
    services.deliver_order(order_id=order.pk)
    grant = DownloadGrant.objects.get(copy__line__order=order)

    response = download(client, grant)
    data = b"".join(response.streaming_content)

    copy = grant.copy
    with pikepdf.open(io.BytesIO(data)) as pdf:
        master_pages = 6
        assert len(pdf.pages) in (master_pages, master_pages + 1)  # + an optional licence page
    texts = pdf_text(data)
    stamped_pages = texts[-6:]
    for text in stamped_pages:
        flat = "".join(text.split())
        assert "".join(full_name.split()) in flat
        assert copy.licence_id in flat
    if language == "zh-hans":
        assert "李伟" in "".join(texts[0].split()) or "李伟" in "".join(texts[-1].split())


def test_delivery_mail_is_in_the_orders_language():
    order = paid_order(language="zh-hans")
    services.deliver_order(order_id=order.pk)
    [message] = mail.outbox
    assert order.number in message.subject
    assert "下载" in message.alternatives[0][0] or "下载" in message.body


def test_a_missing_master_flags_the_order_and_tells_staff(settings):
    settings.ADMINS = [("Ops", "ops@example.com")]
    order = paid_order(with_master=False)
    with pytest.raises(services.DeliveryFailed):
        deliver_order_task.apply(args=[order.pk], throw=True)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.delivery_failed_at is not None
    assert order.needs_attention and "Delivery failed" in order.attention_reason
    assert any("Delivery failed" in m.subject for m in mail.outbox)


def test_smtp_failing_retries_then_flags(settings, monkeypatch):
    from storefront.celery import app

    settings.DELIVERY_MAX_RETRIES = 2
    # Eager retries re-run in place; let them, instead of raising Retry to the test.
    monkeypatch.setattr(app.conf, "task_eager_propagates", False)
    order = paid_order()
    attempts = []

    def refuse(self, *args, **kwargs):
        attempts.append(1)
        raise SMTPServerDisconnected("mail server went away")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
    result = deliver_order_task.apply(args=[order.pk], throw=False)
    order.refresh_from_db()
    assert result.failed()
    assert len(attempts) >= 2  # tried again before giving up
    assert order.delivery_failed_at is not None
    assert order.status == OrderStatus.PAID
    # Files were stamped once, whatever the retries.
    assert StampedCopy.objects.filter(line__order=order).count() == 1


def test_broker_down_while_paying_keeps_the_payment_and_the_sweep_delivers(
    django_capture_on_commit_callbacks,
):
    report = make_report(master_pdf=master_pdf(3))
    order = order_services.place_order(
        lines=[CartLine(report.license_options.order_by("price").first())],
        buyer=order_services.Buyer(email="b@example.com", full_name="B", company="C", country="DE"),
        language="en",
        payment_method=PaymentMethod.CARD,
    )
    # The broker is unreachable: queuing raises, the paid state stays committed.
    from storefront.celery import app

    saved = (app.conf.task_always_eager, app.conf.broker_url, app._pool, app.amqp._producer_pool)
    app.conf.task_always_eager = False
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens there
    app._pool = app.amqp._producer_pool = None
    try:
        with django_capture_on_commit_callbacks(execute=True):
            order_services.mark_order_paid(order_id=order.pk, source="webhook")
    finally:
        if app._pool is not None:
            app._pool.force_close_all()
        (app.conf.task_always_eager, app.conf.broker_url, app._pool,
         app.amqp._producer_pool) = saved
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID

    # Minutes later the sweep (broker back, here in-process) delivers it.
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        assert sweep_undelivered_orders_task.delay().get() == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    assert len(mail.outbox) == 1


# --- Links ---------------------------------------------------------------------------------


@pytest.fixture
def delivered_grant():
    order = paid_order()
    services.deliver_order(order_id=order.pk)
    return DownloadGrant.objects.get(copy__line__order=order)


def test_download_is_an_attachment_that_is_not_cached(client, delivered_grant):
    response = download(client, delivered_grant, HTTP_USER_AGENT="Test Agent/1.0")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    b"".join(response.streaming_content)
    delivered_grant.refresh_from_db()
    assert delivered_grant.downloads_left == 4
    log = DownloadLog.objects.get()
    assert (log.ip_address, log.user_agent) == ("127.0.0.1", "Test Agent/1.0")


def test_chinese_titles_give_a_utf8_file_name(client):
    order = paid_order(language="zh-hans")
    line = order.lines.get()
    line.title = "继续医学教育市场"
    line.save()
    services.deliver_order(order_id=order.pk)
    response = download(client, DownloadGrant.objects.get())
    assert "filename*=utf-8''" in response["Content-Disposition"].lower()


def test_x_accel_redirect_in_production(client, settings, delivered_grant):
    settings.DOWNLOADS_X_ACCEL_REDIRECT_PREFIX = "/protected/"
    response = download(client, delivered_grant)
    assert response["X-Accel-Redirect"] == f"/protected/{delivered_grant.copy.file.name}"
    assert response.content == b""


def test_unknown_or_tampered_tokens_are_404(client, delivered_grant):
    assert client.get("/downloads/not-a-token/").status_code == 404
    assert client.get(f"/downloads/{delivered_grant.token[:-1]}x/").status_code == 404


def test_expired_link_is_410_and_offers_a_fresh_one_by_mail(
    client, delivered_grant, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with time_machine.travel(delivered_grant.expires_at + timedelta(seconds=1)):
        response = download(client, delivered_grant)
        assert response.status_code == 410
        assert "E-mail me a fresh link" in response.content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            renewed = client.post(f"/downloads/{delivered_grant.token}/renew/")
            client.post(f"/downloads/{delivered_grant.token}/renew/")  # pressed twice
        assert renewed.status_code == 200
        assert "A fresh link is on its way" in renewed.content.decode()
    [message] = mail.outbox
    assert message.to == ["buyer@example.com"]  # the order's own address, never another
    fresh = DownloadGrant.objects.exclude(pk=delivered_grant.pk).get()
    assert f"/downloads/{fresh.token}/" in message.body
    assert download(client, fresh).status_code == 200


def test_revoked_link_is_410_without_renewal(client, delivered_grant):
    services.revoke_access(order_id=delivered_grant.copy.line.order_id, reason="full refund")
    response = download(client, delivered_grant)
    assert response.status_code == 410
    assert "E-mail me a fresh link" not in response.content.decode()
    assert client.post(f"/downloads/{delivered_grant.token}/renew/").status_code == 404


def test_limit_reached_is_403_with_a_contact_link(client, delivered_grant):
    for _ in range(5):
        assert download(client, delivered_grant).status_code == 200
    response = download(client, delivered_grant)
    assert response.status_code == 403
    assert "mailto:" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_downloads_never_exceed_the_limit():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent transactions need PostgreSQL (make test uses it)")
    order = paid_order()
    services.deliver_order(order_id=order.pk)
    grant = DownloadGrant.objects.get()
    statuses = []
    barrier = threading.Barrier(10)

    def fetch():
        try:
            barrier.wait(timeout=10)
            response = Client().get(f"/downloads/{grant.token}/")
            if response.status_code == 200:
                b"".join(response.streaming_content)
                response.close()
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=fetch) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(statuses) == [200] * 5 + [403] * 5
    grant.refresh_from_db()
    assert grant.downloads_left == 0
    assert DownloadLog.objects.count() == 5


# --- The order page ----------------------------------------------------------------------


def test_order_page_shows_progress_then_downloads(client):
    order = paid_order()
    page = client.get(f"/en/orders/{order.public_token}/").content.decode()
    assert 'http-equiv="refresh"' in page
    assert "Preparing your licensed copy" in page

    services.deliver_order(order_id=order.pk)
    page = client.get(f"/en/orders/{order.public_token}/").content.decode()
    grant = DownloadGrant.objects.get()
    assert 'http-equiv="refresh"' not in page
    assert f"/downloads/{grant.token}/" in page
    assert "5 downloads left" in page


def test_full_refund_revokes_a_partial_refund_keeps(client):
    from storefront.payments.services import _end_access_if_fully_refunded

    order = paid_order()
    services.deliver_order(order_id=order.pk)
    grant = DownloadGrant.objects.get()

    order = order_services.record_refund(order_id=order.pk, refunded_total=Decimal("1000"), source="t")
    _end_access_if_fully_refunded(order)
    assert download(client, grant).status_code == 200

    order = order_services.record_refund(order_id=order.pk, refunded_total=order.total, source="t")
    _end_access_if_fully_refunded(order)
    assert download(client, grant).status_code == 410


def test_staff_actions_resend_fresh_links_and_revoke(
    admin_client, django_capture_on_commit_callbacks
):
    order = paid_order()
    services.deliver_order(order_id=order.pk)
    mail.outbox.clear()
    changelist = "/admin/orders/order/"

    admin_client.post(changelist, {"action": "resend_delivery", "_selected_action": [order.pk]})
    assert len(mail.outbox) == 1

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            changelist, {"action": "issue_fresh_download_links", "_selected_action": [order.pk]}
        )
    assert DownloadGrant.objects.filter(revoked_at__isnull=True).count() == 1
    assert DownloadGrant.objects.count() == 2
    assert len(mail.outbox) == 2

    admin_client.post(changelist, {"action": "revoke_download_access", "_selected_action": [order.pk]})
    assert not DownloadGrant.objects.usable().exists()
    failed = admin_client.get(changelist, {"delivery": "failed"})
    assert failed.status_code == 200


def test_order_page_keeps_a_fixed_query_count(client):
    from django.test.utils import CaptureQueriesContext

    small, large = paid_order(lines=1), paid_order(lines=3)
    counts = []
    for order in (small, large):
        services.deliver_order(order_id=order.pk)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/en/orders/{order.public_token}/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
