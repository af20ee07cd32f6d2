#!/usr/bin/env python
"""The embedded default's catalogue cache: which store lets every process of the
machine see an edit at once, and what it costs per request.

    .venv/bin/python bench/embedded_cache.py [--reports 1000] [--requests 1000] [--rounds 3]

In this process, on a fresh SQLite file under bench/results/embedded/ (what `make run`
uses), with the demo catalogue (`seed_demo --no-pdfs`) and `seed_catalog --reports N`,
through Django's test client (DEBUG off), for each candidate CACHES:

- cached pages: requests per second of /en/reports/ and of the 1994249 detail page,
  each a whole-page hit for a visitor without a session (the common case), and the
  same with CATALOGUE_CACHE_SECONDS=0 (what every request costs without a cache);
- the version check: microseconds per read of the catalogue version, alone;
- a hit's cache work: microseconds per page_cache lookup of a stored page (version and
  page), what a request pays the cache before it is answered.

Rounds interleave the candidates; the median round counts. Nothing leaves the machine;
the SQLite file is deleted at the end (--keep keeps it).
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
WORK = ROOT / "bench" / "results" / "embedded"
PRODUCT_CODE = "1994249"

LOCMEM = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "bench"}


def candidates() -> dict[str, dict]:
    file_cache = {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(WORK / "file-cache"),
    }
    database_cache = {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "bench_cache",
    }
    return {
        "LocMem only (before: per process)": {"default": LOCMEM},
        "LocMem + version file (FileBasedCache)": {
            "default": LOCMEM,
            "catalogue_version": {
                **file_cache, "LOCATION": str(WORK / "version"), "TIMEOUT": None
            },
        },
        "LocMem + version row (DatabaseCache)": {
            "default": LOCMEM,
            "catalogue_version": {**database_cache, "LOCATION": "bench_version", "TIMEOUT": None},
        },
        "FileBasedCache for everything": {"default": file_cache},
        "DatabaseCache for everything": {"default": database_cache},
    }


def prepare(reports: int):
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{WORK / 'db.sqlite3'}"
    for name in ("REDIS_URL", "CACHE_REDIS_URL", "CATALOGUE_CACHE_SECONDS", "DJANGO_SECRET_KEY"):
        os.environ.pop(name, None)
    os.environ["CATALOGUE_VERSION_DIR"] = str(WORK / "version")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "storefront.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test.utils import override_settings, setup_test_environment

    setup_test_environment(debug=False)
    warnings.filterwarnings("ignore", message="No directory at")  # no collectstatic needed
    # Static URLs without collectstatic's manifest (what the test settings do too).
    plain_static = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    override_settings(STORAGES={**settings.STORAGES, "staticfiles": plain_static}).enable()
    call_command("migrate", "--no-input", verbosity=0)
    call_command("seed_demo", "--no-pdfs", verbosity=0, stdout=io.StringIO())
    call_command("seed_catalog", "--reports", str(reports), verbosity=0, stdout=io.StringIO())
    for name, caches in candidates().items():
        with override_settings(CACHES=caches):
            call_command("createcachetable", verbosity=0)


def per_second(function, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        function()
    return count / (time.perf_counter() - started)


def measure(caches: dict, paths: dict[str, str], requests: int) -> dict:
    from django.core.cache import caches as caches_in_use
    from django.test import Client
    from django.test.utils import override_settings

    from reports import page_cache, services

    result = {}
    client = Client()

    def get(path):
        client.cookies.clear()  # a new visitor every time
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}")

    with override_settings(CACHES=caches, CATALOGUE_CACHE_SECONDS=300):
        for alias in caches:
            caches_in_use[alias].clear()
        services.catalogue_changed()
        for name, path in paths.items():
            get(path)  # stored
            result[f"{name} rps"] = per_second(lambda: get(path), requests)
        # The version alone, then a hit's whole cache work (version and page).
        store = page_cache._version_cache()
        reads = requests * 10
        result["version read µs"] = 1e6 / per_second(lambda: store.get(page_cache.VERSION_KEY), reads)
        from django.utils import translation

        with translation.override("en"):
            key = page_cache.content_key("page", "/en/reports/", "")
            assert page_cache._lookup(key)[0] is not None, "the list page was not stored"
            result["hit lookup µs"] = 1e6 / per_second(lambda: page_cache._lookup(key), reads)
    return result


def uncached(paths: dict[str, str], requests: int) -> dict:
    from django.test import Client
    from django.test.utils import override_settings

    client = Client()
    with override_settings(CACHES={"default": LOCMEM}, CATALOGUE_CACHE_SECONDS=0):
        return {
            f"{name} rps": per_second(lambda: client.get(path), max(20, requests // 20))
            for name, path in paths.items()
        }


def sqlite_data_version_us(requests: int) -> float:
    from django.db import connection

    with connection.cursor() as cursor:

        def read():
            cursor.execute("PRAGMA data_version")
            cursor.fetchone()

        return 1e6 / per_second(read, requests * 10)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=1000, help="hits per page, candidate and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep bench/results/embedded/")
    args = parser.parse_args(argv)

    started = time.monotonic()
    load_before = " ".join(f"{value:.2f}" for value in os.getloadavg())
    prepare(args.reports)
    from reports.models import Report

    report = Report.objects.get(product_code=PRODUCT_CODE)
    paths = {"list": "/en/reports/", "detail": f"/en/reports/{PRODUCT_CODE}/{report.slug}/"}
    published = Report.objects.published().count()

    rounds: dict[str, list[dict]] = {name: [] for name in candidates()}
    rounds["cache off (CATALOGUE_CACHE_SECONDS=0)"] = []
    for number in range(args.rounds):
        order = list(candidates().items())
        if number % 2:
            order.reverse()
        for name, caches in order:
            rounds[name].append(measure(caches, paths, args.requests))
        rounds["cache off (CATALOGUE_CACHE_SECONDS=0)"].append(uncached(paths, args.requests))

    def median(name, column):
        values = [r[column] for r in rounds[name] if column in r]
        return statistics.median(values) if values else None

    columns = ["list rps", "detail rps", "version read µs", "hit lookup µs"]
    print(
        f"\n{published:,} published reports, SQLite, {args.requests} hits per page and round, "
        f"median of {args.rounds} rounds ({time.monotonic() - started:.0f} s)\n"
    )
    print("| cache | shared by processes | list req/s | detail req/s | version read µs | hit's cache work µs |")
    print("| --- | :---: | ---: | ---: | ---: | ---: |")
    for name in rounds:
        shared = "no" if name.startswith(("LocMem only", "cache off")) else "yes"
        if name.startswith("cache off"):
            shared = "—"
        cells = []
        for column in columns:
            value = median(name, column)
            cells.append("—" if value is None else (f"{value:,.0f}" if "rps" in column else f"{value:,.1f}"))
        print(f"| {name} | {shared} | " + " | ".join(cells) + " |")
    print("\nEvery round, list / detail req/s:\n")
    print("| cache | rounds |")
    print("| --- | --- |")
    for name, results in rounds.items():
        cells = [f"{r['list rps']:,.0f} / {r['detail rps']:,.0f}" for r in results]
        print(f"| {name} | " + " · ".join(cells) + " |")
    print(f"\nLoad average before / after: {load_before} / {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"\nSQLite `PRAGMA data_version` (rejected, see README): {sqlite_data_version_us(args.requests):.1f} µs a read")
    if not args.keep:
        shutil.rmtree(WORK, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
