"""A real Celery worker on Redis for tests of task paths (the eager run is the suite's default).

House rule: a task path is tested once with eager tasks and once through a real
worker. For the second run::

    @pytest.mark.django_db(transaction=True)      # the worker must see committed rows
    def test_it(celery_worker, smtp_sink):
        place_an_order()                          # on-commit hook -> Redis -> worker
        [received] = smtp_sink.wait_for(1)

Fixtures:

- ``celery_worker``: a ``WorkerProcess`` running ``python -m celery -A storefront worker``
  with ``tests.worker_settings``, on the pytest-django test database, sending mail
  to the session's SMTP sink. One worker serves the whole session; it starts on
  first use. Using it also turns on ``real_broker`` for the test, and the part of
  the worker's log written during the test is attached to the test report (pytest
  shows it under "celery worker log" when the test fails; ``-rP`` for passes too).
- ``real_broker``: this process sends tasks to Redis instead of running them
  eagerly: ``CELERY_TASK_ALWAYS_EAGER`` off in Django's settings and in the live
  Celery app, and the session's own queue as default queue; restored afterwards.
  The shop's queues follow the default queue (tests/celery_routing.py): a delivery
  goes to ``<default queue>.delivery``, an acknowledgement to ``<default queue>.mail``;
  set ``real_broker.conf.task_default_queue`` to send every task to another worker.
- ``celery_test_queue``: the name of that queue (unique per session, so parallel
  sessions and a development worker on the same Redis never take each other's
  tasks); it and the shop's queues under it are purged before use and deleted at
  the end.
- ``running_worker(...)``: the context manager behind them, for a worker with
  other options (``pool="prefork", concurrency=2``, extra environment); it
  consumes ``queue`` and the shop's queues under it.

Skips, with the reason, when REDIS_URL is unset (``make test`` and CI set it) or
when the database is not PostgreSQL (a worker process cannot share pytest's
SQLite test database).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.celery_routing import session_queues

__all__ = [
    "WorkerProcess",
    "celery_test_queue",
    "celery_worker",
    "real_broker",
    "running_worker",
]

REPO_ROOT = Path(__file__).resolve().parent.parent
READY_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0

_WORKER_LOG = pytest.StashKey[tuple["WorkerProcess", int]]()


def redis_url_or_skip() -> str:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        pytest.skip(
            "REDIS_URL is not set: the real-worker tests need Redis "
            "(`make test` and CI set REDIS_URL=redis://127.0.0.1:6379/0)."
        )
    return url


def postgresql_or_skip() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip(
            f"The real-worker tests need PostgreSQL (DATABASE_URL=postgres://...); the "
            f"database is {connection.vendor}, whose test database a worker process "
            f"cannot share."
        )


def _redis(redis_url: str):
    import redis

    return redis.Redis.from_url(redis_url)


def purge_queue(redis_url: str, queue: str) -> None:
    """Drop the messages and bindings of the queue and of the shop's queues under it
    (kombu's Redis layout; a queue's exchange has the queue's name)."""
    client = _redis(redis_url)
    try:
        for name in session_queues(queue):
            priority_keys = [f"{name}\x06\x16{priority}" for priority in range(1, 10)]
            client.delete(
                name, *priority_keys,
                f"_kombu.binding.{name}", f"_kombu.binding_permanent.{name}",
            )
    finally:
        client.close()


class WorkerProcess:
    """A started ``celery worker`` subprocess and its log file."""

    def __init__(self, process: subprocess.Popen, log_path: Path, hostname: str, queue: str):
        self.process = process
        self.log_path = log_path
        self.hostname = hostname
        self.queue = queue

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def log_offset(self) -> int:
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def log_text(self, start: int = 0) -> str:
        with open(self.log_path, "rb") as log:
            log.seek(start)
            return log.read().decode("utf-8", "replace")

    def wait_for_log(self, text: str, *, start: int = 0, timeout: float = 10.0) -> str:
        """Wait until ``text`` appears in the log after offset ``start``; returns the log."""
        deadline = time.monotonic() + timeout
        while True:
            log = self.log_text(start)
            if text in log:
                return log
            if not self.alive:
                raise AssertionError(
                    f"celery worker exited ({self.process.returncode}) before logging "
                    f"{text!r}:\n{log}"
                )
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not in the worker log after {timeout}s:\n{log}")
            time.sleep(0.05)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Warm shutdown (SIGTERM); SIGKILL when it does not end within ``timeout``."""
        if not self.alive:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


@contextlib.contextmanager
def running_worker(
    *,
    database_name: str,
    email_url: str,
    redis_url: str,
    queue: str,
    log_path: Path,
    pool: str = "solo",
    concurrency: int | None = None,
    extra_env: dict[str, str] | None = None,
    ready_timeout: float = READY_TIMEOUT,
    cwd: Path | None = None,
) -> Iterator[WorkerProcess]:
    """Start a worker for ``queue`` and the shop's queues under it, wait until it is
    ready, stop it on exit."""
    hostname = f"{queue}@%h"
    command = [
        sys.executable, "-m", "celery", "-A", "storefront", "worker",
        f"--pool={pool}", "--loglevel=INFO", "-Q", ",".join(session_queues(queue)),
        "-n", hostname,
        "--without-heartbeat", "--without-gossip", "--without-mingle",
    ]
    if concurrency:
        command.append(f"--concurrency={concurrency}")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.worker_settings",
        "TEST_DATABASE_NAME": database_name,
        "EMAIL_URL": email_url,
        "REDIS_URL": redis_url,
        "CELERY_TEST_QUEUE": queue,
        "PYTHONPATH": os.pathsep.join(
            [str(REPO_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
        ),
        "PYTHONUNBUFFERED": "1",
        **(extra_env or {}),
    }
    env.pop("EMAIL_BACKEND", None)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command, cwd=cwd or REPO_ROOT, env=env, stdin=subprocess.DEVNULL,
            stdout=log, stderr=subprocess.STDOUT,
        )
    worker = WorkerProcess(process, log_path, hostname, queue)
    try:
        # Celery logs "celery@<host> ready." once it consumes from the queue.
        worker.wait_for_log(" ready.", timeout=ready_timeout)
        yield worker
    finally:
        worker.stop()


# --- Fixtures ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def celery_test_queue():
    """This session's queue name; purged before and deleted after the session."""
    redis_url = redis_url_or_skip()
    queue = f"storefront-test-{uuid.uuid4().hex[:12]}"
    purge_queue(redis_url, queue)
    yield queue
    purge_queue(redis_url, queue)


@pytest.fixture
def real_broker(settings, celery_test_queue):
    """Send tasks from this process to Redis (the session's queue) instead of running them."""
    from storefront.celery import app

    redis_url = redis_url_or_skip()
    # Read before Django's setting changes: the app's configuration looks settings up
    # through to django.conf.settings, so reading after would save False and leave
    # every later test running tasks on the broker instead of eagerly.
    saved = {
        key: app.conf[key]
        for key in ("task_always_eager", "broker_url", "task_default_queue")
    }
    settings.CELERY_TASK_ALWAYS_EAGER = False
    if saved["broker_url"] != redis_url:
        _drop_broker_connections(app)
    app.conf.update(
        task_always_eager=False, broker_url=redis_url, task_default_queue=celery_test_queue
    )
    yield app
    if saved["broker_url"] != redis_url:
        _drop_broker_connections(app)
    app.conf.update(saved)


def _drop_broker_connections(app) -> None:
    """Forget pooled connections made for another broker URL."""
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    if "amqp" in app.__dict__:
        app.amqp._producer_pool = None


@pytest.fixture(scope="session")
def _celery_worker_process(request, tmp_path_factory, celery_test_queue, smtp_sink_server):
    redis_url = redis_url_or_skip()
    postgresql_or_skip()
    # The worker stops before pytest-django drops the test database.
    request.getfixturevalue("django_db_setup")
    from django.conf import settings
    from django.db import connection

    log_path = tmp_path_factory.mktemp("celery-worker") / "worker.log"
    with running_worker(
        database_name=connection.settings_dict["NAME"],
        email_url=smtp_sink_server.url,
        redis_url=redis_url,
        queue=celery_test_queue,
        log_path=log_path,
        extra_env={"PRIVATE_MEDIA_ROOT": str(settings.PRIVATE_MEDIA_ROOT)},
    ) as worker:
        yield worker


@pytest.fixture
def celery_worker(request, _celery_worker_process, real_broker):
    """The session's real worker; this test's part of its log goes into the report."""
    worker = _celery_worker_process
    if not worker.alive:
        pytest.fail(f"The celery worker has exited:\n{worker.log_text()}", pytrace=False)
    request.node.stash[_WORKER_LOG] = (worker, worker.log_offset())
    return worker


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    entry = item.stash.get(_WORKER_LOG, None)
    if entry is not None and report.when == "call":
        worker, start = entry
        report.sections.append(("celery worker log", worker.log_text(start) or "(empty)"))
    return report
