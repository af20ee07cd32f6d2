#!/usr/bin/env python
"""Paid webhook → delivery mail with a download link: latency through Redis and a real
Celery worker (median, p95, max), with the stamping time per order.

    .venv/bin/python bench/delivery_latency.py [--orders 50] [--senders 4]
        [--pool prefork|threads|solo] [--concurrency 3] [--prefetch-multiplier N] [--pace mail]
        [--database-url postgres://postgres@127.0.0.1:5432/storefront_bench_delivery]
        [--redis-url redis://127.0.0.1:6379/14] [--storage local|bucket|both]

The project's goal: **p95 of webhook sent → mail received under one second**.

What it does, in order:

1. drops and recreates the benchmark database (its name must contain "bench", the host
   must be local), migrates it and runs `seed_demo` **with PDFs** into a fresh
   temporary PRIVATE_MEDIA_ROOT (so product 1994249 has its 196-page master);
   empties the Redis database of --redis-url (a bench number, never 0) with FLUSHDB;
2. starts, all on 127.0.0.1: the suite's Stripe-compatible server
   (tests/stripe_server.py) and SMTP sink (tests/smtp_sink.py's SMTPSink, run
   standalone; a subclass notes when each message's DATA ends) as threads of this
   process (by default with TCP_NODELAY on the sink's sockets, as a real MTA answers:
   as the suite has it, the sink's EHLO answer waits ~40 ms for a delayed ACK, see
   --sink-nagle); ONE Celery worker (`celery -A storefront worker --pool=prefork -c 3` by
   default, or `--pool solo`); gunicorn (`storefront.wsgi`, 2 sync workers). Worker and
   gunicorn get the same environment: the shop's own settings, DEBUG off with a
   benchmark-only secret key, STRIPE_* pointing at the Stripe server, REDIS_URL (broker,
   result store, cache), EMAIL_URL = the sink, SITE_URL = the gunicorn address,
   PRIVATE_MEDIA_ROOT = the temporary directory;
3. in this process (Django, the same database and settings): places pending card
   orders for 1994249 with `orders.services.place_order`, opens their Checkout Sessions
   with `payments.services.start_card_checkout` (HTTP to the Stripe server), pays each
   session at the server without a webhook and builds its `checkout.session.completed`
   event; buyers alternate between the English and the Chinese site (Chinese names are
   stamped with the CJK font);
4. sends each order's signed webhook to gunicorn and waits for the delivery mail that
   carries the order's number and a /downloads/ link:
   a. warm-up: --warmup orders, 2 senders (both gunicorn workers and both pool
      processes import what they need); reported apart, not in the figures;
   b. sequential: --orders orders, one sender;
   c. concurrent: --orders more, --senders senders at once.
   With `--pace mail` (default) a sender sends its next webhook once the mail of its
   previous order arrived (each latency is one order's way through the system, with
   1 or --senders orders in flight); with `--pace response` it sends the next as soon as
   gunicorn answered (a burst: the worker's queue builds up and latency includes it);
   `--pace burst` paces the sequential pass by mail and the concurrent one by response
   (one at a time, then a burst of --orders, in one run);
5. verifies: one delivery mail per order and no other mail, every order DELIVERED, not
   flagged, one stamped copy per order, every link in the mails answers 200 with a PDF
   of the stamped copy's size and page count (downloaded through gunicorn; with a bucket,
   a 302 to a presigned bucket URL, then that URL), one session
   re-fetch per webhook at the Stripe server, no error or retry in the logs;
6. reads the worker log: the stamping time of each order (the "stamped … N ms" lines,
   matched to orders by licence id) and when stamping started, for the breakdown;
7. prints the tables, writes bench/results/delivery-latency.json; one of them is the CPU
   (user + system) per order of each process group while each pass ran: gunicorn, the
   Celery worker's main and pool processes, the bench database's PostgreSQL backends,
   the shared PostgreSQL server processes and Redis, and this process
   (bench/cpu_groups.py reads /proc; robust under load, unlike the latencies).

Storage (--storage): `local` (default) keeps the PDFs in the temporary
PRIVATE_MEDIA_ROOT. `bucket` starts a SeaweedFS S3 server on free 127.0.0.1 ports
(tests/s3_server.py's S3Server), creates a bucket and gives migrate / seed_demo, gunicorn,
the worker and this process the AWS_* environment of it: masters, stamped copies and
every other private file live in the bucket, and the verification follows the download
view's 302 to the presigned URL and checks the PDF the bucket answers. `both` runs
local, then bucket, each as a child run of this script (one after the other, each with
the whole --time-limit), and prints their figures side by side.

All traffic goes to 127.0.0.1. gunicorn and the worker run in their own process groups
and are stopped on exit, on errors, on Ctrl-C / SIGTERM and when the whole run exceeds
--time-limit (default 330 s); the Stripe server and the sink stop with this process.
The database is dropped and the temporary media removed at the end (--keep keeps both).
"""

from __future__ import annotations

import argparse
import atexit
import email
import email.header
import email.policy
import functools
import http.client
import io
import json
import math
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict, deque
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from bench.cpu_groups import CpuAccount  # noqa: E402
from bench.processes import Processes, free_port  # noqa: E402  (needs ROOT on sys.path)
RESULTS = ROOT / "bench" / "results"
RESULT_FILE = RESULTS / "delivery-latency.json"
WORKER_LOG = RESULTS / "delivery-worker.log"
GUNICORN_LOG = RESULTS / "delivery-gunicorn.log"
INPROCESS_LOG = RESULTS / "delivery-inprocess.log"
BUCKET_NAME = "storefront-bench-delivery"
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
PRODUCT_CODE = "1994249"
GOAL_SECONDS = 1.0  # p95 of webhook sent → mail received
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/storefront_bench_delivery"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
WEBHOOK_PATH = "/stripe/webhook/"
SECRET_KEY = "benchmark-only-secret-key-not-for-production-0123456789"
CACHE_KEY_PREFIX = "storefront-bench-delivery"
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")
ORDER_NUMBER_RE = re.compile(r"MR-\d{6}-[0-9A-F]{6}")
# "[2026-11-24 18:00:47,123: INFO/ForkPoolWorker-1] stamped masters/1994249-….pdf for
# licence L-0A1B2C3D4E5F: 197 pages, 1234567 bytes, 183 ms" (storefront.delivery.stamping)
STAMP_RE = re.compile(
    r"(?P<ts>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3}).*?stamped (?P<master>\S+) for licence "
    r"(?P<licence>L-[0-9A-F]+): (?P<pages>\d+) pages, (?P<bytes>\d+) bytes, (?P<ms>\d+) ms"
)
TASK_DONE_RE = re.compile(
    r"Task storefront\.delivery\.tasks\.deliver_order_task\[[^\]]+\] succeeded in (?P<s>[\d.]+)s"
)
TROUBLE_RE = re.compile(r"\b(ERROR|CRITICAL|WARNING)\b|Traceback|Retry in|retry:", re.IGNORECASE)


# --- Processes ----------------------------------------------------------------------


PROCESSES = Processes()


def _exit_on_signal(signum, _frame):
    if signum == signal.SIGALRM:
        print("\ntime limit of the whole run reached: stopping everything", file=sys.stderr, flush=True)
    else:
        print(f"\nsignal {signum}: stopping gunicorn and the worker", file=sys.stderr, flush=True)
    raise SystemExit(128 + signum)


def run(args, env, *, timeout, quiet=True) -> str:
    """Run a setup command; errors are fatal (with the end of its output)."""
    started = time.perf_counter()
    print(f"  $ {' '.join(str(a) for a in args)}", flush=True)
    try:
        result = subprocess.run(
            args, cwd=ROOT, env=env, timeout=timeout, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True,
        )
    except subprocess.TimeoutExpired:
        raise SystemExit(f"command took longer than {timeout} s: {' '.join(map(str, args))}")
    if result.returncode != 0:
        print(result.stdout[-4000:])
        raise SystemExit(f"command failed ({result.returncode}): {' '.join(map(str, args))}")
    if not quiet and result.stdout.strip():
        print(result.stdout.rstrip())
    print(f"    ({time.perf_counter() - started:.1f} s)", flush=True)
    return result.stdout


# --- Database and Redis -------------------------------------------------------------


def check_database_url(database_url: str) -> tuple[str, str]:
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    if parts.scheme not in {"postgres", "postgresql"} or not name:
        raise SystemExit(f"--database-url must be a postgres:// URL with a database name: {database_url}")
    if "bench" not in name:
        raise SystemExit(f"refusing to drop database {name!r}: its name must contain 'bench'")
    if parts.hostname not in {"127.0.0.1", "localhost", "::1"}:
        raise SystemExit("the benchmark database must be on 127.0.0.1")
    admin_url = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))
    return name, admin_url


def recreate_database(database_url: str):
    import psycopg

    name, admin_url = check_database_url(database_url)
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    print(f"  database {name} recreated", flush=True)


def drop_database(database_url: str):
    import psycopg

    name, admin_url = check_database_url(database_url)
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(f"database {name} dropped", flush=True)


def check_redis_url(redis_url: str) -> int:
    parts = urlsplit(redis_url)
    if parts.scheme != "redis" or parts.hostname not in {"127.0.0.1", "localhost", "::1"}:
        raise SystemExit("--redis-url must be redis://127.0.0.1:<port>/<db>")
    path = parts.path.strip("/")
    if not path.isdigit() or int(path) == 0:
        raise SystemExit("--redis-url needs an explicit database number other than 0 "
                         "(the benchmark empties it with FLUSHDB)")
    return int(path)


def count_result_keys(redis_url: str) -> int:
    """Task results Celery stored (deliver_order_task returns None; nobody reads them)."""
    import redis

    client = redis.Redis.from_url(redis_url, socket_timeout=10)
    try:
        return sum(1 for _ in client.scan_iter(match="celery-task-meta-*", count=1000))
    finally:
        client.close()


def flush_redis(redis_url: str):
    import redis

    client = redis.Redis.from_url(redis_url, socket_timeout=10)
    try:
        client.flushdb()
    finally:
        client.close()


# --- Mail sink ----------------------------------------------------------------------


@dataclass
class Arrival:
    perf: float  # time.perf_counter() when the message's DATA ended
    wall: float  # time.time(), the same moment
    number: str | None  # the order number found in subject or text
    subject: str
    rcpt_tos: list[str]
    text: str


def _subject_and_text(data: bytes) -> tuple[str, str]:
    """A mail's decoded subject and its first text/plain part, read with the compat32
    parser (what ReceivedMessage.subject and .text_body() give for the shop's mails)."""
    message = email.message_from_bytes(data)
    subject = str(email.header.make_header(email.header.decode_header(message.get("subject", ""))))
    for part in message.walk():
        if part.get_content_type() == "text/plain" and not part.is_multipart():
            payload = part.get_payload(decode=True) or b""
            return subject, payload.decode(part.get_content_charset() or "utf-8", "replace")
    return subject, ""


def make_sink(nagle: bool):
    from tests.smtp_sink import ReceivedMessage, SMTPSink, _SMTPHandler

    class NoDelayHandler(_SMTPHandler):
        """The sink's handler with TCP_NODELAY: it writes each line of a multi-line reply
        (EHLO) with its own send, so with Nagle on, the second line waits for the
        client's delayed ACK (~40 ms on Linux) — a stall a real MTA, which writes the
        whole reply at once, does not have."""

        def setup(self):
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            super().setup()

    class _LazyMessage(ReceivedMessage):
        """A received message parsed (email.policy.default) on first use."""

        def __init__(self, mail_from, rcpt_tos, data):
            self.mail_from, self.rcpt_tos, self.data = mail_from, rcpt_tos, data

        @functools.cached_property
        def message(self):
            return email.message_from_bytes(self.data, policy=email.policy.default)

    class TimedSink(SMTPSink):
        """The suite's SMTP sink; notes the arrival time of each message first."""

        def __init__(self):
            super().__init__()
            self.arrivals: list[Arrival] = []
            self.by_number: dict[str, list[Arrival]] = defaultdict(list)

        def _deliver(self, mail_from, rcpt_tos, data):
            perf, wall = time.perf_counter(), time.time()
            # Read with the compat32 parser: the subject and the text are all the
            # checks need, and email.policy.default's parser took 1.8 ms of CPU per
            # mail (0.2 here) on the cores the shop shares with this process during a
            # burst. The parsed message of the suite's sink is built when asked for.
            received = _LazyMessage(mail_from, list(rcpt_tos), data)
            try:
                subject, text = _subject_and_text(data)
            except Exception:  # noqa: BLE001 - kept as unreadable, reported in the checks
                subject, text = "", ""
            found = ORDER_NUMBER_RE.search(subject) or ORDER_NUMBER_RE.search(text)
            arrival = Arrival(perf, wall, found.group(0) if found else None, subject,
                              list(rcpt_tos), text)
            with self._condition:
                self._messages.append(received)
                self.arrivals.append(arrival)
                if arrival.number:
                    self.by_number[arrival.number].append(arrival)
                self._condition.notify_all()

        def wait_for_order(self, number: str, timeout: float) -> Arrival | None:
            with self._condition:
                if self._condition.wait_for(lambda: number in self.by_number, timeout):
                    return self.by_number[number][0]
                return None

        def snapshot(self) -> tuple[list[Arrival], dict[str, list[Arrival]]]:
            with self._condition:
                return list(self.arrivals), {k: list(v) for k, v in self.by_number.items()}

    sink = TimedSink()
    if not nagle:
        sink._server.RequestHandlerClass = NoDelayHandler
    return sink.start()


# --- Bucket ---------------------------------------------------------------------------


def use_bucket_logs():
    """A bucket run keeps its own worker / gunicorn / in-process logs (`both` runs
    local first: its logs stay)."""
    global WORKER_LOG, GUNICORN_LOG, INPROCESS_LOG
    WORKER_LOG = RESULTS / "delivery-bucket-worker.log"
    GUNICORN_LOG = RESULTS / "delivery-bucket-gunicorn.log"
    INPROCESS_LOG = RESULTS / "delivery-bucket-inprocess.log"


def start_bucket(directory: Path):
    """tests/s3_server.py's SeaweedFS server (free 127.0.0.1 ports) with the bench's bucket."""
    from tests.s3_server import S3Server

    started = time.perf_counter()
    # weed writes its glog files to $TMPDIR: into the server's own folder, removed at the end.
    tmpdir = os.environ.get("TMPDIR")
    os.environ["TMPDIR"] = str(directory)
    try:
        server = S3Server(directory).start()
    finally:
        if tmpdir is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = tmpdir
    atexit.register(server.stop)  # also stopped in main()'s finally; stop() is idempotent
    server.create_bucket(BUCKET_NAME)
    print(f"  SeaweedFS S3 {server.endpoint_url}, bucket {BUCKET_NAME} "
          f"({time.perf_counter() - started:.1f} s; log {directory / 'weed.log'})", flush=True)
    return server


def bucket_objects(server) -> Counter:
    """Objects in the bench's bucket by top folder (masters/, stamped/, ...)."""
    client = server.client()
    counts: Counter = Counter()
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET_NAME):
        for item in page.get("Contents", []):
            counts[item["Key"].split("/", 1)[0]] += 1
    return counts


# --- Setup ----------------------------------------------------------------------------


STORAGE_VARIABLES = ("AWS_STORAGE_BUCKET_NAME", "AWS_S3_ENDPOINT_URL", "AWS_ACCESS_KEY_ID",
                     "AWS_SECRET_ACCESS_KEY", "AWS_S3_REGION_NAME", "AWS_S3_ADDRESSING_STYLE",
                     "AWS_QUERYSTRING_EXPIRE", "AWS_S3_CONNECT_TIMEOUT", "AWS_S3_READ_TIMEOUT",
                     "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_REGION")


def bench_environment(args, stripe, sink, port: int, media: Path, bucket=None) -> dict:
    drop = {"REDIS_URL", "EMAIL_URL", "EMAIL_BACKEND", "DJANGO_SETTINGS_MODULE",
            "CATALOGUE_CACHE_SECONDS", *PROXY_VARIABLES, *STORAGE_VARIABLES}
    env = {key: value for key, value in os.environ.items() if key not in drop}
    env.update(
        DATABASE_URL=args.database_url,
        DJANGO_SETTINGS_MODULE="storefront.settings",  # the shop's own settings
        DJANGO_SECRET_KEY=SECRET_KEY,
        DJANGO_DEBUG="0",
        DJANGO_SECURE_SSL_REDIRECT="0",  # plain HTTP on 127.0.0.1, no TLS proxy in front
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        SITE_URL=f"http://{HOST}:{port}",
        STRIPE_SECRET_KEY=stripe.api_key,
        STRIPE_WEBHOOK_SECRET=stripe.webhook_secret,
        STRIPE_API_BASE=stripe.url,
        REDIS_URL=args.redis_url,
        CACHE_KEY_PREFIX=CACHE_KEY_PREFIX,
        EMAIL_URL=sink.url,
        PRIVATE_MEDIA_ROOT=str(media),
        LOG_LEVEL="INFO",  # the stamping lines are INFO
        NO_PROXY="127.0.0.1,localhost",
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONUNBUFFERED="1",
        PYTHONPATH=str(ROOT),
    )
    if bucket is not None:
        env.update(bucket.storage_environment(BUCKET_NAME))
    return env


def setup_environment(env: dict) -> dict:
    """migrate / seed_demo: no broker, no SMTP (nothing of theirs should go anywhere)."""
    setup = {k: v for k, v in env.items() if k not in {"REDIS_URL", "EMAIL_URL"}}
    setup["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    return setup


def prepare_database(args, env):
    python = [sys.executable, "manage.py"]
    print("Preparing the benchmark database", flush=True)
    recreate_database(args.database_url)
    setup = setup_environment(env)
    run([*python, "migrate", "--no-input", "-v0"], setup, timeout=300)
    output = run([*python, "seed_demo"], setup, timeout=300)
    seeded = [line for line in output.splitlines() if "PDF" in line or "ready" in line]
    for line in seeded[-4:]:
        print(f"    {line.strip()}")
    missing_mo = [po for po in (ROOT / "locale").glob("*/LC_MESSAGES/*.po")
                  if not po.with_suffix(".mo").exists()]
    if missing_mo:
        print("  note: no compiled translations (.mo); Chinese mails go out in English "
              "(make messages)", flush=True)


def setup_django(env: dict):
    for key in ("REDIS_URL", "EMAIL_URL", "EMAIL_BACKEND", *PROXY_VARIABLES, *STORAGE_VARIABLES):
        os.environ.pop(key, None)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import logging
    import warnings

    import django
    import pikepdf  # noqa: F401 - imported first: its import-time INFO line stays off the console

    warnings.filterwarnings("ignore", message="No directory at")  # whitenoise, no static
    django.setup()
    # The shop logs to the console; in this process those lines go to a file.
    log = open(INPROCESS_LOG, "w")
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
            handler.setStream(log)


def master_facts() -> dict:
    from reports.models import Report

    report = Report.objects.get(product_code=PRODUCT_CODE)
    if not report.master_pdf:
        raise SystemExit(f"{PRODUCT_CODE} has no master PDF after seed_demo")
    import pikepdf

    with report.master_pdf.open("rb") as master, pikepdf.open(master) as pdf:
        pages = len(pdf.pages)
    return {"product_code": PRODUCT_CODE, "file": report.master_pdf.name,
            "pages": pages, "bytes": report.master_pdf.size}


def start_worker(args, env) -> subprocess.Popen:
    command = [
        str(BIN / "celery"), "-A", "storefront", "worker", f"--pool={args.pool}",
        "--loglevel=INFO", "-Q", "delivery,mail,celery", "-n", "delivery-bench@%h",
        "--without-heartbeat", "--without-gossip", "--without-mingle",
    ]
    if args.pool in ("prefork", "threads"):
        command.insert(5, f"--concurrency={args.concurrency}")
    if args.prefetch_multiplier is not None:
        command.append(f"--prefetch-multiplier={args.prefetch_multiplier}")
    log = open(WORKER_LOG, "wb")
    print(f"  $ {' '.join(command[1:])}", flush=True)
    process = PROCESSES.start(command, name="celery worker", cwd=ROOT, env=env,
                              stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the celery worker exited ({process.returncode}); see {WORKER_LOG}")
        if b" ready." in WORKER_LOG.read_bytes():
            return process
        time.sleep(0.1)
    raise SystemExit(f"the celery worker was not ready within 60 s; see {WORKER_LOG}")


def start_gunicorn(args, env, port) -> subprocess.Popen:
    command = [
        str(BIN / "gunicorn"), "storefront.wsgi",
        "--workers", str(args.workers), "--worker-class", "sync",
        "--bind", f"{HOST}:{port}", "--log-level", "warning",
    ]
    log = open(GUNICORN_LOG, "wb")
    print(f"  $ {' '.join(command[1:])}", flush=True)
    process = PROCESSES.start(command, name="gunicorn", cwd=ROOT, env=env,
                              stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited ({process.returncode}); see {GUNICORN_LOG}")
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=5)
            connection.request("GET", "/healthz")
            ok = connection.getresponse().status == 200
            connection.close()
            if ok:
                for _ in range(4 * args.workers):  # every worker has answered once
                    connection = http.client.HTTPConnection(HOST, port, timeout=5)
                    connection.request("GET", "/healthz")
                    connection.getresponse().read()
                    connection.close()
                return process
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer /healthz within 30 s; see {GUNICORN_LOG}")


# --- Orders ---------------------------------------------------------------------------


@dataclass
class BenchOrder:
    order_id: int
    number: str
    session_id: str
    language: str
    licence_type: str
    phase: str
    payload: bytes = field(repr=False, default=b"")
    # filled in as the run goes
    sent_perf: float | None = None
    sent_wall: float | None = None
    response_ms: float | None = None
    status: int | None = None
    mail_perf: float | None = None
    mail_wall: float | None = None
    latency_ms: float | None = None
    stamp_ms: int | None = None
    stamp_start_wall: float | None = None
    stamp_end_wall: float | None = None



def place_bench_order(options: list, index: int):
    """The index-th benchmark card order: licences in turn, buyers alternating between an
    English and a Chinese one (also used by bench/delivery_profile.py)."""
    from storefront.orders.cart import CartLine
    from storefront.orders.models import PaymentMethod
    from storefront.orders.services import Buyer, place_order

    option = options[index % len(options)]
    language = ("en", "zh-hans")[index % 2]
    if language == "en":
        buyer = Buyer(email=f"buyer{index}@example.com", full_name=f"Bench Buyer {index}",
                      company="Benchmark Medical Ltd", country="United Kingdom")
    else:
        buyer = Buyer(email=f"buyer{index}@example.cn", full_name=f"李伟{index}",
                      company="上海医学研究有限公司", country="China")
    return place_order(lines=[CartLine(option)], buyer=buyer, language=language,
                       payment_method=PaymentMethod.CARD)


def create_orders(stripe, phases: list[tuple[str, int]]) -> list[BenchOrder]:
    """Pending card orders for 1994249, each with a paid Checkout Session and its event."""
    from django.db import connection

    from reports.models import LicenseOption
    from storefront.payments.models import CheckoutSession
    from storefront.payments.services import start_card_checkout

    # The demo prices 1994249 in several currencies: buyers pay in USD, as before.
    options = list(
        LicenseOption.objects.filter(report__product_code=PRODUCT_CODE, currency="USD")
        .select_related("report").order_by("id")
    )
    if not options:
        raise SystemExit(f"{PRODUCT_CODE} has no licence option: did seed_demo run?")
    orders: list[BenchOrder] = []
    started = time.perf_counter()
    index = 0
    for phase, count in phases:
        for _ in range(count):
            order = place_bench_order(options, index)
            start_card_checkout(order_id=order.pk)
            session_id = (CheckoutSession.objects.filter(order=order)
                          .values_list("session_id", flat=True).get())
            session = stripe.pay(session_id, send_webhook=False)
            event = stripe.build_event("checkout.session.completed", session)
            orders.append(BenchOrder(
                order_id=order.pk, number=order.number, session_id=session_id,
                language=order.language, licence_type=options[index % len(options)].license_type,
                phase=phase,
                payload=stripe.event_payload(event),
            ))
            index += 1
    print(f"  {len(orders)} orders placed, sessions opened and paid "
          f"({time.perf_counter() - started:.1f} s)", flush=True)
    connection.close()
    return orders


# --- Sending webhooks -------------------------------------------------------------------


def send_webhook(order: BenchOrder, port: int, stripe) -> None:
    signature = stripe.sign(order.payload)  # signed when sent, as Stripe does
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "Stripe-Signature": signature,
        "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
    }
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        order.sent_wall = time.time()
        order.sent_perf = time.perf_counter()
        connection.request("POST", WEBHOOK_PATH, body=order.payload, headers=headers)
        response = connection.getresponse()
        response.read()
        order.response_ms = (time.perf_counter() - order.sent_perf) * 1000
        order.status = response.status
    finally:
        connection.close()


def pass_pace(args, name: str) -> str:
    """--pace burst: the sequential pass one at a time (mail), the concurrent one a burst."""
    if args.pace == "burst":
        return "response" if name == "concurrent" else "mail"
    return args.pace


def run_pass(name: str, orders: list[BenchOrder], senders: int, args, port, stripe, sink) -> dict:
    """Send the orders' webhooks from `senders` threads; wait for every mail."""
    pace = pass_pace(args, name)
    pending = deque(orders)
    lock = threading.Lock()
    failures: list[str] = []
    stop = threading.Event()

    def sender():
        while not stop.is_set():
            with lock:
                if not pending:
                    return
                order = pending.popleft()
            try:
                send_webhook(order, port, stripe)
            except OSError as error:
                failures.append(f"{order.number}: webhook not answered ({error})")
                stop.set()
                return
            if order.status != 200:
                failures.append(f"{order.number}: webhook answered {order.status}")
            if pace == "mail":
                if sink.wait_for_order(order.number, args.mail_timeout) is None:
                    failures.append(f"{order.number}: no mail within {args.mail_timeout} s")
                    if len(failures) >= 3:
                        stop.set()

    print(f"  {name.replace('warmup', 'warm-up')}: {len(orders)} webhooks, {senders} sender{'s' if senders > 1 else ''}, "
          f"pace {pace}", flush=True)
    started = time.perf_counter()
    threads = [threading.Thread(target=sender, daemon=True, name=f"sender-{i}") for i in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        while thread.is_alive():  # short joins: Ctrl-C and the time limit stay responsive
            thread.join(0.2)
    # Every mail of the pass (with --pace response most are still on their way).
    deadline = time.monotonic() + args.mail_timeout
    for order in orders:
        if order.sent_perf is None:
            continue
        arrival = sink.wait_for_order(order.number, max(0.0, deadline - time.monotonic()))
        if arrival is None:
            continue
        order.mail_perf, order.mail_wall = arrival.perf, arrival.wall
        order.latency_ms = (arrival.perf - order.sent_perf) * 1000
    seconds = time.perf_counter() - started
    missing = [o.number for o in orders if o.latency_ms is None]
    if missing:
        failures.append(f"{len(missing)} orders without a mail: {', '.join(missing[:5])}")
    if failures:
        print(f"    problems: {'; '.join(failures[:5])}", flush=True)
    latencies = [o.latency_ms for o in orders if o.latency_ms is not None]
    if latencies:
        print(f"    webhook → mail median {statistics.median(latencies):.0f} ms, "
              f"p95 {percentile(latencies, 95):.0f} ms, max {max(latencies):.0f} ms "
              f"({seconds:.1f} s)", flush=True)
    return {"seconds": round(seconds, 2), "failures": failures}


# --- After the run: logs, database, downloads ------------------------------------------


def parse_local_timestamp(text: str) -> float:
    # logging's asctime is local time, as time.time() sees it.
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S,%f").timestamp()


def read_worker_log() -> dict:
    text = WORKER_LOG.read_text(errors="replace")
    stamps = {}
    for match in STAMP_RE.finditer(text):
        end = parse_local_timestamp(match["ts"])
        ms = int(match["ms"])
        stamps[match["licence"]] = {
            "ms": ms, "pages": int(match["pages"]), "bytes": int(match["bytes"]),
            "end_wall": end, "start_wall": end - ms / 1000, "master": match["master"],
        }
    task_seconds = [float(m["s"]) for m in TASK_DONE_RE.finditer(text)]
    trouble = [line for line in text.splitlines() if TROUBLE_RE.search(line)]
    return {"stamps": stamps, "task_seconds": task_seconds, "trouble": trouble}


def read_gunicorn_log() -> list[str]:
    text = GUNICORN_LOG.read_text(errors="replace")
    return [line for line in text.splitlines()
            if re.search(r"\b(ERROR|CRITICAL)\b|Traceback|WORKER TIMEOUT", line)]


def http_get(url: str) -> tuple[int, dict, bytes]:
    parts = urlsplit(url)
    if parts.hostname not in {"127.0.0.1", "localhost"}:
        raise ValueError(f"not a local URL: {url}")
    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=30)
    try:
        conn.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
        response = conn.getresponse()
        body = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        conn.close()


def verify(orders: list[BenchOrder], sink, stripe, site_url: str, port: int, log: dict,
           bucket=None) -> dict:
    """Mails, orders, copies and downloads as a buyer would find them (with a bucket: the
    download view's 302, then the presigned URL it points at)."""
    import pikepdf
    from django.db import connection

    from storefront.delivery.models import DownloadGrant, StampedCopy
    from storefront.orders.models import Order, OrderStatus

    problems: list[str] = []
    arrivals, by_number = sink.snapshot()
    numbers = {o.number for o in orders}
    link_re = re.compile(re.escape(site_url) + r"(?:/[a-z-]+)?/downloads/([A-Za-z0-9_-]+)/")

    # Mail: exactly one per order, carrying its number and a /downloads/ link; no other mail.
    mails_per_order = Counter({number: len(by_number.get(number, [])) for number in numbers})
    not_one = {n: c for n, c in mails_per_order.items() if c != 1}
    if not_one:
        problems.append(f"orders without exactly one mail: {dict(list(not_one.items())[:5])}")
    others = [a for a in arrivals if a.number not in numbers]
    if others:
        problems.append(f"{len(others)} other mails: {[a.subject for a in others[:3]]}")
    links: dict[str, list[str]] = {}
    for order in orders:
        mails = by_number.get(order.number, [])
        tokens = link_re.findall(mails[0].text) if mails else []
        links[order.number] = tokens
        if mails and not tokens:
            problems.append(f"{order.number}: mail without a /downloads/ link")

    # Orders: delivered, not flagged, one stamped copy each, the mail's link is its grant.
    rows = {o.pk: o for o in Order.objects.filter(pk__in=[o.order_id for o in orders])}
    copies = {c.line.order_id: c for c in StampedCopy.objects.select_related("line")
              .filter(line__order_id__in=rows)}
    grants = defaultdict(set)
    for token, order_id in DownloadGrant.objects.filter(copy__line__order_id__in=rows).values_list(
            "token", "copy__line__order_id"):
        grants[order_id].add(token)
    statuses = Counter(r.status for r in rows.values())
    if statuses != Counter({OrderStatus.DELIVERED: len(orders)}):
        problems.append(f"order statuses: {dict(statuses)}")
    flagged = [r.number for r in rows.values() if r.needs_attention or r.delivery_failed_at]
    if flagged:
        problems.append(f"flagged / delivery failed: {flagged[:5]}")
    copy_count = StampedCopy.objects.filter(line__order_id__in=rows).count()
    if copy_count != len(orders):
        problems.append(f"{copy_count} stamped copies for {len(orders)} orders")
    licence_to_order = {c.licence_id: order_id for order_id, c in copies.items()}

    # Stamping time per order from the worker log (licence id → order).
    stamps = log["stamps"]
    for order in orders:
        copy = copies.get(order.order_id)
        stamp = stamps.get(copy.licence_id) if copy else None
        if stamp is None:
            problems.append(f"{order.number}: no 'stamped' line in the worker log")
            continue
        order.stamp_ms = stamp["ms"]
        order.stamp_start_wall, order.stamp_end_wall = stamp["start_wall"], stamp["end_wall"]
    stray = [lic for lic in stamps if lic not in licence_to_order]
    if stray:
        problems.append(f"{len(stray)} stamps for licences of no order (stamped twice?)")
    if len(log["task_seconds"]) != len(orders):
        problems.append(f"{len(log['task_seconds'])} deliver_order_task successes for {len(orders)} orders")

    # Downloads through gunicorn: 200, a PDF of the copy's size and page count.
    downloaded = 0
    redirects = 0
    download_ms = []
    for order in orders:
        tokens = links.get(order.number) or []
        copy = copies.get(order.order_id)
        for token in tokens:
            if token not in grants.get(order.order_id, set()):
                problems.append(f"{order.number}: the mail's link is not one of the order's grants")
                continue
            started = time.perf_counter()
            status, headers, body = http_get(f"http://{HOST}:{port}{urlsplit(f'{site_url}/downloads/{token}/').path}")
            if bucket is not None:
                location = headers.get("location", "")
                if status != 302 or not location.startswith(bucket.endpoint_url + "/"):
                    problems.append(f"{order.number}: download answered {status} "
                                    f"(expected 302 to the bucket), Location {location[:80]!r}")
                    continue
                if "X-Amz-Signature=" not in location:
                    problems.append(f"{order.number}: the redirect is not a presigned URL")
                    continue
                status, headers, body = http_get(location)
                redirects += 1
            download_ms.append((time.perf_counter() - started) * 1000)
            kind = headers.get("content-type", "")
            if status != 200 or not kind.startswith("application/pdf") or not body.startswith(b"%PDF-"):
                problems.append(f"{order.number}: download answered {status} {kind}"
                                + (" (presigned URL)" if bucket is not None else ""))
                continue
            if copy is not None and len(body) != copy.size:
                problems.append(f"{order.number}: downloaded {len(body)} bytes, copy has {copy.size}")
            with pikepdf.open(io.BytesIO(body)) as pdf:
                pages = len(pdf.pages)
            if copy is not None and pages != copy.pages:
                problems.append(f"{order.number}: downloaded PDF has {pages} pages, copy {copy.pages}")
            downloaded += 1

    # Stripe: one session re-fetch per webhook (no retries of the SDK).
    retrieves = Counter(
        r.path.rsplit("/", 1)[1] for r in stripe.requests
        if r.method == "GET" and re.fullmatch(r"/v1/checkout/sessions/cs_[A-Za-z0-9_]+", r.path)
    )
    refetch_counts = Counter(retrieves.get(o.session_id, 0) for o in orders)
    if refetch_counts != Counter({1: len(orders)}):
        problems.append(f"session re-fetches per webhook: {dict(refetch_counts)}")
    statuses_http = Counter(o.status for o in orders)
    if statuses_http != Counter({200: len(orders)}):
        problems.append(f"webhook answers: {dict(statuses_http)}")
    pages = sorted({c.pages for c in copies.values()})
    sizes = [c.size for c in copies.values()]
    storage_backends = sorted({type(getattr(c.file.storage, "_wrapped", c.file.storage)).__name__
                               for c in copies.values()})  # private_storage is a LazyObject
    objects = {}
    if bucket is not None:
        if storage_backends != ["S3Storage"]:
            problems.append(f"stamped copies in {storage_backends}, not in the bucket")
        objects = dict(bucket_objects(bucket))
        if objects.get("stamped", 0) != copy_count:
            problems.append(f"{objects.get('stamped', 0)} objects under stamped/ in the bucket "
                            f"for {copy_count} stamped copies")
        if not objects.get("masters"):
            problems.append("no master in the bucket")
    connection.close()
    return {
        "problems": problems,
        "mails": len(arrivals),
        "mails_per_order": dict(Counter(mails_per_order.values())),
        "orders_delivered": statuses.get(OrderStatus.DELIVERED, 0),
        "stamped_copies": copy_count,
        "copy_pages": pages,
        "copy_bytes_median": int(statistics.median(sizes)) if sizes else None,
        "downloads_ok": downloaded,
        "download_redirects_followed": redirects,
        "download_ms": summary(download_ms),
        "copy_storage": storage_backends,
        "bucket_objects": objects,
        "session_refetches_per_webhook": dict(refetch_counts),
        "deliver_tasks_succeeded": len(log["task_seconds"]),
    }


# --- Figures ---------------------------------------------------------------------------


def percentile(values, p):
    """Nearest rank: the smallest value with at least p % of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def summary(values) -> dict:
    values = [v for v in values if v is not None]
    if not values:
        return {}
    return {
        "n": len(values),
        "min": round(min(values), 1),
        "median": round(statistics.median(values), 1),
        "p95": round(percentile(values, 95), 1),
        "max": round(max(values), 1),
    }


def phase_figures(orders: list[BenchOrder], seconds: float) -> dict:
    def part(function):
        values = []
        for o in orders:
            try:
                values.append(function(o))
            except TypeError:  # a missing time
                pass
        return summary(values)

    latency = summary(o.latency_ms for o in orders)
    figures = {
        "orders": len(orders),
        "seconds": seconds,
        "orders_per_second": round(len(orders) / seconds, 2) if seconds else None,
        "latency_ms": latency,
        "goal_met": bool(latency) and latency["n"] == len(orders) and latency["p95"] < GOAL_SECONDS * 1000,
        "webhook_response_ms": summary(o.response_ms for o in orders),
        "stamp_ms": summary(o.stamp_ms for o in orders),
        "stamp_ms_by_language": {
            language: summary(o.stamp_ms for o in orders if o.language == language)
            for language in ("en", "zh-hans")
        },
        "latency_ms_by_language": {
            language: summary(o.latency_ms for o in orders if o.language == language)
            for language in ("en", "zh-hans")
        },
        # Where the time goes (wall clocks of this process, the worker log and the sink
        # are the same machine clock; the worker log has millisecond resolution).
        "breakdown_ms": {
            "sent_to_stamp_start": part(lambda o: (o.stamp_start_wall - o.sent_wall) * 1000),
            "stamping": part(lambda o: o.stamp_ms * 1),
            "stamp_end_to_mail": part(lambda o: (o.mail_wall - o.stamp_end_wall) * 1000),
        },
    }
    return figures


def fmt(value, digits=0) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def markdown_tables(phases: dict, args) -> list[str]:
    lines = [
        "| pass | orders | webhook → mail median | p95 | max | p95 < 1 s | webhook answer median / p95 / max | stamping per order median / p95 / max | orders/s |",
        "| --- | ---: | ---: | ---: | ---: | :---: | ---: | ---: | ---: |",
    ]
    for name, figures in phases.items():
        lat, web, stamp = figures["latency_ms"], figures["webhook_response_ms"], figures["stamp_ms"]
        lines.append(
            f"| {PASS_TITLES[name](args)} | {figures['orders']} | {fmt(lat.get('median'))} ms "
            f"| {fmt(lat.get('p95'))} ms | {fmt(lat.get('max'))} ms "
            f"| {'—' if name == 'warmup' else 'yes' if figures['goal_met'] else '**no**'} "
            f"| {fmt(web.get('median'))} / {fmt(web.get('p95'))} / {fmt(web.get('max'))} ms "
            f"| {fmt(stamp.get('median'))} / {fmt(stamp.get('p95'))} / {fmt(stamp.get('max'))} ms "
            f"| {fmt(figures['orders_per_second'], 2)} |"
        )
    lines += [
        "",
        "| pass | webhook sent → stamping starts | stamping | stamped → mail at the sink | stamping en / zh-hans (median) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, figures in phases.items():
        b = figures["breakdown_ms"]
        by_language = figures["stamp_ms_by_language"]
        cells = [f"{fmt(b[key].get('median'))} (p95 {fmt(b[key].get('p95'))}) ms"
                 for key in ("sent_to_stamp_start", "stamping", "stamp_end_to_mail")]
        lines.append(
            f"| {PASS_TITLES[name](args)} | " + " | ".join(cells)
            + f" | {fmt(by_language['en'].get('median'))} / {fmt(by_language['zh-hans'].get('median'))} ms |"
        )
    return lines


def cpu_table(phases: dict, args) -> list[str]:
    """CPU ms per order of each process group, per pass (user + system, /proc/<pid>/stat)."""
    names = [name for name in phases if "cpu" in phases[name]]
    if not names:
        return []
    lines = [
        "CPU per order (ms, user + system, sampled from /proc while the pass ran):",
        "",
        "| process group | " + " | ".join(PASS_TITLES[n](args) for n in names) + " |",
        "| --- |" + " ---: |" * len(names),
    ]
    groups = list(phases[names[0]]["cpu"]["cpu_ms_per_order"])
    for group in groups:
        lines.append(f"| {group} | " + " | ".join(
            fmt(phases[n]["cpu"]["cpu_ms_per_order"].get(group), 1) for n in names) + " |")
    lines.append("| **all of the above** | " + " | ".join(
        f"**{fmt(phases[n]['cpu']['accounted_ms_per_order'], 1)}**" for n in names) + " |")
    lines.append("| the machine's busy time (all users) | " + " | ".join(
        fmt(phases[n]["cpu"]["machine_busy_ms_per_order"], 1) for n in names) + " |")
    lines.append("| pass seconds | " + " | ".join(
        fmt(phases[n]["cpu"]["seconds"], 2) for n in names) + " |")
    return lines


PASS_TITLES = {
    "warmup": lambda args: f"warm-up ({min(2, args.warmup)} senders, not counted)",
    "sequential": lambda args: "sequential (1 sender)",
    "concurrent": lambda args: (f"burst ({args.senders} senders, pace response)"
                                if pass_pace(args, "concurrent") == "response"
                                else f"concurrent ({args.senders} senders)"),
}


# --- Machine facts ---------------------------------------------------------------------


def machine(stripe_version: str) -> dict:
    import celery
    import django
    import gunicorn
    import kombu
    import pikepdf
    import redis
    from django.db import connection

    def first_line(path, key):
        try:
            for line in Path(path).read_text().splitlines():
                if line.startswith(key):
                    return line.split(":", 1)[1].strip()
        except OSError:
            pass
        return "?"

    memory = first_line("/proc/meminfo", "MemTotal")
    try:
        memory = f"{int(memory.split()[0]) / 1024 / 1024:.1f} GiB"
    except (ValueError, IndexError):
        pass
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgresql = cursor.fetchone()[0]
    connection.close()
    client = redis.Redis.from_url(os.environ["REDIS_URL"], socket_timeout=5)
    try:
        redis_server = client.info("server").get("redis_version", "?")
    finally:
        client.close()
    return {
        "nproc": os.cpu_count(),
        "cpu": first_line("/proc/cpuinfo", "model name"),
        "memory": memory,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "django": django.get_version(),
        "celery": celery.__version__,
        "kombu": kombu.__version__,
        "redis_py": redis.__version__,
        "gunicorn": gunicorn.__version__,
        "pikepdf": pikepdf.__version__,
        "postgresql": postgresql,
        "redis_server": redis_server,
        "stripe_api_version": stripe_version,
    }


class LoadSampler:
    """The 1-minute load average every second while the passes run."""

    def __init__(self):
        self.samples: list[float] = []
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name="load-sampler")

    def _run(self):
        while not self.stop_event.wait(1.0):
            self.samples.append(os.getloadavg()[0])

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop_event.set()
        self.thread.join(2)


# --- Main ------------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=50, help="orders per pass (sequential, then concurrent)")
    parser.add_argument("--senders", type=int, default=4, help="concurrent senders of the second pass")
    parser.add_argument("--warmup", type=int, default=4, help="warm-up orders before the passes (not counted)")
    parser.add_argument("--pace", choices=["mail", "response", "burst"], default="mail",
                        help="a sender's next webhook after its previous order's mail (default) "
                             "or right after gunicorn's answer (a burst); burst: the sequential "
                             "pass as mail (one at a time), the concurrent pass as response")
    parser.add_argument("--storage", choices=["local", "bucket", "both"], default="local",
                        help="PDFs on the local disk (default), in a bucket of a SeaweedFS S3 "
                             "server started by the run, or both runs one after the other, "
                             "side by side")
    parser.add_argument("--pool", choices=["prefork", "threads", "solo"], default="prefork")
    parser.add_argument("--concurrency", type=int, default=3, help="pool processes (prefork)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--prefetch-multiplier", type=int, default=None,
                        help="the worker's --prefetch-multiplier (default: the settings' "
                             "CELERY_WORKER_PREFETCH_MULTIPLIER)")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL,
                        help="broker, result store and cache; this Redis database is emptied")
    parser.add_argument("--mail-timeout", type=float, default=30.0,
                        help="seconds to wait for one order's mail")
    parser.add_argument("--time-limit", type=int, default=330,
                        help="the whole run is stopped after this many seconds")
    parser.add_argument("--sink-nagle", action="store_true",
                        help="leave the SMTP sink's sockets as tests/smtp_sink.py has them (Nagle "
                             "on: +~40 ms per mail at EHLO); default TCP_NODELAY, as a real MTA")
    parser.add_argument("--output", type=Path, default=None,
                        help="where the JSON goes (default bench/results/delivery-latency.json; "
                             "-bucket.json / -both.json with --storage bucket / both)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the database and the temporary media directory")
    args = parser.parse_args(argv)
    if args.orders < 1 or args.senders < 1 or args.warmup < 0:
        parser.error("--orders and --senders must be at least 1, --warmup at least 0")
    if args.output is None:
        suffix = "" if args.storage == "local" else f"-{args.storage}"
        args.output = RESULT_FILE.with_name(f"delivery-latency{suffix}.json")
    return args


def strip_options(argv: list[str], names: set[str]) -> list[str]:
    """argv without the given options (and their values)."""
    kept, skip = [], False
    for item in argv:
        if skip:
            skip = False
            continue
        if item in names:
            skip = True
            continue
        if any(item.startswith(name + "=") for name in names):
            continue
        kept.append(item)
    return kept


def main_both(args, argv: list[str], command: str) -> int:
    """--storage both: a local run, then a bucket run (child processes of this script, so
    each has its own Django settings), then both runs' figures side by side."""
    started = time.monotonic()
    base = strip_options(argv, {"--storage", "--output"})
    outputs = {storage: args.output.with_name(f"{args.output.stem}-{storage}.json")
               for storage in ("local", "bucket")}
    codes = {}
    for storage, output in outputs.items():
        print(f"\n=== --storage {storage} ===", flush=True)
        child = [sys.executable, str(Path(__file__).resolve()), *base,
                 "--storage", storage, "--output", str(output)]
        output.unlink(missing_ok=True)
        # Its own session (Ctrl-C reaches only this process); on Ctrl-C, SIGTERM or the
        # time limit here it gets SIGTERM and the time to stop its gunicorn, worker and
        # weed (their own process groups) and drop its database.
        process = subprocess.Popen(child, cwd=ROOT, start_new_session=True)
        try:
            codes[storage] = process.wait()
        except BaseException:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=120)
                except subprocess.TimeoutExpired:
                    print(f"the {storage} run did not stop within 120 s: SIGKILL", file=sys.stderr)
                    process.kill()
                    process.wait()
            raise
        if codes[storage] not in (0, 1):  # 1: the run finished with problems, figures exist
            print(f"the {storage} run failed ({codes[storage]}); stopping", file=sys.stderr)
            return codes[storage] or 1
    results = {s: json.loads(o.read_text()) for s, o in outputs.items()}
    whole = round(time.monotonic() - started)
    combined = {
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": command,
        "runs": {s: str(o.relative_to(ROOT) if o.is_relative_to(ROOT) else o) for s, o in outputs.items()},
        "side_by_side": side_by_side(results),
        "problems": {s: r["problems"] for s, r in results.items()},
        "seconds_whole_run": whole,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(combined, indent=2, ensure_ascii=False) + "\n")
    print()
    print(f"Command: `{command}`")
    machine_info = results["bucket"]["machine"]
    print("Load average (1 min) during the passes: max "
          + ", ".join(f"{s} {r['machine']['load_average']['max_1min_during_passes']}"
                      for s, r in results.items()) + f"; {machine_info['nproc']} CPUs")
    print()
    print("\n".join(side_by_side_table(combined["side_by_side"], results)))
    print()
    for storage, result in results.items():
        if result["problems"]:
            print(f"PROBLEMS ({storage}):")
            for problem in result["problems"]:
                print(f"  - {problem}")
    print(f"whole run {whole} s (local {results['local']['seconds_whole_run']} s, bucket "
          f"{results['bucket']['seconds_whole_run']} s); wrote {args.output}")
    return 1 if any(r["problems"] for r in results.values()) else 0


def side_by_side(results: dict) -> dict:
    rows = {}
    for name in ("sequential", "concurrent"):
        rows[name] = {
            storage: {
                "title": result["passes"][name]["title"],
                "orders": result["passes"][name]["orders"],
                "latency_ms": result["passes"][name]["latency_ms"],
                "stamp_ms": result["passes"][name]["stamp_ms"],
                "goal_met": result["passes"][name]["goal_met"],
            }
            for storage, result in results.items()
        }
    return rows


def side_by_side_table(rows: dict, results: dict) -> list[str]:
    lines = [
        "| pass | orders | local p50 | local p95 | bucket p50 | bucket p95 | bucket − local p50 / p95 "
        "| p95 < 1 s local / bucket | stamping median local / bucket |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | :---: | ---: |",
    ]
    for name, by_storage in rows.items():
        local, bucket = by_storage["local"], by_storage["bucket"]
        ll, bl = local["latency_ms"], bucket["latency_ms"]

        def diff(key):
            if ll.get(key) is None or bl.get(key) is None:
                return "—"
            return f"{bl[key] - ll[key]:+,.0f} ms"

        lines.append(
            f"| {local['title']} | {local['orders']} | {fmt(ll.get('median'))} ms | {fmt(ll.get('p95'))} ms "
            f"| {fmt(bl.get('median'))} ms | {fmt(bl.get('p95'))} ms | {diff('median')} / {diff('p95')} "
            f"| {'yes' if local['goal_met'] else '**no**'} / {'yes' if bucket['goal_met'] else '**no**'} "
            f"| {fmt(local['stamp_ms'].get('median'))} / {fmt(bucket['stamp_ms'].get('median'))} ms |"
        )
    download = {s: r["checks"]["download_ms"] for s, r in results.items()}
    lines += ["", "Link check (every link answers with the stamped PDF): "
              + "; ".join(f"{s} {r['checks']['downloads_ok']} of {r['checks']['mails']} "
                          f"(median {download[s].get('median')} ms"
                          + (", through the presigned redirect" if s == "bucket" else "") + ")"
                          for s, r in results.items())]
    return lines


def main(argv=None) -> int:
    argv = list(argv if argv is not None else sys.argv[1:])
    args = parse_args(argv)
    command = " ".join([".venv/bin/python bench/delivery_latency.py", *argv])
    check_database_url(args.database_url)
    check_redis_url(args.redis_url)
    # Ctrl-C raises KeyboardInterrupt even when started with SIGINT ignored (e.g. `cmd &`).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGALRM):
        signal.signal(signum, _exit_on_signal)
    signal.alarm(args.time_limit)
    atexit.register(PROCESSES.stop_all)
    RESULTS.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(ROOT))
    if args.storage == "both":
        signal.alarm(0)  # each run has its own --time-limit
        return main_both(args, argv, command)
    if args.storage == "bucket":
        use_bucket_logs()

    started = time.monotonic()
    load_start = os.getloadavg()
    media = Path(tempfile.mkdtemp(prefix="storefront-bench-delivery-"))
    stripe = sink = bucket = None
    bucket_dir = None
    database_ready = False
    try:
        from tests.stripe_server import DEFAULT_API_VERSION, StripeServer

        stripe = StripeServer().start()
        sink = make_sink(args.sink_nagle)
        if args.storage == "bucket":
            bucket_dir = Path(tempfile.mkdtemp(prefix="storefront-bench-seaweedfs-"))
            bucket = start_bucket(bucket_dir)
        port = free_port(HOST)
        env = bench_environment(args, stripe, sink, port, media, bucket)
        site_url = env["SITE_URL"]
        print(f"Stripe-compatible server {stripe.url}, SMTP sink {sink.url}, "
              f"media {media}" + (f", bucket {BUCKET_NAME} at {bucket.endpoint_url}" if bucket else ""),
              flush=True)
        database_ready = True
        prepare_database(args, env)
        flush_redis(args.redis_url)
        print(f"  Redis {args.redis_url} emptied (FLUSHDB)", flush=True)
        setup_django(env)
        master = master_facts()
        print(f"  master of {PRODUCT_CODE}: {master['pages']} pages, {master['bytes']:,} bytes", flush=True)

        print("Starting the worker and gunicorn", flush=True)
        worker_process = start_worker(args, env)
        gunicorn_process = start_gunicorn(args, env, port)
        cpu_groups = {"gunicorn": gunicorn_process.pid,
                      "Celery worker": worker_process.pid}
        database_name = urlsplit(args.database_url).path.lstrip("/")
        print(f"  worker: {args.pool}" + (f", {args.concurrency} processes" if args.pool != "solo" else "")
              + f"; gunicorn {args.workers} sync workers on {site_url}", flush=True)

        print("Creating orders", flush=True)
        phases_plan = [("warmup", args.warmup), ("sequential", args.orders), ("concurrent", args.orders)]
        orders = create_orders(stripe, [(p, n) for p, n in phases_plan if n])
        by_phase = {p: [o for o in orders if o.phase == p] for p, n in phases_plan if n}

        print("Sending webhooks", flush=True)
        load_before = os.getloadavg()
        runs = {}
        with LoadSampler() as sampler:
            if by_phase.get("warmup"):
                runs["warmup"] = run_pass("warmup", by_phase["warmup"], min(2, args.warmup),
                                          args, port, stripe, sink)
            with CpuAccount(pgroups=cpu_groups, database=database_name) as cpu:
                runs["sequential"] = run_pass("sequential", by_phase["sequential"], 1, args, port, stripe, sink)
            runs["sequential"]["cpu"] = cpu.per_order(len(by_phase["sequential"]))
            time.sleep(1.0)
            with CpuAccount(pgroups=cpu_groups, database=database_name) as cpu:
                runs["concurrent"] = run_pass("concurrent", by_phase["concurrent"], args.senders,
                                              args, port, stripe, sink)
            runs["concurrent"]["cpu"] = cpu.per_order(len(by_phase["concurrent"]))
        load_after = os.getloadavg()
        time.sleep(1.0)  # a duplicate mail would arrive now
        result_keys = count_result_keys(args.redis_url)

        print("Verifying mails, orders and downloads", flush=True)
        log = read_worker_log()
        checks = verify(orders, sink, stripe, site_url, port, log, bucket)
        gunicorn_trouble = read_gunicorn_log()
        info = machine(DEFAULT_API_VERSION)
    finally:
        PROCESSES.stop_all()
        if bucket is not None:
            bucket.stop()
        if bucket_dir is not None and not args.keep:
            shutil.rmtree(bucket_dir, ignore_errors=True)
        if sink is not None:
            sink.stop()
        if stripe is not None:
            stripe.stop()
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: BLE001 - Django may not be set up yet
            pass
        try:
            flush_redis(args.redis_url)
        except Exception as error:  # noqa: BLE001
            print(f"could not empty {args.redis_url}: {error}", file=sys.stderr)
        if args.keep:
            print(f"kept: database {urlsplit(args.database_url).path.lstrip('/')}, media {media}"
                  + (f", SeaweedFS data {bucket_dir}" if bucket_dir else ""))
        else:
            shutil.rmtree(media, ignore_errors=True)
            if database_ready:
                try:
                    drop_database(args.database_url)
                except Exception as error:  # noqa: BLE001
                    print(f"could not drop the benchmark database: {error}", file=sys.stderr)
    signal.alarm(0)

    phases = {name: phase_figures(by_phase[name], runs[name]["seconds"]) for name in runs}
    for name, figures in phases.items():
        figures["title"] = PASS_TITLES[name](args)
        if "cpu" in runs[name]:
            figures["cpu"] = runs[name]["cpu"]
        figures["pace"] = pass_pace(args, name)
    problems = checks["problems"] + [f for r in runs.values() for f in r["failures"]]
    info["load_average"] = {
        "start": [round(v, 2) for v in load_start],
        "before_passes": [round(v, 2) for v in load_before],
        "after_passes": [round(v, 2) for v in load_after],
        "max_1min_during_passes": round(max(sampler.samples), 2) if sampler.samples else None,
    }
    whole = round(time.monotonic() - started)
    result = {
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": command,
        "machine": info,
        "settings": {
            "orders_per_pass": args.orders, "senders": args.senders, "warmup": args.warmup,
            "pace": args.pace, "storage": args.storage, "worker_pool": args.pool,
            "smtp_sink": "tests/smtp_sink.py as is (Nagle on)" if args.sink_nagle else
                         "tests/smtp_sink.py with TCP_NODELAY on accepted sockets",
            "worker_concurrency": args.concurrency if args.pool != "solo" else 1,
            "gunicorn_workers": args.workers, "debug": False,
            "database": urlsplit(args.database_url).path.lstrip("/"), "redis_url": args.redis_url,
            "languages": "alternating en / zh-hans", "goal_p95_ms": GOAL_SECONDS * 1000,
        },
        "master": master,
        "passes": phases,
        "checks": checks,
        "problems": problems,
        "worker_log_trouble": log["trouble"][:50],
        "gunicorn_log_trouble": gunicorn_trouble[:50],
        "deliver_task_ms": summary(s * 1000 for s in log["task_seconds"]),
        "celery_result_keys_in_redis": result_keys,
        "orders": [{k: v for k, v in asdict(o).items() if k != "payload"} for o in orders],
        "seconds_whole_run": whole,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")

    load = info["load_average"]
    print()
    print(f"Command: `{command}`")
    print(f"Worker: {args.pool}" + (f" -c {args.concurrency}" if args.pool != "solo" else "")
          + f"; gunicorn {args.workers} sync workers; pace {args.pace}; storage {args.storage}; sink "
          + ("as is (Nagle on)" if args.sink_nagle else "TCP_NODELAY") + "; "
          f"master {master['pages']} pages ({master['bytes'] / 1e6:.1f} MB), copies "
          f"{'/'.join(map(str, checks['copy_pages']))} pages")
    print(f"Load average {'/'.join(map(str, load['before_passes']))} before, "
          f"{'/'.join(map(str, load['after_passes']))} after the passes "
          f"(max 1-min {load['max_1min_during_passes']}); {info['nproc']} CPUs")
    print()
    print("\n".join(markdown_tables(phases, args)))
    print()
    print("\n".join(cpu_table(phases, args)))
    print()
    print(f"Checks: {checks['mails']} mails for {len(orders)} orders "
          f"(per order: {checks['mails_per_order']}), {checks['orders_delivered']} delivered, "
          f"{checks['stamped_copies']} stamped copies, {checks['downloads_ok']} downloads 200 + PDF, "
          f"deliver_order_task succeeded {checks['deliver_tasks_succeeded']}× "
          f"(task time median {result['deliver_task_ms'].get('median')} ms), "
          f"{result_keys} task results left in Redis; "
          f"session re-fetches per webhook {checks['session_refetches_per_webhook']}")
    if log["trouble"] or gunicorn_trouble:
        print(f"Log lines worth a look: worker {len(log['trouble'])}, gunicorn {len(gunicorn_trouble)}")
        for line in (log["trouble"] + gunicorn_trouble)[:8]:
            print(f"  {line[:200]}")
    if problems:
        print("PROBLEMS:")
        for problem in problems:
            print(f"  - {problem}")
    print(f"whole run {whole} s; wrote {args.output}")
    return 1 if problems else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        PROCESSES.stop_all()
        print("\ninterrupted; gunicorn and the worker stopped", file=sys.stderr)
        sys.exit(130)
