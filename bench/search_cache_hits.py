#!/usr/bin/env python
"""Cached search pages against the cached list, in-process: is a repeated search a
whole-page hit in every language and spelling?

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/NAME \
        .venv/bin/python bench/search_cache_hits.py [--requests 200] [--rounds 3]

Any database with the demo catalogue (`seed_demo`) will do: a hit reads no table. The
page cache is each process's memory (no REDIS_URL) with the catalogue version in a
folder of the benchmark's own (bench/results/hits-version). Each URL is asked once,
then --requests times by a new visitor each (no session); the median of this
thread's CPU time per request is printed beside the cached list's (a whole-page
hit), with the queries of the last request. Through gunicorn against the bare view:
catalogue_throughput.py. Rounds interleave the URLs. CPU time rather than wall
time: the machine is shared, and the load inflates it less.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

URLS = [
    ("list, English", "/en/reports/"),
    ("search medical", "/en/reports/?q=medical"),
    ("search 医学, percent-encoded", f"/zh-hans/reports/?q={quote('医学')}"),
    ("search 医学, raw UTF-8", "/zh-hans/reports/?q=医学"),
    ("search 醫學 (zh-hant), percent-encoded", f"/zh-hant/reports/?q={quote('醫學')}"),
    ("search 醫學 (zh-hant), raw UTF-8", "/zh-hant/reports/?q=醫學"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if "DATABASE_URL" not in os.environ:
        raise SystemExit("set DATABASE_URL to a database with the demo catalogue")
    os.environ.pop("REDIS_URL", None)
    os.environ.pop("CACHE_REDIS_URL", None)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="storefront.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="bench-only-secret-key-not-for-production-0123456789",
        DJANGO_ALLOWED_HOSTS="testserver",
        DJANGO_SECURE_SSL_REDIRECT="0",
        # DEBUG off requires Stripe settings; these pages never call Stripe.
        STRIPE_SECRET_KEY="sk_test_benchmark_not_a_real_key",
        STRIPE_WEBHOOK_SECRET="whsec_benchmark_not_a_real_secret",
        STRIPE_API_BASE="http://127.0.0.1:9",
        CATALOGUE_VERSION_DIR=str(ROOT / "bench" / "results" / "hits-version"),
    )
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    storages = {**settings.STORAGES,
                "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    override_settings(STORAGES=storages).enable()

    for _label, url in URLS:  # build and keep every page once
        if Client().get(url).status_code != 200:
            raise SystemExit(f"{url}: not 200")
    load_before = os.getloadavg()
    cpu: dict[str, list[float]] = {url: [] for _label, url in URLS}
    queries: dict[str, int] = {}
    for _round in range(args.rounds):
        for _label, url in URLS:
            for _ in range(args.requests):
                client = Client()
                with CaptureQueriesContext(connection) as captured:
                    started = time.thread_time()
                    client.get(url)
                    cpu[url].append((time.thread_time() - started) * 1000)
                queries[url] = len(captured.captured_queries)
    load_after = os.getloadavg()
    reference = statistics.median(cpu["/en/reports/"])
    print(f"{args.rounds} rounds x {args.requests} requests per URL; load average "
          f"{load_before[0]:.1f} before, {load_after[0]:.1f} after\n")
    print("| page | URL | queries | CPU ms p50 | list / page |")
    print("| --- | --- | ---: | ---: | ---: |")
    for label, url in URLS:
        median = statistics.median(cpu[url])
        print(f"| {label} | `{url}` | {queries[url]} | {median:.2f} | {reference / median:.0%} |")


if __name__ == "__main__":
    main()
