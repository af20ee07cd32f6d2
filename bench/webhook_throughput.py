#!/usr/bin/env python
"""Stripe webhooks: requests per second of /stripe/webhook/ with signature checks, and
the time from a paid webhook to the order's paid state (median and p95).

    .venv/bin/python bench/webhook_throughput.py [--orders 300] [--seconds 10]
        [--workers 2] [--database-url postgres://postgres@127.0.0.1:5432/storefront_bench_webhook]

What it does, in order:

1. drops and recreates the benchmark database (its name must contain "bench", the host
   must be local), refuses a tree that does not import or lacks migrations, migrates,
   loads the demo catalogue with its master PDFs (`seed_demo`; --no-pdfs skips them),
   compiles stale translations, and adds one benchmark-only trigger: an UPDATE of an
   order to "paid" sends NOTIFY bench_order_paid, which PostgreSQL delivers when the
   transaction commits (how the "paid in the database" time is seen);
2. starts the suite's Stripe-compatible server (tests/stripe_server.py) in a child
   process, so its work does not share this process's interpreter lock with the load
   generator;
3. in this process (Django, the same settings as the server): places pending card
   orders with `orders.services.place_order` and opens their Checkout Sessions with
   `payments.services.start_card_checkout` (real HTTP to the Stripe server), then pays
   every session at the server without a webhook and builds its
   `checkout.session.completed` event;
4. in this process, through Django's test client: webhooks timed piece by piece
   (signature check, Stripe re-fetch, SQL, COMMIT, the on-commit hand-off); with
   --profile, a cProfile of more paid webhooks;
5. starts gunicorn (sync workers, DEBUG off with a benchmark-only secret key,
   STRIPE_* pointing at the Stripe server, SITE_URL = the gunicorn address, REDIS_URL
   unset: Celery runs eagerly, so the on-commit hand-off to delivery (stamping, link,
   mail) runs inside the webhook request, before the answer), warms it up, then POSTs
   signed events with a bounded keep-alive load generator (threads + http.client;
   every request is signed when it is sent):
   a.  new events at --connections connections (each pays one order),
   a'. new events one at a time (latency without queueing),
   b.  duplicate deliveries of processed events for --seconds (signature + dedupe),
   c.  bad signatures for --seconds (the 400 path);
   CPU per component during each phase is read from /proc;
6. checks the outcome: every order paid with exactly one paid status change (and
   delivered), one PaymentEvent per event id, one session re-fetch per new event, no
   5xx, no errors in the gunicorn log;
7. prints a table, writes bench/results/webhook-latest.json and webhook-latest.md.

All traffic goes to 127.0.0.1. gunicorn (own process group) and the Stripe server are
stopped on exit, on errors, on Ctrl-C and on SIGTERM. Every step has a time limit.
"""

from __future__ import annotations

import argparse
import atexit
import http.client
import json
import math
import multiprocessing
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from bench.processes import Processes, free_port  # noqa: E402  (needs ROOT on sys.path)
RESULTS = ROOT / "bench" / "results"
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/storefront_bench_webhook"
MEDIA = RESULTS / "webhook-media"  # master PDFs and stamped copies of this benchmark only
WEBHOOK_PATH = "/stripe/webhook/"
NOTIFY_CHANNEL = "bench_order_paid"
WRONG_SECRET = "whsec_benchmark_not_the_shops_secret"
SECRET_KEY = "benchmark-only-secret-key-not-for-production-0123456789"
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")


# --- Processes ----------------------------------------------------------------------


PROCESSES = Processes()


def _exit_on_signal(signum, _frame):
    print(f"\nsignal {signum}: stopping gunicorn and the Stripe server", file=sys.stderr, flush=True)
    raise SystemExit(128 + signum)


def run(args, env, cwd, *, timeout, quiet=False) -> str:
    """Run a setup command; errors are fatal (with the end of its output)."""
    started = time.perf_counter()
    print(f"  $ {' '.join(str(a) for a in args)}", flush=True)
    try:
        result = subprocess.run(
            args, cwd=cwd, env=env, timeout=timeout, stdout=subprocess.PIPE,
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


# --- The Stripe-compatible server, in its own process -------------------------------


def _pay_and_build(server, session_ids):
    """Pay each session as the buyer would, without a webhook; its completed event."""
    return [
        server.build_event("checkout.session.completed", server.pay(sid, send_webhook=False))
        for sid in session_ids
    ]


def _server_stats(server, _payload):
    by_route, statuses, retrieves = Counter(), Counter(), Counter()
    for request in server.requests:
        route = re.sub(r"/(cs|pi|ch|re|evt)_[A-Za-z0-9_]+", r"/<\1 id>", request.path)
        by_route[f"{request.method} {route}"] += 1
        statuses[str(request.status)] += 1
        if request.method == "GET" and route == "/v1/checkout/sessions/<cs id>":
            retrieves[request.path.rsplit("/", 1)[1]] += 1
    return {
        "requests": sum(by_route.values()),
        "by_route": dict(by_route),
        "statuses": dict(statuses),
        "session_retrieves": dict(retrieves),
    }


STRIPE_COMMANDS = {"pay_and_build": _pay_and_build, "stats": _server_stats}


def stripe_server_process(connection, source: str):
    """Runs tests/stripe_server.StripeServer and answers commands over a pipe."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops us
    sys.path.insert(0, source)
    from tests.stripe_server import StripeServer

    server = StripeServer().start()
    connection.send({"url": server.url, "api_key": server.api_key,
                     "webhook_secret": server.webhook_secret})
    try:
        while True:
            if not connection.poll(0.5):
                continue
            try:
                command, payload = connection.recv()
            except (EOFError, OSError):  # the parent is gone
                break
            if command == "stop":
                connection.send(("ok", None))
                break
            try:
                connection.send(("ok", STRIPE_COMMANDS[command](server, payload)))
            except Exception as error:  # noqa: BLE001 - reported to the parent
                connection.send(("error", f"{type(error).__name__}: {error}"))
    finally:
        server.stop()


class StripeProcess:
    def __init__(self, source: Path):
        self.source = source
        self.process = None
        self.connection = None
        self.info: dict = {}

    def start(self) -> "StripeProcess":
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        self.process = context.Process(
            target=stripe_server_process, args=(child, str(self.source)), daemon=True,
            name="stripe-server",
        )
        self.process.start()
        child.close()
        self.connection = parent
        if not parent.poll(30):
            raise SystemExit("the Stripe-compatible server did not start within 30 s")
        self.info = parent.recv()
        return self

    def call(self, command, payload=None, *, timeout=120):
        self.connection.send((command, payload))
        if not self.connection.poll(timeout):
            raise SystemExit(f"the Stripe server did not answer {command!r} within {timeout} s")
        status, result = self.connection.recv()
        if status != "ok":
            raise SystemExit(f"Stripe server {command!r} failed: {result}")
        return result

    def stop(self):
        if self.process is None:
            return
        try:
            if self.process.is_alive():
                self.connection.send(("stop", None))
                self.connection.poll(5)
        except (OSError, EOFError, BrokenPipeError):
            pass
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(timeout=5)
        self.process = None


# --- Setup ----------------------------------------------------------------------------


def bench_environment(args, stripe: dict, port: int, source: Path) -> dict:
    drop = {"REDIS_URL", "EMAIL_URL", "DJANGO_SETTINGS_MODULE", *PROXY_VARIABLES}
    env = {key: value for key, value in os.environ.items() if key not in drop}
    env.update(
        DATABASE_URL=args.database_url,
        DJANGO_SETTINGS_MODULE="storefront.settings",  # the shop's own settings
        DJANGO_SECRET_KEY=SECRET_KEY,
        DJANGO_DEBUG="0",
        DJANGO_SECURE_SSL_REDIRECT="0",  # plain HTTP on 127.0.0.1, no TLS proxy in front
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        SITE_URL=f"http://{HOST}:{port}",
        STRIPE_SECRET_KEY=stripe["api_key"],
        STRIPE_WEBHOOK_SECRET=stripe["webhook_secret"],
        STRIPE_API_BASE=stripe["url"],
        PRIVATE_MEDIA_ROOT=str(MEDIA),
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        LOG_LEVEL="INFO",  # the shop's default: one INFO line per paid order, a WARNING per 400
        NO_PROXY="127.0.0.1,localhost",
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONPATH=str(source),
    )
    return env


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


def prepare_database(args, env, source: Path):
    python = [sys.executable, "manage.py"]
    print("Preparing the benchmark database", flush=True)
    recreate_database(args.database_url)
    try:
        run([*python, "makemigrations", "--check", "--dry-run"], env, source, timeout=300, quiet=True)
    except SystemExit:
        raise SystemExit(
            f"the shop in {source} does not import, or its models have changes without "
            "migrations (work in progress?); measure another tree with --source DIR"
        )
    run([*python, "migrate", "--no-input", "-v0"], env, source, timeout=600)
    stale = [po for po in (source / "locale").glob("*/LC_MESSAGES/*.po")
             if not po.with_suffix(".mo").exists()
             or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime]
    if stale:  # the mails are rendered in the order's language
        if shutil.which("msgfmt") is None:
            raise SystemExit("msgfmt is missing: apt-get install gettext (make test does)")
        run([*python, "compilemessages", "--ignore=.venv", "-v0"], env, source, timeout=300)
    if MEDIA.exists():
        shutil.rmtree(MEDIA)
    MEDIA.mkdir(parents=True)
    seed = [*python, "seed_demo"] + (["--no-pdfs"] if args.no_pdfs else [])
    run(seed, env, source, timeout=900, quiet=True)


def setup_django(env, source: Path):
    for key in ("REDIS_URL", "EMAIL_URL", *PROXY_VARIABLES):
        os.environ.pop(key, None)
    os.environ.update(env)
    sys.path.insert(0, str(source))
    import warnings

    import django

    # whitenoise: no collected static files; the webhook serves none.
    warnings.filterwarnings("ignore", message="No directory at")
    django.setup()
    # The shop logs to the console; in this process, send those lines to a file instead.
    import logging

    log = open(RESULTS / "webhook-inprocess.log", "w")
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
            handler.setStream(log)


def install_paid_trigger():
    """Benchmark database only: NOTIFY when an order becomes paid, delivered at commit."""
    from django.db import connection

    from storefront.orders.models import Order

    table = connection.ops.quote_name(Order._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            CREATE OR REPLACE FUNCTION bench_notify_paid() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.status = 'paid' AND OLD.status IS DISTINCT FROM NEW.status THEN
                    PERFORM pg_notify('{NOTIFY_CHANNEL}', NEW.id::text);
                END IF;
                RETURN NULL;
            END $$;
            """
        )
        cursor.execute(
            f"CREATE TRIGGER bench_notify_paid AFTER UPDATE OF status ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION bench_notify_paid()"
        )


def create_orders(count: int) -> list[dict]:
    """Pending card orders with an open Checkout Session each, through the shop's services."""
    from django.db import connection

    from reports.models import LicenseOption, Report
    from storefront.orders.cart import CartLine
    from storefront.orders.models import PaymentMethod
    from storefront.orders.services import Buyer, place_order
    from storefront.payments.models import CheckoutSession
    from storefront.payments.services import start_card_checkout

    options = list(
        LicenseOption.objects.filter(report__in=Report.objects.published())
        .select_related("report")
        .order_by("id")
    )
    if not options:
        raise SystemExit("no published report with a licence option: did seed_demo run?")
    orders = []
    started = time.perf_counter()
    for i in range(count):
        option = options[i % len(options)]
        order = place_order(
            lines=[CartLine(option)],
            buyer=Buyer(
                email=f"buyer{i}@example.com", full_name=f"Bench Buyer {i}",
                company="Benchmark Ltd", country="United Kingdom",
            ),
            language=("en", "zh-hans")[i % 2],
            payment_method=PaymentMethod.CARD,
        )
        start_card_checkout(order_id=order.pk)
        session_id = CheckoutSession.objects.filter(order=order).values_list("session_id", flat=True).get()
        orders.append({"order_id": order.pk, "number": order.number, "session_id": session_id,
                       "currency": order.currency, "total": str(order.total)})
        if (i + 1) % 100 == 0:
            print(f"    {i + 1}/{count} orders ({time.perf_counter() - started:.1f} s)", flush=True)
    connection.close()
    return orders


# --- Measurements in process -----------------------------------------------------------


def percentile(values, p):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def summary_ms(values_s) -> dict:
    if not values_s:
        return {}
    ms = [v * 1000 for v in values_s]
    return {
        "n": len(ms),
        "p50": round(statistics.median(ms), 2),
        "p90": round(percentile(ms, 90), 2),
        "p95": round(percentile(ms, 95), 2),
        "p99": round(percentile(ms, 99), 2),
        "max": round(max(ms), 2),
    }


def measure_in_process(events: list[dict], signer) -> dict:
    """Each webhook through Django's test client, timed piece by piece.

    verify_webhook and retrieve_checkout_session are wrapped with timers for this
    measurement only (this process; gunicorn runs the code unchanged).
    """
    from django.db import connection
    from django.test import Client

    from storefront.payments import stripe_api

    from storefront.delivery import services as delivery_services

    timers = {"verify": [], "refetch": [], "refetch_in_transaction": [], "sql": [], "commit": [],
              "delivery": []}
    statements: list[str] = []
    originals = (stripe_api.verify_webhook, stripe_api.retrieve_checkout_session,
                 delivery_services.hand_off_for_delivery)
    in_delivery = [False]  # SQL and COMMITs of the delivery are counted in its own column

    def sql_timer(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            if not in_delivery[0]:
                timers["sql"].append(time.perf_counter() - started)
                statements.append(sql[:160])

    database_commit = connection._commit

    def timed_commit():
        started = time.perf_counter()
        try:
            return database_commit()
        finally:
            if not in_delivery[0]:
                timers["commit"].append(time.perf_counter() - started)

    def timed_hand_off(*args, **kwargs):
        in_delivery[0] = True
        started = time.perf_counter()
        try:
            return originals[2](*args, **kwargs)
        finally:
            timers["delivery"].append(time.perf_counter() - started)
            in_delivery[0] = False

    def timed(name, function):
        def wrapper(*args, **kwargs):
            if name == "refetch":
                timers["refetch_in_transaction"].append(connection.in_atomic_block)
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                timers[name].append(time.perf_counter() - started)
        return wrapper

    client = Client(HTTP_HOST=HOST)

    def post(payload, signature):
        return client.post(WEBHOOK_PATH, data=payload, content_type="application/json",
                           HTTP_STRIPE_SIGNATURE=signature)

    rows = {"new": [], "duplicate": [], "bad_signature": []}
    post(b"{}", "")  # opens the database connection outside the timed requests
    stripe_api.verify_webhook = timed("verify", originals[0])
    stripe_api.retrieve_checkout_session = timed("refetch", originals[1])
    delivery_services.hand_off_for_delivery = timed_hand_off
    connection.ensure_connection()
    connection._commit = timed_commit
    try:
        with connection.execute_wrapper(sql_timer):
            for kind in ("new", "duplicate", "bad_signature"):
                for event in events:
                    payload = event["payload"]
                    secret = WRONG_SECRET if kind == "bad_signature" else None
                    for name in ("verify", "refetch", "sql", "commit", "delivery"):
                        timers[name].clear()
                    statements.clear()
                    started = time.perf_counter()
                    response = post(payload, signer.sign(payload, secret=secret))
                    total = time.perf_counter() - started
                    expected = 400 if kind == "bad_signature" else 200
                    if response.status_code != expected:
                        raise SystemExit(f"in-process {kind} webhook answered {response.status_code}")
                    rows[kind].append({
                        "total": total,
                        "verify": sum(timers["verify"]),
                        "refetch": sum(timers["refetch"]),
                        "sql": sum(timers["sql"]),
                        "commit": sum(timers["commit"]),
                        "delivery": sum(timers["delivery"]),
                        "queries": len(statements),
                        "sql_text": list(statements),
                    })
    finally:
        (stripe_api.verify_webhook, stripe_api.retrieve_checkout_session,
         delivery_services.hand_off_for_delivery) = originals
        del connection._commit

    def med(kind, key):
        return round(statistics.median(r[key] for r in rows[kind]) * 1000, 2)

    breakdown = {}
    for kind, label in (("new", "paid webhook (new event)"), ("duplicate", "duplicate delivery"),
                        ("bad_signature", "bad signature")):
        total, verify, refetch, sql, commit, delivery = (
            med(kind, k) for k in ("total", "verify", "refetch", "sql", "commit", "delivery")
        )
        others = [r["total"] - r["verify"] - r["refetch"] - r["sql"] - r["commit"] - r["delivery"]
                  for r in rows[kind]]
        breakdown[kind] = {
            "label": label,
            "samples": len(rows[kind]),
            "total_ms": total,
            "verify_ms": verify,
            "refetch_ms": refetch,
            "sql_ms": sql,
            "commit_ms": commit,
            "delivery_ms": delivery,
            "other_ms": round(statistics.median(others) * 1000, 2),
            "queries": statistics.median(r["queries"] for r in rows[kind]),
            "sql": rows[kind][0]["sql_text"],
        }
    in_tx = timers["refetch_in_transaction"]
    breakdown["new"]["refetch_inside_transaction"] = f"{sum(in_tx)}/{len(in_tx)}"
    breakdown["signature_microbench"] = signature_microbench(events, signer)
    connection.close()
    return breakdown


def signature_microbench(events, signer, repeat=300) -> dict:
    """What the signature check costs: HMAC only, JSON only, and the shop's verify_webhook."""
    import stripe

    from storefront.payments import stripe_api

    payload = events[0]["payload"]
    header = signer.sign(payload)
    secret = signer.webhook_secret

    def per_call(function):
        function()
        started = time.perf_counter()
        for _ in range(repeat):
            function()
        return round((time.perf_counter() - started) / repeat * 1000, 3)

    return {
        "payload_bytes": len(payload),
        "hmac_check_ms": per_call(lambda: stripe.WebhookSignature.verify_header(payload, header, secret, 300)),
        "json_loads_ms": per_call(lambda: json.loads(payload)),
        "verify_webhook_ms": per_call(lambda: stripe_api.verify_webhook(payload, header)),
    }


def profile_new_webhooks(events: list[dict], signer) -> dict:
    """cProfile of paid webhooks through the test client (separate orders from the timed ones)."""
    import cProfile
    import io
    import pstats

    from django.db import connection
    from django.test import Client

    client = Client(HTTP_HOST=HOST)
    profiler = cProfile.Profile()
    for event in events:
        payload = event["payload"]
        signature = signer.sign(payload)
        profiler.enable()
        response = client.post(WEBHOOK_PATH, data=payload, content_type="application/json",
                               HTTP_STRIPE_SIGNATURE=signature)
        profiler.disable()
        if response.status_code != 200:
            raise SystemExit(f"profiled webhook answered {response.status_code}")
    connection.close()
    text = io.StringIO()
    text.write(f"{len(events)} paid webhooks through Django's test client, profiled\n\n")
    for order in ("cumulative", "tottime"):
        pstats.Stats(profiler, stream=text).sort_stats(order).print_stats(45)
    path = RESULTS / "webhook-profile.txt"
    path.write_text(text.getvalue())
    stats = pstats.Stats(profiler)
    per_request = {}
    wanted = {
        "stripe_webhook (the view)": ("payments/views.py", "stripe_webhook"),
        "verify_webhook": ("payments/stripe_api.py", "verify_webhook"),
        "retrieve_checkout_session (SDK call)": ("payments/stripe_api.py", "retrieve_checkout_session"),
        "handle_stripe_event": ("payments/services.py", "handle_stripe_event"),
        "mark_order_paid": ("orders/services.py", "mark_order_paid"),
        "hand_off_for_delivery (after the commit)": ("delivery/services.py", "hand_off_for_delivery"),
        "stamp_licence (PDF)": ("delivery/stamping.py", "stamp_licence"),
        "send_delivery_mail": ("delivery/services.py", "send_delivery_mail"),
        "logging (all handlers)": ("logging/__init__.py", "handle"),
        "json.dumps (payload to jsonb)": ("json/__init__.py", "dumps"),
        "StripeObject construction": ("stripe/_stripe_object.py", "_construct_from"),
    }
    for (filename, _line, function), (_cc, _nc, _tt, cumulative, _callers) in stats.stats.items():
        for label, (file_part, name) in wanted.items():
            if function == name and filename.endswith(file_part):
                per_request[label] = round(per_request.get(label, 0) + cumulative / len(events) * 1000, 2)
    ordered = {label: per_request[label] for label in wanted if label in per_request}
    return {"file": str(path.relative_to(ROOT)), "requests": len(events),
            "cumulative_ms_per_request": ordered}


# --- gunicorn and the load ---------------------------------------------------------------


def start_gunicorn(args, env, port, source: Path) -> subprocess.Popen:
    log = open(RESULTS / "webhook-gunicorn.log", "w")
    process = PROCESSES.start(
        [
            str(BIN / "gunicorn"), "storefront.wsgi",
            "--chdir", str(source),
            "--workers", str(args.workers),
            "--worker-class", "sync",
            "--bind", f"{HOST}:{port}",
            "--log-level", "warning",
        ],
        cwd=source, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited ({process.returncode}); see {RESULTS / 'webhook-gunicorn.log'}")
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=5)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                connection.close()
                return process
            connection.close()
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not answer /healthz within 30 s")


class PaidListener:
    """LISTENs for the trigger's NOTIFY: when each order's paid state was committed."""

    def __init__(self, database_url):
        self.database_url = database_url
        self.seen: dict[int, float] = {}
        self.stop_event = threading.Event()
        self.ready = threading.Event()
        self.error = None
        self.thread = threading.Thread(target=self._run, daemon=True, name="paid-listener")

    def _run(self):
        import psycopg

        try:
            with psycopg.connect(self.database_url, autocommit=True, connect_timeout=10) as connection:
                connection.execute(f"LISTEN {NOTIFY_CHANNEL}")
                self.ready.set()
                while not self.stop_event.is_set():
                    for notify in connection.notifies(timeout=0.2):
                        self.seen.setdefault(int(notify.payload), time.perf_counter())
        except Exception as error:  # noqa: BLE001 - reported by wait_for / stop
            self.error = error
            self.ready.set()

    def start(self):
        self.thread.start()
        if not self.ready.wait(15) or self.error:
            raise SystemExit(f"LISTEN failed: {self.error}")
        return self

    def wait_for(self, order_ids, timeout=10.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            missing = sum(1 for order_id in order_ids if order_id not in self.seen)
            if not missing:
                return 0
            time.sleep(0.05)
        return sum(1 for order_id in order_ids if order_id not in self.seen)

    def stop(self):
        self.stop_event.set()
        self.thread.join(timeout=5)


def drive(port, items, *, connections, seconds, cycle, sign) -> dict:
    """POST signed events to the webhook from `connections` threads.

    Without `cycle`, each item is sent once (the phase ends when all are answered or
    after `seconds`); with `cycle`, items are sent round and round for `seconds`.
    Every request is signed when it is sent (Stripe signs each delivery attempt).
    Connections are kept alive when the server allows it (gunicorn's sync workers
    close them after each answer, so a client reconnects).
    """
    deadline = time.monotonic() + seconds
    lock = threading.Lock()
    cursor = [0]
    records: list[tuple] = []  # (item index, sent, answered, status or None)

    def next_index():
        with lock:
            index = cursor[0]
            if not cycle and index >= len(items):
                return None
            cursor[0] += 1
            return index

    def client():
        connection, local = None, []
        while time.monotonic() < deadline:
            index = next_index()
            if index is None:
                break
            item = items[index % len(items)]
            payload = item["payload"]
            headers = {
                "Content-Type": "application/json; charset=utf-8",
                "Stripe-Signature": sign(payload),
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                "Connection": "keep-alive",
            }
            sent = time.perf_counter()
            try:
                if connection is None:
                    connection = http.client.HTTPConnection(HOST, port, timeout=30)
                connection.request("POST", WEBHOOK_PATH, body=payload, headers=headers)
                response = connection.getresponse()
                response.read()
                local.append((index, sent, time.perf_counter(), response.status))
                if response.will_close:
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException):
                local.append((index, sent, time.perf_counter(), None))
                if connection is not None:
                    connection.close()
                connection = None
        if connection is not None:
            connection.close()
        with lock:
            records.extend(local)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, daemon=True) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 45)
    stuck = sum(thread.is_alive() for thread in threads)
    with lock:
        done = list(records)
    elapsed = (max(r[2] for r in done) if done else time.perf_counter()) - started
    return {"records": done, "elapsed": elapsed, "stuck_clients": stuck,
            "unsent": 0 if cycle else len(items) - len(done)}


def phase_result(name, description, connections, result, expected_status, items, listener=None) -> dict:
    records = result["records"]
    statuses = Counter("no answer" if r[3] is None else str(r[3]) for r in records)
    ok = statuses.get(str(expected_status), 0)
    out = {
        "name": name,
        "description": description,
        "connections": connections,
        "requests": len(records),
        "expected_status": expected_status,
        "statuses": dict(statuses),
        "elapsed_s": round(result["elapsed"], 3),
        "rps": round(ok / result["elapsed"], 1) if result["elapsed"] > 0 else 0.0,
        "answer_ms": summary_ms([r[2] - r[1] for r in records if r[3] is not None]),
        "unsent": result["unsent"],
        "stuck_clients": result["stuck_clients"],
    }
    if listener is not None:
        observed, after_answer, missing = [], 0, 0
        for index, sent, answered, _status in records:
            committed = listener.seen.get(items[index]["order_id"])
            if committed is None:
                missing += 1
                continue
            observed.append(committed - sent)
            if committed > answered:
                after_answer += 1
        out["paid_in_db_ms"] = summary_ms(observed)
        out["paid_not_seen"] = missing
        out["paid_seen_after_answer"] = after_answer
    return out


class CpuMeter:
    """CPU time per component over a phase, from /proc (Linux): who uses the cores."""

    def __init__(self, *, gunicorn_pid: int, stripe_pid: int, database: str):
        self.gunicorn_pid, self.stripe_pid, self.database = gunicorn_pid, stripe_pid, database
        self.tick = os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _ticks(pid):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            return int(fields[11]) + int(fields[12])  # utime + stime
        except (OSError, IndexError, ValueError):
            return None

    def _pids(self) -> dict[str, list[int]]:
        workers, backends = [self.gunicorn_pid], []
        needle = f" {self.database} ".encode()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.gunicorn_pid:
                    workers.append(int(entry.name))
                elif "postgres" in stat and needle in (entry / "cmdline").read_bytes():
                    backends.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
        return {
            "gunicorn": workers,
            "postgresql": backends,
            "stripe_server": [self.stripe_pid],
            "load_generator": [os.getpid()],
        }

    @staticmethod
    def _machine():
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
        user, nice, system, idle, iowait, irq, softirq, steal = values
        return user + nice + system + irq + softirq + steal

    def snapshot(self):
        return (
            {group: {pid: self._ticks(pid) for pid in pids} for group, pids in self._pids().items()},
            self._machine(),
            time.perf_counter(),
        )

    def cores(self, start, end) -> dict:
        (before, machine_before, t0), (after, machine_after, t1) = start, end
        seconds = max(t1 - t0, 1e-9)
        out = {}
        for group, pids in after.items():
            used = 0
            for pid, ticks in pids.items():
                if ticks is not None:
                    used += ticks - (before.get(group, {}).get(pid) or 0)
            out[group] = round(used / self.tick / seconds, 2)
        out["machine"] = round((machine_after - machine_before) / self.tick / seconds, 2)
        out["other"] = round(max(0.0, out["machine"] - sum(
            out[g] for g in ("gunicorn", "postgresql", "stripe_server", "load_generator"))), 2)
        return out


# --- Verification ----------------------------------------------------------------------


def verify(new_events, phases, stripe_stats, log_path, *, pdfs: bool) -> dict:
    from django.apps import apps
    from django.db import connection
    from django.db.models import Count, Q

    from storefront.orders.models import PAID_STATUSES, Order, OrderLine, OrderStatus
    from storefront.payments.models import CheckoutSession, PaymentEvent

    order_ids = [e["order_id"] for e in new_events]
    event_ids = [e["event_id"] for e in new_events]
    session_ids = [e["session_id"] for e in new_events]
    orders = list(Order.objects.filter(pk__in=order_ids).annotate(
        paid_changes=Count("status_changes", filter=Q(status_changes__to_status=OrderStatus.PAID))
    ))
    per_event = Counter(
        PaymentEvent.objects.filter(event_id__in=event_ids).values_list("event_id", flat=True)
    )
    retrieves = stripe_stats["session_retrieves"]
    log_text = log_path.read_text(errors="replace") if log_path.exists() else ""
    checks = {
        "orders": len(order_ids),
        "orders_missing": len(order_ids) - len(orders),
        "orders_not_paid": sum(1 for o in orders if o.status not in PAID_STATUSES),
        "orders_without_exactly_one_paid_change": sum(1 for o in orders if o.paid_changes != 1),
        "orders_flagged": sum(1 for o in orders if o.needs_attention),
        "events": len(event_ids),
        "events_without_exactly_one_payment_event": sum(1 for e in event_ids if per_event.get(e) != 1),
        "payment_events_total": PaymentEvent.objects.count(),
        "payment_events_not_processed": PaymentEvent.objects.exclude(outcome="processed").count(),
        "sessions_without_payment_intent": CheckoutSession.objects.filter(
            session_id__in=session_ids, payment_intent_id=""
        ).count(),
        "sessions_not_refetched_exactly_once": sum(1 for s in session_ids if retrieves.get(s) != 1),
        "stripe_api_errors": sum(n for status, n in stripe_stats["statuses"].items()
                                 if not status.startswith("2")),
        "http_5xx": sum(n for p in phases for status, n in p["statuses"].items() if status.startswith("5")),
        "http_no_answer": sum(p["statuses"].get("no answer", 0) for p in phases),
        "http_unexpected_status": sum(
            n for p in phases for status, n in p["statuses"].items() if status != str(p["expected_status"])
        ),
        "gunicorn_log_errors": len(re.findall(r"Traceback|\bERROR\b|\bCRITICAL\b|WORKER TIMEOUT", log_text)),
    }
    delivery = apps.is_installed("storefront.delivery")
    if delivery:
        from storefront.delivery.models import StampedCopy

        lines = OrderLine.objects.filter(order_id__in=order_ids).count()
        checks["orders_delivered"] = sum(1 for o in orders if o.status == OrderStatus.DELIVERED)
        checks["lines_without_exactly_one_stamped_copy"] = lines - StampedCopy.objects.filter(
            line__order_id__in=order_ids).count()
    connection.close()
    informational = {"orders", "events", "payment_events_total", "orders_delivered"}
    if delivery and not pdfs:
        # Without master PDFs every delivery fails by design: flagged orders, logged errors.
        informational |= {"orders_flagged", "gunicorn_log_errors", "lines_without_exactly_one_stamped_copy"}
    failures = {key: value for key, value in checks.items() if key not in informational and value}
    if checks["payment_events_total"] != checks["events"]:
        failures["payment_events_total"] = checks["payment_events_total"]
    if delivery and pdfs and checks["orders_delivered"] != len(order_ids):
        failures["orders_not_delivered"] = len(order_ids) - checks["orders_delivered"]
    checks["delivery_app"] = delivery
    checks["ok"] = not failures
    checks["failures"] = failures
    return checks


# --- Report ------------------------------------------------------------------------------


def git_facts(source: Path) -> dict:
    def git(*args):
        try:
            result = subprocess.run(["git", "-C", str(source), *args], capture_output=True,
                                    text=True, timeout=10)
            return result.stdout.strip() if result.returncode == 0 else ""
        except (OSError, subprocess.TimeoutExpired):
            return ""

    commit = git("rev-parse", "--short", "HEAD")
    if not commit:
        return {"commit": "", "changed_files": None}
    changed = [line[3:] for line in git("status", "--porcelain", "--", "storefront", "reports", "tests").splitlines()]
    return {"commit": commit, "changed_files": changed}


def machine(database_version) -> dict:
    import django
    import gunicorn
    import stripe

    model, memory = "", ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu": model,
        "memory": memory,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "django": django.get_version(),
        "gunicorn": gunicorn.__version__,
        "stripe_sdk": stripe.VERSION,
        "postgresql": database_version,
    }


def database_facts() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
        cursor.execute("SHOW synchronous_commit")
        synchronous_commit = cursor.fetchone()[0]
    connection.close()
    return {"version": version, "synchronous_commit": synchronous_commit}


def fmt(summary: dict, key: str) -> str:
    value = summary.get(key) if summary else None
    return "—" if value is None else f"{value:.1f}"


def markdown(result) -> str:
    info, args = result["machine"], result["settings"]
    load = result["load_average"]
    if args["delivery_app"]:
        hand_off = (
            "REDIS_URL unset, so Celery runs tasks eagerly: the on-commit hand-off to delivery "
            + ("(stamp the master PDF, download link, mail through the locmem backend, move to "
               "delivered)" if args["master_pdfs"] else "(no master PDFs: delivery fails and "
               "flags the order)")
            + " runs inside the webhook request, after the paid state is committed and before "
            "the answer"
        )
    else:
        hand_off = "REDIS_URL unset (the on-commit hand-off, a log line in this tree, runs in-process)"
    lines = [
        f"Command: `{result['command']}`",
        "",
        f"Machine: {info['nproc']} CPUs ({info['cpu']}), {info['memory']}, {info['os']}; "
        f"Python {info['python']}, Django {info['django']}, stripe {info['stripe_sdk']}, "
        f"gunicorn {info['gunicorn']} ({args['workers']} sync workers), PostgreSQL "
        f"{info['postgresql']} (synchronous_commit {result['database']['synchronous_commit']}); "
        f"load: Python http.client threads; {hand_off}; DEBUG off. Load average (1 min) "
        f"{load['before_setup'][0]:.2f} before the run, {load['before_load'][0]:.2f} before "
        f"and {load['after_load'][0]:.2f} after the load phases.",
        "",
        "| phase | connections | requests | req/s | answer p50 / p95 ms | paid in DB p50 / p95 ms | statuses |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for phase in result["phases"]:
        answer, paid = phase["answer_ms"], phase.get("paid_in_db_ms")
        statuses = ", ".join(f"{n} × {s}" for s, n in sorted(phase["statuses"].items()))
        lines.append(
            f"| {phase['description']} | {phase['connections']} | {phase['requests']:,} "
            f"| {phase['rps']:,.0f} | {fmt(answer, 'p50')} / {fmt(answer, 'p95')} "
            f"| {(fmt(paid, 'p50') + ' / ' + fmt(paid, 'p95')) if paid else '—'} | {statuses} |"
        )
    lines += [
        "",
        f"CPU during each phase, cores busy (of {info['nproc']}; from /proc):",
        "",
        "| phase | gunicorn | PostgreSQL | Stripe server | load generator | other processes | whole machine |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for phase in result["phases"]:
        cpu = phase["cpu_cores"]
        lines.append(
            f"| {phase['description'].split('.')[0]}. | {cpu['gunicorn']:.2f} | {cpu['postgresql']:.2f} "
            f"| {cpu['stripe_server']:.2f} | {cpu['load_generator']:.2f} | {cpu['other']:.2f} "
            f"| {cpu['machine']:.2f} |"
        )
    breakdown = result.get("in_process")
    if breakdown:
        lines += [
            "",
            f"In-process, through Django's test client (median of {breakdown['new']['samples']} "
            "webhooks each, ms):",
            "",
            "| request | total | signature check | Stripe re-fetch | SQL (statements) | COMMIT "
            "| delivery, after the commit | rest |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for kind in ("new", "duplicate", "bad_signature"):
            row = breakdown[kind]
            lines.append(
                f"| {row['label']} | {row['total_ms']:.2f} | {row['verify_ms']:.2f} "
                f"| {row['refetch_ms']:.2f} | {row['sql_ms']:.2f} ({row['queries']:g}) "
                f"| {row['commit_ms']:.2f} | {row['delivery_ms']:.2f} | {row['other_ms']:.2f} |"
            )
        micro = breakdown["signature_microbench"]
        lines += [
            "",
            f"Signature check of a {micro['payload_bytes']:,}-byte event: HMAC + timestamp "
            f"{micro['hmac_check_ms']:.3f} ms, `json.loads` {micro['json_loads_ms']:.3f} ms, "
            f"the shop's `verify_webhook` (both, plus SDK objects and `to_dict`) "
            f"{micro['verify_webhook_ms']:.3f} ms. Stripe re-fetch inside the open transaction: "
            f"{breakdown['new']['refetch_inside_transaction']} webhooks. During this timing the "
            f"machine was busy {breakdown['cpu_cores']['machine']:.2f} cores, this process "
            f"{breakdown['cpu_cores']['load_generator']:.2f}, other processes "
            f"{breakdown['cpu_cores']['other']:.2f}.",
        ]
    profile = result.get("profile")
    if profile:
        parts = ", ".join(f"{label} {ms:.2f}" for label, ms in profile["cumulative_ms_per_request"].items())
        lines += ["", f"cProfile of {profile['requests']} more paid webhooks (`{profile['file']}`; "
                      f"cumulative ms per request, inflated by the profiler): {parts}."]
    checks = result["checks"]
    lines += [
        "",
        "Checks: " + ("all passed" if checks["ok"] else f"**FAILED** {checks['failures']}")
        + f" ({checks['orders']} orders, each paid with one paid status change"
        + (f", {checks['orders_delivered']} delivered" if checks["delivery_app"] else "")
        + "; "
        f"{checks['events']} events, one PaymentEvent each and {checks['payment_events_total']} "
        f"in all; one session re-fetch per new event; {checks['http_5xx']} answers 5xx; "
        f"{checks['gunicorn_log_errors']} errors in the gunicorn log).",
    ]
    return "\n".join(lines) + "\n"


def print_table(phases):
    header = (f"{'phase':<22} {'conn':>4} {'requests':>8} {'req/s':>7} {'ans p50':>8} {'ans p95':>8} "
              f"{'db p50':>7} {'db p95':>7}  statuses")
    print(header)
    print("-" * len(header))
    for phase in phases:
        answer, paid = phase["answer_ms"], phase.get("paid_in_db_ms") or {}
        print(
            f"{phase['name']:<22} {phase['connections']:>4} {phase['requests']:>8} {phase['rps']:>7.1f} "
            f"{fmt(answer, 'p50'):>8} {fmt(answer, 'p95'):>8} {fmt(paid, 'p50'):>7} {fmt(paid, 'p95'):>7}  "
            + ", ".join(f"{n}×{s}" for s, n in sorted(phase["statuses"].items()))
        )


# --- Main ----------------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=300,
                        help="new (paying) events per new-event phase: one at --connections, one at 1")
    parser.add_argument("--seconds", type=int, default=10, help="duplicate and bad-signature phases")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--connections", type=int, default=4, help="client connections (phases a, c, d)")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--in-process", type=int, default=30,
                        help="webhooks timed piece by piece in-process (0: skip)")
    parser.add_argument("--no-pdfs", action="store_true",
                        help="seed_demo --no-pdfs: no master PDFs, so delivery fails (and is flagged) "
                             "inside each paid webhook; the default seeds the PDFs and delivers")
    parser.add_argument("--keep-media", action="store_true",
                        help="keep bench/results/webhook-media/ (master PDFs, stamped copies) after the run")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile --in-process extra paid webhooks into bench/results/webhook-profile.txt")
    parser.add_argument("--phase-timeout", type=int, default=120,
                        help="longest a new-event phase may run, seconds")
    parser.add_argument("--source", default=str(ROOT),
                        help="the shop's tree to run (default: this checkout); results still go "
                             "to bench/results/ here")
    args = parser.parse_args(argv)
    if args.orders < 1 or args.seconds < 1 or args.workers < 1 or args.connections < 1:
        parser.error("--orders, --seconds, --workers and --connections must be at least 1")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    command = " ".join([".venv/bin/python bench/webhook_throughput.py",
                        *(argv if argv is not None else sys.argv[1:])])
    source = Path(args.source).resolve()
    if not (source / "manage.py").exists() or not (source / "tests" / "stripe_server.py").exists():
        raise SystemExit(f"--source {source} has no manage.py or tests/stripe_server.py")
    check_database_url(args.database_url)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _exit_on_signal)
    signal.signal(signal.SIGHUP, _exit_on_signal)
    RESULTS.mkdir(parents=True, exist_ok=True)
    load_before_setup = os.getloadavg()

    stripe = StripeProcess(source)
    atexit.register(stripe.stop)
    atexit.register(PROCESSES.stop_all)
    listener = None
    try:
        stripe.start()
        print(f"Stripe-compatible server on {stripe.info['url']} (child process {stripe.process.pid})", flush=True)
        port = free_port(HOST)
        env = bench_environment(args, stripe.info, port, source)
        prepare_database(args, env, source)
        setup_django(env, source)
        install_paid_trigger()
        database = database_facts()
        sys.path.insert(0, str(source))
        from tests.stripe_server import StripeServer

        signer = StripeServer(webhook_secret=stripe.info["webhook_secret"])  # only signs; never started
        warm_count = 4 * args.workers
        profile_count = args.in_process if args.profile else 0
        total = warm_count + args.in_process + 2 * args.orders + profile_count
        print(f"Placing {total} card orders with Checkout Sessions (in-process, through the shop)", flush=True)
        orders = create_orders(total)
        started = time.perf_counter()
        events = stripe.call("pay_and_build", [o["session_id"] for o in orders], timeout=300)
        print(f"  paid {len(events)} sessions at the server, no webhook sent "
              f"({time.perf_counter() - started:.1f} s)", flush=True)
        items = []
        for order, event in zip(orders, events):
            items.append({**order, "event_id": event["id"], "payload": StripeServer.event_payload(event)})
        warm = items[:warm_count]
        in_process_items = items[warm_count:warm_count + args.in_process]
        new_many = items[warm_count + args.in_process:warm_count + args.in_process + args.orders]
        first_new = warm_count + args.in_process
        new_one = items[first_new + args.orders:first_new + 2 * args.orders]
        profile_items = items[first_new + 2 * args.orders:]

        breakdown = None
        if in_process_items:
            print(f"Timing {len(in_process_items)} webhooks in-process (new, duplicate, bad signature)", flush=True)
            meter = CpuMeter(gunicorn_pid=-1, stripe_pid=stripe.process.pid,
                             database=urlsplit(args.database_url).path.lstrip("/"))
            cpu_start = meter.snapshot()
            breakdown = measure_in_process(in_process_items, signer)
            breakdown["cpu_cores"] = meter.cores(cpu_start, meter.snapshot())
        profile = None
        if profile_items:
            print(f"Profiling {len(profile_items)} paid webhooks in-process", flush=True)
            profile = profile_new_webhooks(profile_items, signer)

        process = start_gunicorn(args, env, port, source)
        print(f"gunicorn pid {process.pid} on {HOST}:{port}; warming up", flush=True)
        listener = PaidListener(args.database_url).start()
        sign_ok = signer.sign

        def sign_bad(payload):
            return signer.sign(payload, secret=WRONG_SECRET)

        warm_phases = [
            drive(port, warm, connections=min(args.connections, len(warm)), seconds=30, cycle=False, sign=sign_ok),
            drive(port, warm, connections=args.connections, seconds=1, cycle=True, sign=sign_ok),
            drive(port, warm, connections=args.connections, seconds=1, cycle=True, sign=sign_bad),
        ]
        for expected, warm_result in zip((200, 200, 400), warm_phases):
            bad = [r for r in warm_result["records"] if r[3] != expected]
            if bad or warm_result["unsent"]:
                raise SystemExit(f"warm-up: {len(bad)} answers other than {expected}; "
                                 f"see {RESULTS / 'webhook-gunicorn.log'}")
        listener.wait_for([w["order_id"] for w in warm])
        time.sleep(1)

        meter = CpuMeter(gunicorn_pid=process.pid, stripe_pid=stripe.process.pid,
                         database=urlsplit(args.database_url).path.lstrip("/"))
        load_before = os.getloadavg()
        phases = []
        plan = [
            ("new_events", "a. new `checkout.session.completed` (pays an order)", args.connections,
             new_many, False, args.phase_timeout, sign_ok, 200, True),
            ("new_events_1conn", "a'. new events, one at a time (latency)", 1,
             new_one, False, args.phase_timeout, sign_ok, 200, True),
            ("duplicates", "b. duplicate deliveries (signature + dedupe)", args.connections,
             new_many + new_one, True, args.seconds, sign_ok, 200, False),
            ("bad_signatures", "c. bad signatures (400)", args.connections,
             new_many + new_one, True, args.seconds, sign_bad, 400, False),
        ]
        for name, description, connections, phase_items, cycle, seconds, sign, expected, paying in plan:
            what = f"for {seconds} s" if cycle else f"{len(phase_items)} events (at most {seconds} s)"
            print(f"  {name}: {connections} connection(s), {what}", flush=True)
            cpu_start = meter.snapshot()
            result = drive(port, phase_items, connections=connections, seconds=seconds, cycle=cycle, sign=sign)
            cpu_cores = meter.cores(cpu_start, meter.snapshot())
            if paying:
                not_seen = listener.wait_for([i["order_id"] for i in phase_items])
                if not_seen:
                    print(f"    {not_seen} orders not seen paid within 10 s", flush=True)
            phases.append(phase_result(name, description, connections, result, expected, phase_items,
                                       listener if paying else None))
            phases[-1]["cpu_cores"] = cpu_cores
            time.sleep(1)
        load_after = os.getloadavg()
    finally:
        if listener is not None:
            listener.stop()
        PROCESSES.stop_all()

    try:
        stripe_stats = stripe.call("stats", timeout=60)
    finally:
        stripe.stop()
    checks = verify(warm + in_process_items + new_many + new_one + profile_items, phases, stripe_stats,
                    RESULTS / "webhook-gunicorn.log", pdfs=not args.no_pdfs)
    if not args.keep_media:  # ~0.4 MB of stamped PDF per order
        shutil.rmtree(MEDIA, ignore_errors=True)

    print()
    print_table(phases)
    print("\nchecks: " + ("all passed" if checks["ok"] else f"FAILED {checks['failures']}"))
    info = machine(database["version"])
    result = {
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": command,
        "source": {"path": str(source), **git_facts(source)},
        "machine": info,
        "database": database,
        "settings": {
            "orders_per_new_phase": args.orders, "seconds": args.seconds, "workers": args.workers,
            "connections": args.connections, "debug": False, "redis_url": False,
            "settings_module": "storefront.settings", "log_level": "INFO",
            "database": urlsplit(args.database_url).path.lstrip("/"),
            "warm_up_orders": warm_count, "in_process_orders": len(in_process_items),
            "master_pdfs": not args.no_pdfs, "delivery_app": checks["delivery_app"],
        },
        "load_average": {"before_setup": load_before_setup, "before_load": load_before,
                         "after_load": load_after},
        "phases": phases,
        "in_process": breakdown,
        "profile": profile,
        "stripe_server": {k: v for k, v in stripe_stats.items() if k != "session_retrieves"},
        "checks": checks,
    }
    (RESULTS / "webhook-latest.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    text = markdown(result)
    (RESULTS / "webhook-latest.md").write_text(text)
    print()
    print(text)
    print(f"wrote {RESULTS / 'webhook-latest.json'} and {RESULTS / 'webhook-latest.md'}")
    return 0 if checks["ok"] else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        PROCESSES.stop_all()
        print("\ninterrupted; gunicorn and the Stripe server stopped", file=sys.stderr)
        sys.exit(130)
