"""Order tasks through a real Celery worker on Redis, with mail into a real SMTP sink.

The eager run of the same path is in test_checkout.py
(test_invoice_order_snapshots_prices_and_mails_a_proforma); here the on-commit
hook of place_order() really sends the task to Redis, a separate worker process
reads the committed order from the test database and talks SMTP to the sink.
"""

import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils.translation import gettext, override

from reports.models import LicenseOption, LicenseType
from storefront.orders.cart import CartLine
from storefront.orders.models import Order, OrderStatus, PaymentMethod
from storefront.orders.services import Buyer, place_order
from storefront.orders.tasks import send_proforma_invoice_task, sweep_unsent_proformas_task
from tests.celery_worker import purge_queue, running_worker
from tests.factories import make_report

pytestmark = pytest.mark.django_db(transaction=True)

BUYER = Buyer(
    email="li.wei@example.cn",
    full_name="李伟",
    company="上海医学教育咨询有限公司",
    country="China",
    po_number="PO-7781",
)
CHINESE_CATALOGUE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.mo"


def place_invoice_order(language: str = "zh-hans") -> Order:
    """An invoice order, committed: its on-commit hook queues the pro-forma task.

    As at checkout, the cart's rows are read with the buyer's language active.
    """
    report = make_report(title_zh="继续医学教育(CME)市场")
    with override(language):
        option = LicenseOption.objects.select_related("report").get(
            report=report, license_type=LicenseType.SINGLE_USER
        )
        order = place_order(
            lines=[CartLine(option=option)], buyer=BUYER, language=language,
            payment_method=PaymentMethod.INVOICE,
        )
    assert order.status == OrderStatus.AWAITING_INVOICE
    return order


def proforma_subject(order: Order) -> str:
    with override(order.language):
        return gettext("Pro-forma invoice for order %(number)s") % {"number": order.number}


def wait_until_proforma_marked(order: Order, timeout: float = 10.0) -> None:
    """The worker commits the "sent" mark just after the sink took the mail."""
    deadline = time.monotonic() + timeout
    while Order.objects.filter(pk=order.pk, proforma_sent_at__isnull=True).exists():
        assert time.monotonic() < deadline, f"{order.number}: proforma_sent_at never set"
        time.sleep(0.05)


def test_worker_mails_one_proforma_in_the_buyers_language_and_never_twice(
    celery_worker, smtp_sink
):
    order = place_invoice_order("zh-hans")

    [received] = smtp_sink.wait_for(1, timeout=15)
    assert received.rcpt_tos == [BUYER.email]
    assert received.message["to"] == BUYER.email
    assert order.number in received.subject
    assert received.subject == proforma_subject(order)
    if CHINESE_CATALOGUE.exists():
        assert received.subject != f"Pro-forma invoice for order {order.number}"
    assert "继续医学教育(CME)市场" in received.text_body()
    wait_until_proforma_marked(order)

    # A duplicated task (a redelivery, a second click) finds the mark and sends nothing.
    # Tasks keep no results unless the caller asks (CELERY_TASK_IGNORE_RESULT).
    result = send_proforma_invoice_task.apply_async((order.pk,), ignore_result=False)
    assert result.get(timeout=15) is None
    assert len(smtp_sink) == 1


def test_worker_retries_while_smtp_refuses_and_delivers_once_it_recovers(
    celery_worker, smtp_sink
):
    smtp_sink.fail_mail_from()  # 451 4.3.0 Try again later
    log_start = celery_worker.log_offset()
    order = place_invoice_order("zh-hans")

    smtp_sink.wait_for_refusals(1, timeout=15)
    # The worker put the task back with a backoff countdown instead of failing it.
    celery_worker.wait_for_log("retry: Retry in", start=log_start, timeout=10)
    order.refresh_from_db()
    assert order.proforma_sent_at is None
    assert len(smtp_sink) == 0

    smtp_sink.recover()
    # The task's backoff is 5 s with full jitter: the first retry comes within 5 s
    # (a second refusal, if the retry beat recover(), adds up to 10 s).
    [received] = smtp_sink.wait_for(1, timeout=25)
    assert received.rcpt_tos == [BUYER.email]
    assert order.number in received.subject
    wait_until_proforma_marked(order)
    assert smtp_sink.refusals >= 1
    assert len(smtp_sink) == 1


def test_worker_flags_a_proforma_smtp_keeps_refusing_and_the_sweep_leaves_it(
    real_broker, smtp_sink, settings, tmp_path
):
    # A worker of its own, with one retry: the session worker keeps the default retries
    # that the recovery test above needs.
    queue = f"storefront-test-proforma-{uuid.uuid4().hex[:12]}"
    real_broker.conf.task_default_queue = queue  # restored by the real_broker fixture
    # given: the mail server refuses everything
    smtp_sink.fail_mail_from()
    try:
        with running_worker(
            database_name=connection.settings_dict["NAME"], email_url=smtp_sink.url,
            redis_url=settings.CELERY_BROKER_URL, queue=queue, log_path=tmp_path / "worker.log",
            extra_env={"PROFORMA_MAX_RETRIES": "1"},
        ):
            # when: an invoice order is placed
            order = place_invoice_order("en")

            # then: after its retry the order is flagged
            deadline = time.monotonic() + 30
            while not Order.objects.filter(pk=order.pk, proforma_failed_at__isnull=False).exists():
                assert time.monotonic() < deadline, "the pro-forma was never flagged"
                time.sleep(0.1)
    finally:
        smtp_sink.recover()
        purge_queue(settings.CELERY_BROKER_URL, queue)
    order.refresh_from_db()
    assert order.needs_attention
    assert order.attention_reason.count("Pro-forma invoice could not be sent") == 1
    assert smtp_sink.refusals >= 2  # the first try and its retry
    # and, with mail back, the sweep does not send it behind staff's back
    settings.PROFORMA_SWEEP_AFTER_MINUTES = 0
    assert sweep_unsent_proformas_task() == 0
    # and the buyer got nothing twice or late: no pro-forma reached them at all
    assert [m for m in smtp_sink.messages if BUYER.email in m.rcpt_tos] == []
