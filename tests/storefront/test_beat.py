"""Beat sends each periodic task once per interval, however many beat processes run."""

import re
import time
from datetime import timedelta

import pytest
from celery.signals import task_prerun
from celery.utils.imports import symbol_by_name
from django.utils import timezone

from reports.models import ReportStatus
from storefront.celery import app
from tests.factories import make_report

PUBLISH = "publish-due-reports"
PUBLISH_TASK = "reports.tasks.publish_due_reports"


def a_beat(tmp_path, name: str):
    """A beat process's scheduler as `celery -A storefront beat` builds it."""
    app.loader.import_default_modules()  # as beat does at start: the shop's tasks
    scheduler_class = symbol_by_name(app.conf.beat_scheduler)
    return scheduler_class(app=app, schedule_filename=str(tmp_path / f"{name}-schedule"))


@pytest.fixture
def task_runs():
    """Names of the tasks run in this process, in order (Celery's own signal)."""
    runs = []

    def note(sender=None, **kwargs):
        runs.append(sender.name)

    task_prerun.connect(note, weak=False)
    yield runs
    task_prerun.disconnect(note)


@pytest.mark.django_db
def test_two_beats_run_a_due_sweep_once(tmp_path, task_runs):
    # given two hosts started with a beat each, and a report due for publication
    first, second = a_beat(tmp_path, "first"), a_beat(tmp_path, "second")
    due = make_report(status=ReportStatus.SCHEDULED, publish_at=timezone.now() - timedelta(minutes=1))
    try:
        # when both find the entry due at the same moment
        first.apply_entry(first.schedule[PUBLISH], producer=None)
        second.apply_entry(second.schedule[PUBLISH], producer=None)
    finally:
        first.close()
        second.close()
    # then the sweep ran once, and did its work
    assert task_runs == [PUBLISH_TASK]
    due.refresh_from_db()
    assert due.status == ReportStatus.PUBLISHED


@pytest.mark.django_db
def test_every_beat_sends_while_the_cache_is_down(tmp_path, task_runs, settings):
    # given the shared cache unreachable (sweeps are idempotent: a duplicate is
    # harmless, a missed run would leave work undone)
    settings.CACHES = {
        "default": {
            "BACKEND": "storefront.cache.FailFastRedisCache",
            "LOCATION": "redis://127.0.0.1:1/1",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    first, second = a_beat(tmp_path, "first"), a_beat(tmp_path, "second")
    try:
        # when both beats find the entry due
        first.apply_entry(first.schedule[PUBLISH], producer=None)
        second.apply_entry(second.schedule[PUBLISH], producer=None)
    finally:
        first.close()
        second.close()
    # then each sent it
    assert task_runs == [PUBLISH_TASK, PUBLISH_TASK]


def test_a_beat_entry_is_locked_for_just_under_its_interval(tmp_path):
    beat = a_beat(tmp_path, "only")
    try:
        from storefront.celery import beat_lock_seconds

        # the beat holding the lock finds it gone at its next run, another beat
        # that comes later within the interval finds it held
        assert beat_lock_seconds(beat.schedule[PUBLISH]) == 54
        assert beat_lock_seconds(beat.schedule["issue-missing-invoices"]) == 540
    finally:
        beat.close()


@pytest.mark.django_db(transaction=True)
def test_two_beats_put_one_message_on_the_sweeps_queue(tmp_path, real_broker, celery_test_queue):
    import redis

    # given tasks going to a queue no worker consumes
    queue = f"{celery_test_queue}-beats"
    real_broker.conf.task_default_queue = queue  # restored by the real_broker fixture
    first, second = a_beat(tmp_path, "first"), a_beat(tmp_path, "second")
    client = redis.Redis.from_url(real_broker.conf.broker_url)
    try:
        # when two beats send the same due entry
        with real_broker.producer_or_acquire() as producer:
            first.apply_entry(first.schedule[PUBLISH], producer=producer)
            second.apply_entry(second.schedule[PUBLISH], producer=producer)
        # then one message waits on the sweeps queue
        assert client.llen(f"{queue}.sweeps") == 1
    finally:
        first.close()
        second.close()
        from tests.celery_worker import purge_queue

        purge_queue(real_broker.conf.broker_url, queue)
        client.close()


@pytest.mark.django_db(transaction=True)
def test_two_beats_have_the_real_worker_run_a_sweep_once(tmp_path, celery_worker):
    # given two beats and a report due for publication
    due = make_report(status=ReportStatus.SCHEDULED, publish_at=timezone.now() - timedelta(minutes=1))
    first, second = a_beat(tmp_path, "first"), a_beat(tmp_path, "second")
    start = celery_worker.log_offset()
    try:
        # when both send the due entry, then one of them another entry after it
        first.apply_entry(first.schedule[PUBLISH], producer=None)
        second.apply_entry(second.schedule[PUBLISH], producer=None)
        second.apply_entry(second.schedule["sweep-fresh-links"], producer=None)
    finally:
        first.close()
        second.close()
    # then, once the worker (one process, first in first out) finished the later
    # entry, it had received and run the sweep once
    log = celery_worker.wait_for_log("sweep_fresh_links_task", start=start, timeout=20)
    finished = re.compile(r"Task storefront\.delivery\.tasks\.sweep_fresh_links_task\[\S+\] succeeded")
    deadline = time.monotonic() + 20
    while not finished.search(log) and time.monotonic() < deadline:
        time.sleep(0.05)
        log = celery_worker.log_text(start)
    assert finished.search(log), log
    assert len(re.findall(rf"Task {re.escape(PUBLISH_TASK)}\[\S+\] received", log)) == 1
    due.refresh_from_db()
    assert due.status == ReportStatus.PUBLISHED
