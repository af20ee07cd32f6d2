"""A pro-forma invoice that cannot be sent is flagged for staff, once, and left by the sweep.

The same path through a real worker and SMTP sink is in test_tasks_worker.py.
"""

from datetime import timedelta
from smtplib import SMTPServerDisconnected

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from storefront.orders.models import Order, OrderStatus
from storefront.orders.tasks import send_proforma_invoice_task, sweep_unsent_proformas_task
from tests.orders.test_tasks_worker import place_invoice_order

pytestmark = pytest.mark.django_db


def sweep_later() -> int:
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        return sweep_unsent_proformas_task.delay().get()


def test_a_proforma_that_smtp_keeps_refusing_is_retried_then_flagged(
    settings, monkeypatch, django_capture_on_commit_callbacks
):
    from storefront.celery import app

    # given: a mail server that refuses every message
    settings.PROFORMA_MAX_RETRIES = 2
    monkeypatch.setattr(app.conf, "task_eager_propagates", False)
    attempts = []

    def refuse(self, messages):
        attempts.append(messages[0].to)
        raise SMTPServerDisconnected("mail server went away")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)

    # when: an invoice order is placed (its pro-forma task runs after commit)
    with django_capture_on_commit_callbacks(execute=True):
        order = place_invoice_order("en")

    # then: tried, retried, then flagged with the reason; the order itself is kept
    order = Order.objects.get(pk=order.pk)
    assert attempts.count(["li.wei@example.cn"]) == 3  # the first try and two retries
    assert order.status == OrderStatus.AWAITING_INVOICE
    assert order.proforma_sent_at is None
    assert order.proforma_failed_at is not None
    assert order.needs_attention
    assert "Pro-forma invoice could not be sent: SMTPServerDisconnected" in order.attention_reason
    # and the sweep does not queue it again
    assert sweep_later() == 0


def test_a_proforma_that_cannot_be_rendered_is_flagged_at_once(settings, monkeypatch):
    # given: an invoice order whose pro-forma fails with an error no retry can fix
    settings.SALES_EMAIL = "sales@example.com"
    order = place_invoice_order("en")
    monkeypatch.setattr(
        "storefront.orders.mail.build_message",
        lambda **kwargs: (_ for _ in ()).throw(ValueError("template is broken")),
    )

    # when: the task runs twice (a duplicated message)
    for _ in range(2):
        assert send_proforma_invoice_task.apply(args=[order.pk], throw=False).failed()

    # then: flagged once, sales told once, left by the sweep
    order.refresh_from_db()
    assert order.proforma_failed_at is not None
    assert order.attention_reason.count("Pro-forma invoice could not be sent") == 1
    assert [m.to for m in mail.outbox] == [["sales@example.com"]]
    assert sweep_later() == 0
