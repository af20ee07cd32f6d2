#!/usr/bin/env python
"""One delivery's CPU, this checkout against another one, in the same process.

    .venv/bin/python bench/delivery_ab.py --base DIR [--pairs 60]
        [--database-url postgres://postgres@127.0.0.1:5432/storefront_bench_ab]

DIR is a checkout (e.g. `git worktree add` or `git archive | tar -x`) of the commit to
compare with. Its `deliver_order` and `_send_delivery_mail` (storefront/delivery/
services.py) and `stamp_seat_copies` (seats.py) are compiled into copies of this
checkout's module namespaces, so both versions run against the same models, database,
stamp and SMTP sink (as `delivery_profile.py` sets them up). Deliveries of 1994249
alternate between the two (ABBA), after four warm-up deliveries; reported per version:
the median CPU of the delivering thread per delivery, and the same without
`stamp_stored` (the part the compared functions change). In-process CPU ratios within
one run: steadier on a busy machine than two runs one after the other.
"""

from __future__ import annotations

import argparse
import ast
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.delivery_latency import check_database_url, drop_database, make_sink  # noqa: E402
from bench.delivery_profile import paid_orders, prepare_in_process  # noqa: E402

COMPARED = {
    "storefront/delivery/services.py": ("deliver_order", "_send_delivery_mail"),
    "storefront/delivery/seats.py": ("stamp_seat_copies",),
}


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", type=Path, required=True, help="checkout to compare with")
    parser.add_argument("--pairs", type=int, default=60, help="deliveries per version")
    parser.add_argument("--database-url",
                        default="postgres://postgres@127.0.0.1:5432/storefront_bench_ab")
    return parser.parse_args(argv)


def function_source(path: Path, name: str) -> str:
    text = path.read_text()
    for node in ast.parse(text).body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return ast.get_source_segment(text, node)
    raise SystemExit(f"{path} has no function {name}")


def base_deliver_order(base: Path):
    """The base checkout's deliver_order, bound to its own seat and mail functions."""
    from storefront.delivery import seats, services

    seats_namespace = dict(seats.__dict__)
    exec("from django.db.models import Exists, F, OuterRef, prefetch_related_objects",
         seats_namespace)
    for name in COMPARED["storefront/delivery/seats.py"]:
        exec(function_source(base / "storefront/delivery/seats.py", name), seats_namespace)
    base_seats = type(sys)("base_seats")
    base_seats.__dict__.update(seats_namespace)
    namespace = {**services.__dict__, "seats": base_seats}
    for name in COMPARED["storefront/delivery/services.py"]:
        exec(function_source(base / "storefront/delivery/services.py", name), namespace)
    return namespace["deliver_order"]


def main(argv=None) -> int:
    args = parse_args(argv if argv is not None else sys.argv[1:])
    check_database_url(args.database_url)
    media = Path(tempfile.mkdtemp(prefix="storefront-bench-ab-"))
    sink = make_sink(nagle=False)
    try:
        prepare_in_process(args, sink, media)
        from django.db import connection

        from storefront.delivery import services

        versions = {"base": base_deliver_order(args.base.resolve()),
                    "this": services.deliver_order}
        stamp_cpu = [0.0]
        stamp = services.stamp_stored

        def timed_stamp(*a, **k):
            started = time.thread_time()
            try:
                return stamp(*a, **k)
            finally:
                stamp_cpu[0] += time.thread_time() - started

        services.stamp_stored = timed_stamp
        warm = 4
        rows = {label: [] for label in versions}
        for position, order_id in enumerate(paid_orders(warm + 2 * args.pairs)):
            label = ("base", "this", "this", "base")[position % 4]
            stamp_cpu[0] = 0.0
            started = time.thread_time()
            versions[label](order_id=order_id)
            cpu = time.thread_time() - started
            if position >= warm:
                rows[label].append((cpu, cpu - stamp_cpu[0]))
        print(f"\n{args.pairs} deliveries per version, alternating, load {os.getloadavg()[0]:.2f}")
        print("| version | CPU per delivery, ms | without stamp_licence, ms |\n| --- | ---: | ---: |")
        for label, values in rows.items():
            print(f"| {label} | {1000 * statistics.median(v[0] for v in values):.2f} "
                  f"| {1000 * statistics.median(v[1] for v in values):.2f} |")
        connection.close()
    finally:
        sink.stop()
        shutil.rmtree(media, ignore_errors=True)
        drop_database(args.database_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
