#!/usr/bin/env python
"""Where one delivery's time goes: `deliver_order` in-process on real paid orders.

    .venv/bin/python bench/delivery_profile.py [--orders 20] [--profile 10] [--top 30]
        [--database-url postgres://postgres@127.0.0.1:5432/storefront_bench_profile]

A fresh database (dropped and recreated; the name must contain `bench`) gets the demo
catalogue with PDFs in a temporary PRIVATE_MEDIA_ROOT. Card orders for 1994249 (buyers
alternate between English and Chinese, as in `delivery_latency.py`) are marked paid
with a direct UPDATE (no task is queued) and delivered one at a time by
`storefront.delivery.services.deliver_order` in this process, mailing to the suite's
SMTP sink (with TCP_NODELAY, as a real MTA). Reported per delivery: wall time split
into spans (stamping, storage, SQL, SMTP), SQL statements and commits, CPU time of
the process (with the sink's threads) and of the delivering thread alone; then a cProfile of `--profile` further deliveries (cumulative time).
The first two deliveries warm the process (fonts, templates, connections) and are
left out.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.delivery_latency import (  # noqa: E402
    PRODUCT_CODE, SECRET_KEY, check_database_url, drop_database, make_sink, recreate_database, run,
)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=20, help="timed deliveries")
    parser.add_argument("--profile", type=int, default=10, help="deliveries under cProfile")
    parser.add_argument("--top", type=int, default=30, help="functions shown from the profile")
    parser.add_argument("--database-url",
                        default="postgres://postgres@127.0.0.1:5432/storefront_bench_profile")
    parser.add_argument("--keep", action="store_true", help="keep the database and media")
    return parser.parse_args(argv)


def environment(args, sink, media: Path) -> dict:
    keep = {k: v for k, v in os.environ.items()
            if not k.startswith(("AWS_", "REDIS_URL", "EMAIL_", "DJANGO_"))}
    keep.update(
        DATABASE_URL=args.database_url, DJANGO_SETTINGS_MODULE="storefront.settings",
        DJANGO_SECRET_KEY=SECRET_KEY, DJANGO_DEBUG="0", DJANGO_SECURE_SSL_REDIRECT="0",
        PRIVATE_MEDIA_ROOT=str(media), EMAIL_URL=sink.url, PYTHONPATH=str(ROOT),
        STRIPE_SECRET_KEY="sk_test_bench_profile", STRIPE_WEBHOOK_SECRET="whsec_bench_profile",
        LOG_LEVEL="WARNING",
    )
    return keep


def prepare_in_process(args, sink, media: Path) -> dict:
    """A fresh bench database with the demo catalogue (and its masters in ``media``), and
    Django set up in this process on it; returns the environment."""
    env = environment(args, sink, media)
    recreate_database(args.database_url)
    setup = {**env, "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    setup.pop("EMAIL_URL")
    run([sys.executable, "manage.py", "migrate", "--no-input", "-v0"], setup, timeout=300)
    run([sys.executable, "manage.py", "seed_demo"], setup, timeout=300)
    os.environ.update(env)
    import django

    django.setup()
    return env


def print_profile(profiler, top: int, title: str) -> None:
    """The profile's top functions by cumulative and by own time, under a title."""
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    print(f"\n{title}:")
    print(out.getvalue())


def paid_orders(count: int) -> list[int]:
    from django.utils import timezone

    from bench.delivery_latency import place_bench_order
    from reports.models import LicenseOption
    from storefront.orders.models import Order, OrderStatus

    options = list(LicenseOption.objects.filter(report__product_code=PRODUCT_CODE, currency="USD")
                   .select_related("report").order_by("id"))
    ids = []
    for index in range(count):
        order = place_bench_order(options, index)
        ids.append(order.pk)
    Order.objects.filter(pk__in=ids).update(status=OrderStatus.PAID, paid_at=timezone.now())
    return ids


class Spans:
    """Wall time inside a few functions (outermost call only), per delivery."""

    def __init__(self):
        self.totals: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.depth: dict[str, int] = {}

    def wrap(self, owner, attribute: str, label: str):
        original = getattr(owner, attribute)
        spans = self

        def timed(*args, **kwargs):
            spans.depth[label] = spans.depth.get(label, 0) + 1
            spans.calls[label] = spans.calls.get(label, 0) + 1
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spans.depth[label] -= 1
                if not spans.depth[label]:
                    spans.totals[label] = spans.totals.get(label, 0.0) + time.perf_counter() - started

        setattr(owner, attribute, timed)

    def take(self) -> dict[str, float]:
        totals, self.totals = self.totals, {}
        totals.update({f"{label} calls": calls for label, calls in self.calls.items()})
        self.calls = {}
        return totals


def main(argv=None) -> int:
    args = parse_args(argv if argv is not None else sys.argv[1:])
    check_database_url(args.database_url)
    media = Path(tempfile.mkdtemp(prefix="storefront-bench-profile-"))
    sink = make_sink(nagle=False)
    try:
        prepare_in_process(args, sink, media)
        from django.db import connection, connections
        from django.db.backends.utils import CursorWrapper

        from storefront.delivery import mailer, services, stamping

        warm = 2
        ids = paid_orders(warm + args.orders + args.profile)
        spans = Spans()
        spans.wrap(services, "stamp_stored", "stamp_stored")
        spans.wrap(services, "_save_copy", "save copy (storage + row)")
        spans.wrap(services, "_mail_links", "mail (render + SMTP)")
        spans.wrap(mailer, "send", "SMTP send")
        spans.wrap(stamping, "build_overlay", "reportlab overlay")
        spans.wrap(CursorWrapper, "execute", "SQL execute")
        spans.wrap(type(connections["default"]), "_commit", "commit")
        statements = []

        def count(execute, sql, params, many, context):
            statements.append(sql)
            return execute(sql, params, many, context)

        rows = []
        with connection.execute_wrapper(count):
            for position, order_id in enumerate(ids[: warm + args.orders]):
                statements.clear()
                spans.take()
                cpu, started = time.process_time(), time.perf_counter()
                thread_cpu = time.thread_time()
                services.deliver_order(order_id=order_id)
                wall = time.perf_counter() - started
                cpu = time.process_time() - cpu
                thread_cpu = time.thread_time() - thread_cpu
                if position >= warm:
                    rows.append({"wall": wall, "cpu": cpu, "cpu (this thread)": thread_cpu,
                                 "statements": len(statements),
                                 **spans.take()})
        print(f"\n{args.orders} deliveries of {PRODUCT_CODE} in-process (after {warm} warm-up), "
              f"load {os.getloadavg()[0]:.2f}")
        print("| span | median ms | p95 ms |\n| --- | ---: | ---: |")
        keys = ["wall", "cpu", "cpu (this thread)", "stamp_stored", "reportlab overlay", "save copy (storage + row)",
                "mail (render + SMTP)", "SMTP send", "SQL execute", "commit"]
        for key in keys:
            values = sorted(row.get(key, 0.0) * 1000 for row in rows)
            p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
            print(f"| {key} | {statistics.median(values):.1f} | {p95:.1f} |")
        print(f"per delivery: {statistics.median(r['statements'] for r in rows):.0f} SQL statements, "
              f"{statistics.median(r.get('commit calls', 0) for r in rows):.0f} commits")
        profiler = cProfile.Profile(time.thread_time)  # CPU of this thread, not waits
        profiler.enable()
        for order_id in ids[warm + args.orders:]:
            services.deliver_order(order_id=order_id)
        profiler.disable()
        print_profile(profiler, args.top, f"cProfile of {args.profile} deliveries")
        connection.close()
    finally:
        sink.stop()
        shutil.rmtree(media, ignore_errors=True)
        if not args.keep:
            drop_database(args.database_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
