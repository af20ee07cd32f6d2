"""CPU time per catalogue page in-process, against the bare view, on a loaded machine.

catalogue_throughput.py judges the goals under gunicorn; on a machine other people
load, its wall-clock figures mostly measure the wait for a core (a list page with the
cache off took 30 ms of wall time for 3 ms of CPU at load 11). This script counts the
CPU time of this process only (time.process_time) per request, median of --requests,
with the page cache off (the per-version memo on) and for a page cache hit, next to
the bare view measured the same way in the same run. Garbage collection is set up as
storefront/wsgi.py sets it for the web processes, unless --default-gc.

    .venv/bin/python bench/catalogue_cpu.py --database-url postgres://…/storefront_lp_bench \\
        --redis-url redis://127.0.0.1:6379/2 [--only list_en search_zh] [--requests 60] \\
        [--interleaved]

The database must hold the catalogue catalogue_throughput.py seeds (run it once
without --reuse-db). Nothing is written.
"""

import argparse
import gc
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import catalogue_throughput  # noqa: E402


def cpu_ms(client, path: str, requests: int) -> tuple[float, int]:
    """Median CPU milliseconds of a request for path, and its status."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, status, queries = [], None, 0
    for _ in range(requests):
        client.cookies.clear()  # a new visitor every time
        with CaptureQueriesContext(connection) as captured:
            started = time.process_time()
            response = client.get(path)
            times.append(time.process_time() - started)
        status, queries = response.status_code, len(captured)
    if status != 200:
        raise SystemExit(f"{path} answered {status}")
    return statistics.median(times) * 1000, queries


def interleaved_rows(client, pages, requests: int) -> list[tuple]:
    """As main()'s rows, with the pages asked for in turn (one request each, round after
    round) rather than one page after the other: a neighbour's load then falls on every
    page alike, and the ratios to the bare view hold better on a busy machine."""
    from django.test.utils import override_settings

    rows = {page.name: [page.name] for page in pages}
    for settings_override in ({"CATALOGUE_CACHE_SECONDS": 0}, {}):
        with override_settings(**settings_override):
            for page in pages:
                cpu_ms(client, page.path, 3)  # the parts kept per version; the page cached
            samples = {page.name: [] for page in pages}
            queries = {}
            for _ in range(requests):
                for page in pages:
                    milliseconds, queries[page.name] = cpu_ms(client, page.path, 1)
                    samples[page.name].append(milliseconds)
            for page in pages:
                rows[page.name].append(statistics.median(samples[page.name]))
                if settings_override:
                    rows[page.name].append(queries[page.name])
    return [tuple(row) for row in rows.values()]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--redis-url", default="")
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--only", nargs="*", help="page names (bare always runs)")
    parser.add_argument("--default-gc", action="store_true", help="Python's GC thresholds")
    parser.add_argument("--interleaved", action="store_true",
                        help="ask for the pages in turn, a request each (steadier under load)")
    args = parser.parse_args(argv)
    throughput_args = catalogue_throughput.parse_args(
        ["--reuse-db", "--database-url", args.database_url]
        + (["--redis-url", args.redis_url] if args.redis_url else [])
    )
    catalogue_throughput.setup_django(catalogue_throughput.bench_environment(throughput_args))
    from django.test import Client
    from django.test.utils import override_settings

    if not args.default_gc:  # as storefront/wsgi.py
        gc.freeze()
        gc.set_threshold(50_000, 20, 100)
    facts = catalogue_throughput.catalogue_facts()
    pages = [
        page for page in catalogue_throughput.catalogue_pages(facts["detail_slug"])
        if page.name == "bare" or not args.only or page.name in args.only
    ]
    client = Client(HTTP_HOST=catalogue_throughput.HOST)
    rows = []
    if args.interleaved:
        rows = interleaved_rows(client, pages, args.requests)
    for page in pages if not args.interleaved else ():
        with override_settings(CATALOGUE_CACHE_SECONDS=0):
            cpu_ms(client, page.path, 3)  # the parts kept per version, built
            off, off_queries = cpu_ms(client, page.path, args.requests)
        cpu_ms(client, page.path, 3)  # the page cached
        hit, _ = cpu_ms(client, page.path, args.requests)
        rows.append((page.name, off, off_queries, hit))
    bare_off, bare_hit = rows[0][1], rows[0][3]
    load = " / ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"{facts['published_reports']:,} reports; GC "
          f"{'default' if args.default_gc else 'as storefront/wsgi.py'}; load {load}")
    print("| page | cache off: CPU ms | queries | vs bare | cache hit: CPU ms | vs bare |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, off, queries, hit in rows:
        print(f"| {name} | {off:.2f} | {queries} | {bare_off / off:.0%} | {hit:.2f} "
              f"| {bare_hit / hit:.0%} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
