"""A worker keeps its database connection between tasks, as a web process keeps one
between requests (storefront/celery.py, close_old_database_connections).

Celery's Django fixup closes every connection around every task unless
CELERY_DB_REUSE_MAX is set; each delivery then paid for a new connection and a new
PostgreSQL backend. The worker's connections are told apart by their
application_name (libpq's PGAPPNAME, given to the worker only).
"""

import time
import uuid

import pytest
from django.conf import settings
from django.db import connection

from storefront.orders.tasks import send_proforma_invoice_task
from tests.celery_worker import postgresql_or_skip, purge_queue, running_worker
from tests.orders.test_tasks_worker import place_invoice_order, wait_until_proforma_marked


def backends(application_name: str) -> list[tuple]:
    """(pid, backend_start) of the test database's connections with that name."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, backend_start FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = %s ORDER BY pid",
            [application_name],
        )
        return cursor.fetchall()


def wait_for_backends(application_name: str, expected: int, timeout: float = 10.0) -> list[tuple]:
    deadline = time.monotonic() + timeout
    while len(found := backends(application_name)) != expected:
        assert time.monotonic() < deadline, f"{len(found)} connections of the worker, not {expected}"
        time.sleep(0.05)
    return found


@pytest.fixture
def own_worker(real_broker, smtp_sink, tmp_path):
    """Start a worker (solo pool: one process) on a queue of its own, with extra settings."""
    postgresql_or_skip()
    queue = f"storefront-test-conn-{uuid.uuid4().hex[:12]}"
    real_broker.conf.task_default_queue = queue  # restored by the real_broker fixture

    def start(**extra_env):
        return running_worker(
            database_name=connection.settings_dict["NAME"], email_url=smtp_sink.url,
            redis_url=settings.CELERY_BROKER_URL, queue=queue,
            log_path=tmp_path / "worker.log", extra_env=extra_env,
        )

    yield start
    purge_queue(settings.CELERY_BROKER_URL, queue)


@pytest.mark.django_db(transaction=True)
def test_a_worker_keeps_its_database_connection_for_the_next_task(own_worker, smtp_sink):
    name = f"worker-kept-{uuid.uuid4().hex[:8]}"
    with own_worker(WORKER_CONN_MAX_AGE="60", PGAPPNAME=name):
        first = place_invoice_order("en")
        wait_until_proforma_marked(first, timeout=15)
        [kept] = wait_for_backends(name, 1)  # the connection outlived the task

        second = place_invoice_order("en")
        wait_until_proforma_marked(second, timeout=15)
        assert backends(name) == [kept]  # the next task used the same backend
    wait_for_backends(name, 0)  # and it went with the worker
    assert len(smtp_sink.wait_for(2, timeout=5)) == 2


@pytest.mark.django_db(transaction=True)
def test_with_conn_max_age_zero_a_worker_closes_its_connection_after_each_task(
    own_worker, smtp_sink
):
    name = f"worker-closed-{uuid.uuid4().hex[:8]}"
    with own_worker(WORKER_CONN_MAX_AGE="0", PGAPPNAME=name):
        order = place_invoice_order("en")
        wait_until_proforma_marked(order, timeout=15)
        wait_for_backends(name, 0)  # closed after the task, while the worker runs on
        smtp_sink.wait_for(1, timeout=5)


@pytest.mark.django_db
def test_an_eager_task_leaves_the_callers_connection_and_transaction_alone(mailoutbox):
    postgresql_or_skip()
    # given: an order made inside the test's transaction (never committed)
    order = place_invoice_order("en")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        [pid] = cursor.fetchone()

    # when: a task runs eagerly in this process (its prerun and postrun signals fire)
    send_proforma_invoice_task.apply(args=[order.pk])

    # then: the same connection, still in the test's transaction, sees the order
    assert connection.in_atomic_block
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone() == (pid,)
    order.refresh_from_db()
    assert order.proforma_sent_at is not None
    assert [order.number in m.subject for m in mailoutbox] == [True]
