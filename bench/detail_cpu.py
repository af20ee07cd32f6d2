"""The product page in-process: wall time, CPU time of the request's thread and queries,
with the page cache off and on a miss right after a catalogue change, against the bare
view, in one run.

CPU time (time.thread_time) counts only this thread's work, so it stays readable on a
machine loaded by others, where wall time mostly measures the wait for a core.

    DATABASE_URL=postgres://…/storefront_dt_bench REDIS_URL=redis://127.0.0.1:6379/4 \\
        .venv/bin/python bench/detail_cpu.py --requests 30

Reuses a database prepared by catalogue_throughput.py (product 1994249 and the synthetic
catalogue) and its collected static files; run that once first.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-secret-key-not-for-production-0123456789")
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")

PRODUCT_CODE = "1994249"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=30, help="requests per page and mode")
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    from reports import services
    from reports.models import Report

    slug = Report.objects.get(product_code=PRODUCT_CODE).slug
    pages = {
        "bare": "/bench/bare/",
        "detail_en": f"/en/reports/{PRODUCT_CODE}/{slug}/",
        "detail_zh": f"/zh-hans/reports/{PRODUCT_CODE}/{slug}/",
        "detail_hant": f"/zh-hant/reports/{PRODUCT_CODE}/{slug}/",
    }
    client = Client(HTTP_HOST="127.0.0.1")

    def get(path):
        client.cookies.clear()
        with CaptureQueriesContext(connection) as queries:
            started, cpu = time.perf_counter(), time.thread_time()
            response = client.get(path)
            wall, cpu = time.perf_counter() - started, time.thread_time() - cpu
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}")
        return wall, cpu, len(queries), sum(float(query["time"]) for query in queries)

    def measure(path, before=None):
        rows = []
        for _ in range(args.requests):
            if before:
                before()
            rows.append(get(path))
        walls, cpus, counts, sqls = zip(*rows)
        return (statistics.median(walls) * 1000, statistics.median(cpus) * 1000,
                max(set(counts), key=counts.count), statistics.median(sqls) * 1000)

    print(f"load average {os.getloadavg()[0]:.2f}; median of {args.requests} requests")
    print("| page | off: wall ms | CPU ms | queries | SQL ms | miss: wall ms | CPU ms | queries | SQL ms |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for path in pages.values():
        get(path)
    for name, path in pages.items():
        with override_settings(CATALOGUE_CACHE_SECONDS=0):
            get(path)
            off = measure(path)
        miss = measure(path, before=services.catalogue_changed)
        print(f"| {name} | {off[0]:.1f} | {off[1]:.2f} | {off[2]} | {off[3]:.1f} "
              f"| {miss[0]:.1f} | {miss[1]:.2f} | {miss[2]} | {miss[3]:.1f} |")
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
