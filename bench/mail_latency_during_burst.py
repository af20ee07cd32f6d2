#!/usr/bin/env python
"""Inquiry acknowledgement latency (queued → mail at an SMTP sink) while a burst of paid
orders is being stamped: one shared queue against the split queues (delivery / mail).

    .venv/bin/python bench/mail_latency_during_burst.py [--orders 200] [--inquiries 20]
        [--inquiry-interval 0.5] [--delivery-concurrency 3] [--mail-concurrency 2]
        [--modes shared,split]
        [--database-url postgres://postgres@127.0.0.1:5432/storefront_bench_mail]
        [--redis-url redis://127.0.0.1:6379/13]

What it does:

1. drops and recreates the benchmark database (its name must contain "bench"), migrates
   it and runs `seed_demo` with PDFs (product 1994249, a 196-page master) into a fresh
   temporary PRIVATE_MEDIA_ROOT; empties the Redis database of --redis-url (never 0);
2. starts the suite's SMTP sink (tests/smtp_sink.py, a thread of this process, TCP_NODELAY
   as a real MTA) and, per mode, real Celery workers (prefork) on Redis:
   - shared: ONE worker, `-Q celery -c <delivery + mail concurrency>`, with every task on
     the default queue (bench/shared_queue_settings.py: no routes), as before the split;
   - split: the README's shape, `-Q delivery -c <delivery>` and `-Q mail,celery -c <mail>`,
     the shop's own routing; the same number of processes in all;
3. in this process: places --orders card orders for 1994249 (not timed), then marks them
   all paid at once (`orders.services.mark_order_paid`: each queues its delivery, stamping
   and mail, after commit), then submits --inquiries questions, one every
   --inquiry-interval seconds (`inquiries.services.submit_inquiry`: acknowledgement and
   sales notice queued after commit);
4. measures, per inquiry, from its mails being queued to its acknowledgement arriving at
   the sink; and the burst: first order paid → last delivery mail;
5. prints a table and writes bench/results/mail-latency-during-burst.json.

Workers run in their own process groups and are stopped on exit, on errors and on
Ctrl-C; the database is dropped and the media removed at the end (--keep keeps them).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from bench.delivery_latency import (  # noqa: E402  (needs ROOT on sys.path)
    PROCESSES,
    PROXY_VARIABLES,
    check_redis_url,
    drop_database,
    flush_redis,
    make_sink,
    prepare_database,
    setup_django,
)

RESULTS = ROOT / "bench" / "results"
RESULT_FILE = RESULTS / "mail-latency-during-burst.json"
BIN = Path(sys.executable).parent
PRODUCT_CODE = "1994249"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/storefront_bench_mail"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
SECRET_KEY = "benchmark-only-secret-key-not-for-production-0123456789"


def environment(args, sink, media: Path, settings_module: str) -> dict:
    drop = {"REDIS_URL", "EMAIL_URL", "EMAIL_BACKEND", "DJANGO_SETTINGS_MODULE", *PROXY_VARIABLES}
    env = {key: value for key, value in os.environ.items() if key not in drop}
    env.update(
        DATABASE_URL=args.database_url,
        DJANGO_SETTINGS_MODULE=settings_module,
        DJANGO_SECRET_KEY=SECRET_KEY,
        DJANGO_DEBUG="0",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        SITE_URL="http://127.0.0.1:8000",
        REDIS_URL=args.redis_url,
        CACHE_KEY_PREFIX="storefront-bench-mail",
        # No card is charged here; the keys only satisfy the production start check.
        STRIPE_SECRET_KEY="sk_test_bench_not_used",
        STRIPE_WEBHOOK_SECRET="whsec_bench_not_used",
        SALES_EMAIL="sales@bench.example.com",
        DEFAULT_FROM_EMAIL="orders@bench.example.com",
        SELLER_LEGAL_NAME="Meridian Research Ltd",
        EMAIL_URL=sink.url,
        PRIVATE_MEDIA_ROOT=str(media),
        LOG_LEVEL="WARNING",
        NO_PROXY="127.0.0.1,localhost",
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONUNBUFFERED="1",
        PYTHONPATH=str(ROOT),
    )
    return env


def start_worker(name: str, queues: str, concurrency: int, env: dict) -> subprocess.Popen:
    log_path = RESULTS / f"mail-burst-{name}.log"
    command = [
        str(BIN / "celery"), "-A", "storefront", "worker", "--pool=prefork",
        f"--concurrency={concurrency}", "--loglevel=WARNING", "-Q", queues,
        "-n", f"{name}@%h", "--without-heartbeat", "--without-gossip", "--without-mingle",
    ]
    print(f"  $ {' '.join(command[1:])}", flush=True)
    log = open(log_path, "wb")
    process = PROCESSES.start(command, name=name, cwd=ROOT, env=env,
                              stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    return process


def wait_until_consuming(redis_url: str, queues: list[str], processes, timeout=60.0):
    """Ready once every queue has a consumer: a probe message is taken off each."""
    import redis

    client = redis.Redis.from_url(redis_url)
    deadline = time.monotonic() + timeout
    # Celery's worker logs "ready." only at INFO; a short settle after the pool is up
    # is measured instead by the first inquiry of each run being sent last.
    while time.monotonic() < deadline:
        if any(process.poll() is not None for process in processes):
            raise SystemExit("a celery worker exited; see bench/results/mail-burst-*.log")
        bindings = [client.exists(f"_kombu.binding.{queue}") for queue in queues]
        if all(bindings):
            time.sleep(3)  # the pool processes import Django and the shop
            client.close()
            return
        time.sleep(0.1)
    client.close()
    raise SystemExit("the workers did not bind their queues within 60 s")


def place_orders(count: int, tag: str) -> list[int]:
    from reports.models import LicenseOption
    from storefront.orders.cart import CartLine
    from storefront.orders.models import PaymentMethod
    from storefront.orders.services import Buyer, place_order

    option = (LicenseOption.objects.filter(report__product_code=PRODUCT_CODE)
              .select_related("report").order_by("id").first())
    ids = []
    for index in range(count):
        buyer = Buyer(email=f"buyer-{tag}-{index}@example.com", full_name=f"Bench Buyer {index}",
                      company="Benchmark Medical Ltd", country="GB")
        order = place_order(lines=[CartLine(option)], buyer=buyer, language="en",
                            payment_method=PaymentMethod.CARD)
        ids.append(order.pk)
    return ids


def run_mode(mode: str, args, sink, media: Path) -> dict:
    from storefront.celery import app
    from storefront.inquiries.services import Contact, submit_inquiry
    from storefront.orders.services import mark_order_paid
    from reports.models import Report

    print(f"\n{mode}: {args.orders} paid orders, then {args.inquiries} inquiries", flush=True)
    flush_redis(args.redis_url)
    order_ids = place_orders(args.orders, mode)
    report = Report.objects.get(product_code=PRODUCT_CODE)
    if mode == "shared":
        env = environment(args, sink, media, "bench.shared_queue_settings")
        workers = [start_worker("shared", "celery", args.delivery_concurrency
                                + args.mail_concurrency, env)]
        queues = ["celery"]
        app.conf.update(task_routes={})
    else:
        env = environment(args, sink, media, "storefront.settings")
        workers = [
            start_worker("delivery", "delivery", args.delivery_concurrency, env),
            start_worker("mail", "mail,celery", args.mail_concurrency, env),
        ]
        queues = ["delivery", "mail", "celery"]
        from django.conf import settings

        app.conf.update(task_routes=settings.CELERY_TASK_ROUTES)
    try:
        wait_until_consuming(args.redis_url, queues, workers)
        burst_started = time.perf_counter()
        for order_id in order_ids:
            mark_order_paid(order_id=order_id, source="bench")
        burst_queued = time.perf_counter()
        inquiries = []
        for index in range(args.inquiries):
            email = f"asker-{mode}-{index}@example.com"
            contact = Contact(name=f"Asker {index}", email=email, company="Bench Ltd",
                              job_title="Analyst", country="GB")
            submit_inquiry(contact=contact, kind="question", message="Does it cover Europe?",
                           report=report, language="en")
            inquiries.append((email, time.perf_counter()))
            time.sleep(args.inquiry_interval)
        deadline = time.monotonic() + args.timeout
        acknowledgements: dict[str, float] = {}
        deliveries: dict[str, float] = {}
        buyers = {f"buyer-{mode}-{index}@example.com" for index in range(args.orders)}
        while time.monotonic() < deadline:
            arrivals, _by_number = sink.snapshot()
            acknowledgements = {}
            deliveries = {}
            for arrival in arrivals:
                for address in arrival.rcpt_tos:
                    if address.startswith(f"asker-{mode}-") and address not in acknowledgements:
                        acknowledgements[address] = arrival.perf
                    elif address in buyers and "/downloads/" in arrival.text:
                        deliveries.setdefault(address, arrival.perf)
            if len(acknowledgements) == len(inquiries) and len(deliveries) >= args.orders:
                break
            time.sleep(0.1)
    finally:
        PROCESSES.stop_all()
    latencies = [
        (acknowledgements[email] - queued) * 1000
        for email, queued in inquiries if email in acknowledgements
    ]
    result = {
        "mode": mode,
        "orders": args.orders,
        "inquiries": len(inquiries),
        "acknowledged": len(latencies),
        "delivered": len(deliveries),
        "burst_queue_seconds": round(burst_queued - burst_started, 2),
        "burst_drain_seconds": round(max(deliveries.values()) - burst_started, 1) if deliveries else None,
        "ack_ms": summary(latencies),
    }
    print(f"  acknowledgements {result['acknowledged']}/{len(inquiries)}, deliveries "
          f"{result['delivered']}/{args.orders}, burst queued in {result['burst_queue_seconds']} s, "
          f"drained in {result['burst_drain_seconds']} s", flush=True)
    print(f"  ack latency ms: {result['ack_ms']}", flush=True)
    return result


def summary(values: list[float]) -> dict:
    if not values:
        return {}
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50": round(statistics.median(ordered)), "p95": round(p95),
            "max": round(ordered[-1]), "min": round(ordered[0])}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--inquiries", type=int, default=20)
    parser.add_argument("--inquiry-interval", type=float, default=0.5)
    parser.add_argument("--delivery-concurrency", type=int, default=3)
    parser.add_argument("--mail-concurrency", type=int, default=2)
    parser.add_argument("--modes", default="shared,split")
    parser.add_argument("--timeout", type=float, default=240)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    check_redis_url(args.redis_url)
    RESULTS.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    media = Path(tempfile.mkdtemp(prefix="bench-mail-media-"))
    sink = make_sink(nagle=False)
    try:
        env = environment(args, sink, media, "storefront.settings")
        prepare_database(args, env)
        setup_django(env)
        results = [run_mode(mode, args, sink, media) for mode in args.modes.split(",")]
    finally:
        PROCESSES.stop_all()
        sink.stop()
        if not args.keep:
            drop_database(args.database_url)
            shutil.rmtree(media, ignore_errors=True)
    report = {
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "command": " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]]),
        "results": results,
    }
    RESULT_FILE.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\n{'mode':8} {'orders':>6} {'drain s':>8} {'ack p50 ms':>10} {'p95':>7} {'max':>7}")
    for row in results:
        ack = row["ack_ms"]
        print(f"{row['mode']:8} {row['orders']:>6} {row['burst_drain_seconds']!s:>8} "
              f"{ack.get('p50', '-')!s:>10} {ack.get('p95', '-')!s:>7} {ack.get('max', '-')!s:>7}")
    print(f"written to {RESULT_FILE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
