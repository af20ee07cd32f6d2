"""Invoice and credit-note numbers: consecutive, once per order, no gaps, under concurrency."""

import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from storefront.invoicing import services
from storefront.invoicing.models import CreditNote, DocumentCounter, Invoice, Series
from storefront.orders import services as order_services
from storefront.orders.models import Order, PaymentMethod
from storefront.payments.models import Refund
from tests.invoicing.conftest import pay, place


@pytest.fixture
def eager_tasks_in_threads():
    """Tasks run eagerly here (delivery after payment); Celery's eager apply() sets and
    restores one process-wide "join would block" flag, and threads doing so at once can
    leave it set, which would refuse every later result.get() of the session."""
    from celery._state import _set_task_join_will_block

    yield
    _set_task_join_will_block(False)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("eager_tasks_in_threads")
def test_fifty_concurrent_payments_get_fifty_consecutive_invoice_numbers():
    # given: 50 card orders waiting for payment
    orders = [place(with_master=True) for _ in range(50)]
    start = threading.Barrier(len(orders))
    errors = []

    def pay_in_own_connection(order_id):
        try:
            start.wait(timeout=30)
            order_services.mark_order_paid(order_id=order_id, source="test")
        except Exception as error:  # collected: a thread's exception would be lost
            errors.append(error)
        finally:
            connection.close()

    # when: all are paid at once, each in its own thread and database connection
    threads = [threading.Thread(target=pay_in_own_connection, args=(o.pk,)) for o in orders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then: each order got one invoice, numbered 1…50 of this year, none twice, none skipped
    assert errors == []
    year = timezone.now().year
    invoices = list(Invoice.objects.filter(order__in=orders))
    assert len(invoices) == 50
    assert sorted(invoice.sequence for invoice in invoices) == list(range(1, 51))
    assert {invoice.number for invoice in invoices} == {
        f"INV-{year}-{sequence:06d}" for sequence in range(1, 51)
    }
    assert DocumentCounter.objects.get(series=Series.INVOICE, year=year).last_value == 50


@pytest.mark.django_db(transaction=True)
def test_paid_order_gets_its_invoice_through_the_order_paid_signal_after_commit():
    # given
    order = place()

    # when: paid inside a transaction that is still open
    with transaction.atomic():
        order_services.mark_order_paid(order_id=order.pk, source="test")
        # then: nothing is numbered before the payment is committed
        assert not Invoice.objects.filter(order=order).exists()

    # and after commit the invoice is there
    assert Invoice.objects.get(order=order).sequence == 1


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_payment_uses_no_invoice_number():
    first, second = place(), place()

    with pytest.raises(RuntimeError), transaction.atomic():
        services.issue_invoice(order_id=pay(first).pk)
        raise RuntimeError("the database transaction fails after the number was taken")

    assert not Invoice.objects.filter(order=first).exists()
    assert services.issue_invoice(order_id=pay(second).pk).sequence == 1


@pytest.mark.django_db
def test_invoice_is_numbered_once_however_often_it_is_asked_for():
    order = pay(place())

    first = services.issue_invoice(order_id=order.pk)
    again = services.issue_invoice(order_id=order.pk)

    assert first.pk == again.pk
    assert Invoice.objects.count() == 1
    assert DocumentCounter.objects.get(series=Series.INVOICE).last_value == 1


@pytest.mark.django_db
def test_unpaid_card_order_cannot_be_invoiced():
    order = place()
    with pytest.raises(services.InvoicingError):
        services.issue_invoice(order_id=order.pk)
    assert not DocumentCounter.objects.filter(last_value__gt=0).exists()


@pytest.mark.django_db
def test_each_year_has_its_own_series():
    # given: last year's invoices went up to 812
    year = timezone.now().year
    DocumentCounter.objects.create(series=Series.INVOICE, year=year - 1, last_value=812)

    # when
    invoice = services.issue_invoice(order_id=pay(place()).pk)

    # then: this year starts at 1
    assert invoice.number == f"INV-{year}-000001"


@pytest.mark.django_db
def test_sweep_issues_the_documents_whose_subscribers_never_ran():
    # given: a paid order and a refund of another, without their documents (their
    # subscribers failed after commit), and a cancelled order that needs none
    order = pay(place())
    refunded = pay(place())
    refund = Refund.objects.create(order=refunded, refund_id="re_sweep", amount=Decimal("100"),
                                   currency="USD")  # fmt: skip
    cancelled = place(payment_method=PaymentMethod.INVOICE)
    order_services.cancel_order(order_id=cancelled.pk, source="test")

    # when
    from storefront.invoicing.tasks import issue_missing_documents_task

    counts = issue_missing_documents_task.delay().get()

    # then
    assert counts == {"invoices": 2, "credit_notes": 1, "errors": 0}
    assert set(Invoice.objects.values_list("order_id", flat=True)) == {order.pk, refunded.pk}
    assert CreditNote.objects.get().refund == refund
    assert issue_missing_documents_task.delay().get() == {
        "invoices": 0, "credit_notes": 0, "errors": 0,
    }  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_sweep_through_the_real_worker_invoices_a_paid_order(celery_worker):
    # given: a paid order whose invoice was never issued
    order = place()
    Order.objects.filter(pk=order.pk).update(status="paid", paid_at=timezone.now())

    # when: the beat task runs on the worker
    from storefront.invoicing.tasks import issue_missing_documents_task

    issue_missing_documents_task.delay()

    # then: the worker, reading the committed order, numbers it
    deadline = time.monotonic() + 30
    while not Invoice.objects.filter(order=order).exists():
        assert time.monotonic() < deadline, "the worker never issued the invoice"
        time.sleep(0.05)
    assert Invoice.objects.get(order=order).number == f"INV-{timezone.now().year}-000001"


def test_orders_and_payments_never_import_invoicing():
    import ast
    from pathlib import Path

    from django.conf import settings

    for app in ("orders", "payments"):
        for module in (Path(settings.BASE_DIR) / "storefront" / app).rglob("*.py"):
            for node in ast.walk(ast.parse(module.read_text())):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom):
                    names = [node.module or ""]
                assert not any("invoicing" in name for name in names), module
