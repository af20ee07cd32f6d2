#!/usr/bin/env python
"""Where a paid webhook's CPU goes in the web process: the real view, a real signed event.

    .venv/bin/python bench/webhook_profile.py [--orders 40] [--profile 40] [--top 35]
        [--database-url postgres://postgres@127.0.0.1:5432/storefront_bench_webhook_profile]
        [--redis-url redis://127.0.0.1:6379/14] [--reuse-db]

A fresh database (name must contain `bench`; --reuse-db keeps one made before) gets the
demo catalogue (`seed_demo`). The suite's Stripe-compatible server (tests/stripe_server.py)
runs as a thread of this process; pending card orders for 1994249 get their Checkout
Sessions there and are paid without a webhook, as in `delivery_latency.py`. Each order's
signed `checkout.session.completed` event is then POSTed to /stripe/webhook/ through
Django's test client with the shop's own settings (DEBUG off, every middleware), with
REDIS_URL set: the on-commit hand-off publishes the delivery task to a real broker (the
Redis database of --redis-url, emptied before and after; no worker takes it). The mail
is never sent.

Reported per webhook (after two warm-up ones): CPU of the request's thread
(time.thread_time: the Stripe server's threads are not in it, its answer's parsing is),
wall time, SQL statements and commits; then a cProfile of --profile more webhooks.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.delivery_latency import (  # noqa: E402
    WEBHOOK_PATH, bench_environment, check_database_url, check_redis_url, create_orders,
    drop_database, flush_redis, make_sink, prepare_database, setup_django,
)
from bench.delivery_profile import print_profile  # noqa: E402


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=40, help="timed webhooks")
    parser.add_argument("--profile", type=int, default=40, help="webhooks under cProfile")
    parser.add_argument("--top", type=int, default=35, help="functions shown from the profile")
    parser.add_argument("--database-url",
                        default="postgres://postgres@127.0.0.1:5432/storefront_bench_webhook_profile")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--reuse-db", action="store_true",
                        help="keep the database between runs (made, migrated and seeded if missing)")
    return parser.parse_args(argv)


def database_ready(database_url: str) -> bool:
    import psycopg
    from urllib.parse import urlsplit

    name = urlsplit(database_url).path.lstrip("/")
    with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
        if not c.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return False
    with psycopg.connect(database_url) as c:
        return bool(c.execute(
            "SELECT 1 FROM information_schema.tables WHERE table_name = 'reports_licenseoption'"
        ).fetchone())


def main(argv=None) -> int:
    args = parse_args(argv if argv is not None else sys.argv[1:])
    check_database_url(args.database_url)
    check_redis_url(args.redis_url)
    from tests.stripe_server import StripeServer

    (ROOT / "bench" / "results").mkdir(parents=True, exist_ok=True)

    media = Path(tempfile.mkdtemp(prefix="storefront-bench-webhook-profile-"))
    stripe = StripeServer().start()
    sink = make_sink(nagle=False)
    try:
        options = SimpleNamespace(database_url=args.database_url, redis_url=args.redis_url)
        env = bench_environment(options, stripe, sink, 9600, media)
        env["LOG_LEVEL"] = "WARNING"
        if not (args.reuse_db and database_ready(args.database_url)):
            prepare_database(options, env)
        flush_redis(args.redis_url)
        setup_django(env)
        from django.db import connection, connections
        from django.test import Client

        warm = 2
        orders = create_orders(stripe, [("warmup", warm), ("timed", args.orders),
                                        ("profiled", args.profile)])
        client = Client(HTTP_HOST="127.0.0.1")  # an allowed host, as gunicorn is asked
        commits = []
        database = type(connections["default"])
        original_commit = database._commit

        def counted_commit(self, *a, **k):
            commits.append(1)
            return original_commit(self, *a, **k)

        database._commit = counted_commit
        statements = []

        def count(execute, sql, params, many, context):
            statements.append(sql)
            return execute(sql, params, many, context)

        def post(order):
            response = client.post(
                WEBHOOK_PATH, data=order.payload, content_type="application/json",
                headers={"Stripe-Signature": stripe.sign(order.payload)},
            )
            if response.status_code != 200:
                raise SystemExit(f"{order.number}: webhook answered {response.status_code}")

        rows = []
        with connection.execute_wrapper(count):
            for position, order in enumerate(o for o in orders if o.phase != "profiled"):
                statements.clear()
                commits.clear()
                cpu, started = time.thread_time(), time.perf_counter()
                post(order)
                wall, cpu = time.perf_counter() - started, time.thread_time() - cpu
                if position >= warm:
                    rows.append({"cpu": cpu * 1000, "wall": wall * 1000,
                                 "statements": len(statements), "commits": len(commits)})
        print(f"\n{len(rows)} paid webhooks through the test client (after {warm} warm-up), "
              f"load {os.getloadavg()[0]:.2f}")
        print("| per webhook | median | p95 |\n| --- | ---: | ---: |")
        for key in ("cpu", "wall", "statements", "commits"):
            values = sorted(row[key] for row in rows)
            p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
            unit = " ms" if key in ("cpu", "wall") else ""
            print(f"| {key}{unit} | {statistics.median(values):.1f} | {p95:.1f} |")
        print("statements of the last webhook:")
        for sql in statements:
            print(f"  {sql[:150]}")
        profiler = cProfile.Profile(time.thread_time)  # CPU of the request thread, not waits
        for order in (o for o in orders if o.phase == "profiled"):
            profiler.enable()
            post(order)
            profiler.disable()
        dump = ROOT / "bench" / "results" / "webhook-profile.pstats"
        profiler.dump_stats(dump)  # for pstats' callers / callees
        print_profile(profiler, args.top,
                      f"cProfile of {args.profile} webhooks (all of it in {dump})")
        connection.close()
    finally:
        flush_redis(args.redis_url)
        sink.stop()
        stripe.stop()
        shutil.rmtree(media, ignore_errors=True)
        if not args.reuse_db:
            drop_database(args.database_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
