"""Inquiry mail through a real Celery worker on Redis, into a real SMTP sink.

The eager runs of the same paths are in test_contact.py and test_admin.py; here the
on-commit hooks really send tasks to Redis, a separate worker process reads the
committed rows from the test database and talks SMTP to the sink.
"""

import time

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from storefront.inquiries import services
from storefront.inquiries.models import Inquiry, InquiryReply, ReplyStatus
from storefront.inquiries.tasks import send_reply_task, sweep_inquiry_mail_task
from tests.celery_worker import postgresql_or_skip, purge_queue, redis_url_or_skip, running_worker
from tests.inquiries.conftest import TITLE_ZH, form_data

pytestmark = pytest.mark.django_db(transaction=True)


def wait_until(condition, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout}s"
        time.sleep(0.05)


def by_recipient(messages) -> dict:
    return {tuple(m.rcpt_tos): m for m in messages}


def ask(language="zh-hans", **overrides):
    return Client().post(f"/{language}/contact/", form_data(**overrides))


def test_an_inquiry_leads_to_exactly_one_acknowledgement_and_one_sales_notice(
    celery_worker, smtp_sink, report
):
    response = ask(name="李伟")
    inquiry = Inquiry.objects.get()
    assert response.status_code == 302

    received = by_recipient(smtp_sink.wait_for(2, timeout=20))
    acknowledgement = received[("ann.lee@example.com",)]
    notice = received[(settings.SALES_EMAIL,)]
    assert inquiry.reference in acknowledgement.subject
    assert TITLE_ZH in acknowledgement.text_body()
    assert "李伟" in acknowledgement.text_body()
    assert acknowledgement.message["reply-to"] == settings.SALES_EMAIL
    assert f"/admin/inquiries/inquiry/{inquiry.pk}/change/" in notice.text_body()
    assert notice.message["reply-to"] == "ann.lee@example.com"
    wait_until(
        lambda: Inquiry.objects.filter(
            pk=inquiry.pk, acknowledged_at__isnull=False, sales_notified_at__isnull=False
        ).exists(),
        "both sent marks",
    )
    # The sweep and a duplicated task find both marks and send nothing more.
    from storefront.inquiries.tasks import send_acknowledgement_task

    # Tasks keep no results unless the caller asks (CELERY_TASK_IGNORE_RESULT).
    result = send_acknowledgement_task.apply_async((inquiry.pk,), ignore_result=False)
    assert result.get(timeout=15) is False
    time.sleep(1)
    assert len(smtp_sink) == 2


def test_a_reply_is_sent_once_even_when_the_task_runs_twice(celery_worker, smtp_sink, report):
    inquiry = services.submit_inquiry(
        contact=services.Contact(
            name="Ann Lee", email="ann.lee@example.com", company="Acme", job_title="CSO",
            country="UK",
        ),
        kind="question", message="Japan?", report=report, language="en",
    )
    smtp_sink.wait_for(2, timeout=20)
    smtp_sink.clear()

    reply = services.queue_reply(inquiry_id=inquiry.pk, author=None, body="Yes, Japan is covered.")
    # Two more deliveries of the same task right behind the on-commit one.
    results = [
        send_reply_task.apply_async((reply.pk,), ignore_result=False) for _ in range(2)
    ]
    [received] = smtp_sink.wait_for(1, timeout=20)
    for result in results:
        result.get(timeout=15)
    time.sleep(1)
    assert len(smtp_sink) == 1
    assert received.rcpt_tos == ["ann.lee@example.com"]
    assert received.message["reply-to"] == settings.SALES_EMAIL
    assert "Yes, Japan is covered." in received.text_body()
    reply.refresh_from_db()
    assert reply.status == ReplyStatus.SENT and reply.sent_at is not None


def test_broker_down_the_inquiry_is_kept_and_the_sweep_delivers_it(
    celery_worker, smtp_sink, report, settings
):
    from storefront.celery import app

    working = (app.conf.broker_url, app._pool, app.amqp._producer_pool)
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens there
    app._pool = app.amqp._producer_pool = None
    try:
        response = ask()
    finally:
        if app._pool is not None:
            app._pool.force_close_all()
        app.conf.broker_url, app._pool, app.amqp._producer_pool = working
    assert response.status_code == 302
    thanks = Client().get(response["Location"])
    inquiry = Inquiry.objects.get()
    assert inquiry.reference in thanks.content.decode()
    time.sleep(1.5)  # a queued task would have been delivered by now: none was queued
    assert smtp_sink.messages == []

    settings.INQUIRY_SWEEP_AFTER_MINUTES = 0
    assert sweep_inquiry_mail_task() == 2  # beat, once the broker is back
    received = by_recipient(smtp_sink.wait_for(2, timeout=20))
    assert set(received) == {("ann.lee@example.com",), (settings.SALES_EMAIL,)}
    wait_until(lambda: not Inquiry.objects.mail_pending().exists(), "mail marked sent")
    assert sweep_inquiry_mail_task() == 0


@pytest.fixture
def impatient_worker(request, real_broker, celery_test_queue, smtp_sink_server, tmp_path):
    """A second worker that gives up after one retry, on a queue of its own."""
    redis_url = redis_url_or_skip()
    postgresql_or_skip()
    queue = f"{celery_test_queue}-impatient"
    purge_queue(redis_url, queue)
    with running_worker(
        database_name=connection.settings_dict["NAME"],
        email_url=smtp_sink_server.url,
        redis_url=redis_url,
        queue=queue,
        log_path=tmp_path / "impatient-worker.log",
        extra_env={"INQUIRY_MAIL_MAX_RETRIES": "1"},
    ) as worker:
        real_broker.conf.task_default_queue = queue
        try:
            yield worker
        finally:
            real_broker.conf.task_default_queue = celery_test_queue
    purge_queue(redis_url, queue)


def test_smtp_failing_is_retried_then_the_inquiry_is_flagged(impatient_worker, smtp_sink, report):
    smtp_sink.fail_mail_from()
    try:
        ask()
        inquiry = Inquiry.objects.get()
        wait_until(
            lambda: Inquiry.objects.filter(pk=inquiry.pk, mail_failed_at__isnull=False).exists(),
            "the inquiry flagged as failed",
            timeout=40,
        )
    finally:
        smtp_sink.recover()
    inquiry.refresh_from_db()
    assert inquiry.needs_attention and "Mail failed" in inquiry.attention_reason
    assert smtp_sink.refusals >= 2  # tried again before giving up
    assert impatient_worker.log_text().count("Retry in") >= 1
    assert InquiryReply.objects.count() == 0

