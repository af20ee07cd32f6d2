#!/usr/bin/env python
"""Catalogue search at 100,000 reports on PostgreSQL, through the real view.

    .venv/bin/python bench/search_latency.py                 # seed (~3-8 min) and measure
    .venv/bin/python bench/search_latency.py --reuse-db      # measure an existing database
    .venv/bin/python bench/search_latency.py --reuse-db --requests 30 --rounds 3

The database (default `storefront_search_bench`; the name must contain `bench`, the
host must be local) is dropped, recreated, migrated, loaded with `seed_demo --no-pdfs`
and `seed_catalog --reports N --seed S`, then vacuumed and analysed (VACUUM ANALYZE),
unless --reuse-db. Either way a
CHECKPOINT (a superuser's statement) comes before the timed rounds.

In this process, through Django's test client with the page cache off
(CATALOGUE_CACHE_SECONDS=0: every request renders from the database) and DEBUG off,
per term, in English (/en/) for Latin terms and Chinese (/zh-hans/) for Chinese ones.
The parts of a page kept per catalogue version whatever is searched (category tree,
publishers, the sidebar, the list's count without a search) stay in the process's
memo, as on a real cache miss; the searched term's own parts (its count, the cards of
its results) are dropped before every request (forget_search_parts; --keep-cards
keeps the cards, which are per report, not per search):

- **new**: the shop's search (character pairs and trigram index narrow, LIKE decides
  except for a term of two Chinese characters, which the pairs decide exactly; the
  count capped at 1,000 and read with the page in one query; a common word's page
  read in display order);
- **old**: the search before (LIKE on search_text alone, an exact COUNT(*)), the same
  view with the old selector and paginator swapped in;
- **floor**: the catalogue list without a search, in the same run.

Rounds interleave old and new; each request's wall time, its SQL time (the database's
time as seen by Django's cursor) and this thread's CPU time (the Python side, which
the machine's load inflates less than the wall time) are recorded; p50 and p95 over
all rounds. Timed requests run without the test framework's template instrumentation.
The planner's choice for each term's queries is written to
bench/results/search-explain.txt (EXPLAIN ANALYZE of what the new path sends).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"

TERMS = [
    ("en", "medical"),
    ("en", "market"),
    ("en", "battery"),
    ("en", "vaccine"),
    ("en", "gynecology"),  # rare: the demo catalogue only
    ("zh-hans", "医学"),
    ("zh-hans", "电池"),
    ("zh-hans", "疫苗"),
    ("zh-hans", "市场"),
    ("zh-hans", "醫學"),  # traditional, folded to 医学
]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def prepare_database(args, env) -> None:
    parts = urlsplit(args.database_url)
    name = parts.path.lstrip("/")
    if "bench" not in name or parts.hostname not in {"127.0.0.1", "localhost"}:
        raise SystemExit("--database-url must name a local database containing 'bench'")
    psql = [
        "psql", "-h", parts.hostname, "-p", str(parts.port or 5432),
        "-U", parts.username or "postgres", "-q",
    ]
    admin = [*psql, "-d", "postgres"]
    subprocess.run([*admin, "-c", f'DROP DATABASE IF EXISTS "{name}"'], check=True)
    subprocess.run([*admin, "-c", f'CREATE DATABASE "{name}"'], check=True)
    python = [sys.executable, str(ROOT / "manage.py")]
    for command in (
        ["migrate", "-v0"],
        ["seed_demo", "--no-pdfs", "-v0"],
        ["seed_catalog", "--reports", str(args.reports), "--seed", str(args.seed), "-v0"],
    ):
        started = time.perf_counter()
        subprocess.run([*python, *command], env=env, check=True, cwd=ROOT)
        print(f"{command[0]}: {time.perf_counter() - started:.0f} s", flush=True)
    # VACUUM ANALYZE, as autovacuum would soon after a load this size (this machine's
    # server runs without autovacuum): without it no table but reports_report had
    # statistics and no page was marked all-visible for index-only scans; Chinese
    # searches took p95 55 ms, 41 ms after it (bench/README.md, sixth round).
    started = time.perf_counter()
    subprocess.run([*psql, "-d", name, "-c", "VACUUM ANALYZE"], check=True)
    print(f"VACUUM ANALYZE: {time.perf_counter() - started:.0f} s", flush=True)


_COUNT_LINE = re.compile(r'<p class="result-count" role="status">(.*?)</p>', re.S)
_CARD_CODE = re.compile(r'<h3 class="card-title"[^>]*>\s*<a href="/[a-z-]+/reports/([^/"]+)/')


def shown_count_and_codes(response) -> tuple[str, list[str]]:
    """The count the page shows ("1,000+" when capped) and its cards' product codes."""
    html = response.content.decode()
    line = _COUNT_LINE.search(html)
    text = line.group(1) if line else "0"
    count = re.search(r"[\d,]+", text).group(0)
    # "1,000+ reports for …" in English, "超过 1000 份…" / "超過 1000 份…" in Chinese
    if re.search(r"[\d,]+\+|超过|超過", text):
        count += "+"
    results = html.split('<div class="report-list">', 1)
    codes = [unquote(code) for code in _CARD_CODE.findall(results[1])] if len(results) == 2 else []
    return count, codes


def install_old_search():
    """The search before this change, swapped into the view (returns an undo)."""
    from django.core.paginator import Paginator
    from django.db.models import Exists, OuterRef

    from reports import cards, search, selectors
    from reports.models import Report
    from reports.search_index import normalise_search_text

    def old_search_reports(query):
        reports = Report.objects.published()
        terms = normalise_search_text(query.q).split(" ") if query.q else []
        for term in terms:
            reports = reports.filter(search_text__contains=term)
        if query.category_ids:
            in_category = Report.categories.through.objects.filter(
                report_id=OuterRef("pk"), category_id__in=query.category_ids
            )
            reports = reports.filter(Exists(in_category))
        if query.publisher_id is not None:
            reports = reports.filter(publisher_id=query.publisher_id)
        order = selectors.SORTS.get(query.sort, selectors.SORTS[selectors.DEFAULT_SORT])
        # read as card rows, as the view now reads every list
        return cards.as_rows(selectors.report_cards(reports).order_by(*order))

    class OldPaginator(Paginator):
        capped = False

        def __init__(self, query, per_page, cap=None):
            super().__init__(old_search_reports(query), per_page)

    new_paginator = search.SearchPaginator
    search.SearchPaginator = OldPaginator

    def undo():
        search.SearchPaginator = new_paginator

    return undo


# Parts of a list page kept per catalogue version whatever is searched (the process's
# memo, reports/catalogue_memo.py): the category tree and publishers, the sidebar (per
# selection, the search text put in per request: reports/views.py) and the list's count
# without a search. Everything else is dropped before each
# request: the searched term's count and the cards of its results, so each request
# costs what a search nobody made before costs.
# With --keep-cards, the cards too (a report card is per report, not per search: after
# the card work of issue 16 a card may be ready before any search shows it).
KEEP_CARDS = False


def _kept_per_version(key) -> bool:
    if key in {("category_tree",), ("publishers",)} or key[0] == "filters":
        return True  # the sidebar: per selection, the search text put in per request
    if key[0] == "card":
        return KEEP_CARDS
    return key[0] == "count" and key[1] == ""


def forget_search_parts() -> None:
    from reports import catalogue_memo

    for memo in catalogue_memo._memos.values():
        with memo.lock:
            for key in [key for key in memo.entries if not _kept_per_version(key)]:
                del memo.entries[key]


def measure(client, url: str, requests: int):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    walls, sqls, cpus, queries = [], [], [], 0
    for _ in range(requests):
        forget_search_parts()
        with CaptureQueriesContext(connection) as captured:
            started, cpu_started = time.perf_counter(), time.thread_time()
            response = client.get(url, secure=True)
            walls.append((time.perf_counter() - started) * 1000)
            # This thread's CPU time: the Python side, without waiting for PostgreSQL
            # or for a core (less sensitive to the machine's load than the wall time).
            cpus.append((time.thread_time() - cpu_started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}")
        sqls.append(sum(float(query["time"]) for query in captured.captured_queries) * 1000)
        queries = len(captured.captured_queries)
    return walls, sqls, cpus, queries, response


def explain(path: Path) -> None:
    """EXPLAIN ANALYZE of the queries the new path sends for each term's first page (the
    count read with the page, and for a capped count the walk in display order)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, override_settings

    from reports import search, selectors
    from reports.search_index import normalise_search_text

    lines = []
    for _language, term in TERMS:
        query = selectors.CatalogueQuery(q=normalise_search_text(term))
        with override_settings(CATALOGUE_MEMO_ENTRIES=0), \
                CaptureQueriesContext(connection) as captured:
            page = search.SearchPaginator(query, 24).page(1)
            list(page.object_list)
        for number, sent in enumerate(captured.captured_queries, 1):
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {sent['sql']}")
                plan = [row[0] for row in cursor.fetchall()]
            label = "count with page" if "WITH matching" in sent["sql"] else "page"
            lines += [f"## {term}: query {number}, {label}", *plan, ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url",
                        default="postgres://postgres@127.0.0.1:5432/storefront_search_bench")
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--reuse-db", action="store_true", help="skip drop / migrate / seed")
    parser.add_argument("--requests", type=int, default=10, help="per term, path and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep-cards", action="store_true",
                        help="keep report cards between requests (per report and version)")
    args = parser.parse_args()
    global KEEP_CARDS
    KEEP_CARDS = args.keep_cards

    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "DJANGO_SETTINGS_MODULE": "storefront.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789",
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "CATALOGUE_CACHE_SECONDS": "0",
        # The parts kept per catalogue version stay on (what a real cache miss has);
        # the searched term's own parts are dropped before every request
        # (forget_search_parts).
        "CATALOGUE_MEMO_ENTRIES": "2000",
        # DEBUG off requires Stripe settings; search pages never call Stripe, and
        # anything that tried would hit a closed port on 127.0.0.1, not the internet.
        "STRIPE_SECRET_KEY": "sk_test_benchmark_not_a_real_key",
        "STRIPE_WEBHOOK_SECRET": "whsec_benchmark_not_a_real_secret",
        "STRIPE_API_BASE": "http://127.0.0.1:9",
    }
    env.pop("REDIS_URL", None)
    if not args.reuse_db:
        prepare_database(args, env)
    os.environ.update(env)
    os.environ.pop("REDIS_URL", None)

    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment, teardown_test_environment
    from django.conf import settings
    from django.test.utils import override_settings

    # DEBUG off wants collected static files (a manifest); the pages only name them.
    storages = {**settings.STORAGES,
                "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    override_settings(STORAGES=storages).enable()

    from reports.models import Report

    reports = Report.objects.count()
    # A freshly seeded database still has its writes to flush: a checkpoint falling in
    # the timed rounds made a few requests 150-450 ms (bench/README.md, 21:36 run).
    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")
    client = Client()
    RESULTS.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()

    pages = [("floor", "en", "", "/en/reports/")]
    pages += [(path, language, term, f"/{language}/reports/?q={term}")
              for language, term in TERMS for path in ("old", "new")]
    results: dict[tuple[str, str], dict] = {}
    for round_number in range(args.rounds):
        order = pages if round_number % 2 == 0 else list(reversed(pages))
        for path, language, term, url in order:
            undo = install_old_search() if path == "old" else None
            try:
                # Warm (templates, translations, connection), with the template context
                # recorded for the count and the cards shown. Timed requests run without
                # that instrumentation: it copies the context at every template rendered.
                setup_test_environment()
                try:
                    *_ignored, response = measure(client, url, 1)
                finally:
                    teardown_test_environment()
                walls, sqls, cpus, queries, _response = measure(client, url, args.requests)
            finally:
                if undo:
                    undo()
            entry = results.setdefault(
                (path, url), {"walls": [], "sqls": [], "cpus": [], "term": term}
            )
            entry["walls"] += walls
            entry["sqls"] += sqls
            entry["cpus"] += cpus
            entry["queries"] = queries
            # Read from the page as a buyer reads it: the results are formatted in Python
            # (reports/list_results.py), not through a template context.
            entry["count"], entry["codes"] = shown_count_and_codes(response)
        print(f"round {round_number + 1}/{args.rounds} done", flush=True)
    load_after = os.getloadavg()

    explain(RESULTS / "search-explain.txt")
    floor_entry = results[("floor", "/en/reports/")]
    floor = statistics.median(floor_entry["walls"])
    print(f"\n{reports:,} reports on PostgreSQL {connection.pg_version // 10000}; "
          f"{args.rounds} rounds x {args.requests} requests per term and path; "
          f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after; "
          f"cards {'kept' if args.keep_cards else 'rendered every request'}")
    print(f"floor: /en/reports/ without a search, p50 {floor:.1f} ms "
          f"(CPU p50 {statistics.median(floor_entry['cpus']):.1f} ms)\n")
    print("| term | path | shown count | queries | p50 ms | p95 ms | SQL p50 ms | SQL p95 ms "
          "| CPU p50 ms | CPU p95 ms | p50 / floor | same page as old |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for _language, term in TERMS:
        url = [u for p, u in results if results[(p, u)]["term"] == term][0]
        old, new = results[("old", url)], results[("new", url)]
        for path, entry in (("old", old), ("new", new)):
            same = "" if path == "old" else ("yes" if entry["codes"] == old["codes"] else "NO")
            print(
                f"| {term} | {path} | {entry['count']} | {entry['queries']} "
                f"| {statistics.median(entry['walls']):.1f} "
                f"| {percentile(entry['walls'], .95):.1f} "
                f"| {statistics.median(entry['sqls']):.1f} | {percentile(entry['sqls'], .95):.1f} "
                f"| {statistics.median(entry['cpus']):.1f} | {percentile(entry['cpus'], .95):.1f} "
                f"| {statistics.median(entry['walls']) / floor:.2f} | {same} |"
            )
    for label, key in (("wall", "walls"), ("SQL", "sqls"), ("CPU", "cpus")):
        for language, scripts in (("English", "en"), ("Chinese", "zh-hans")):
            values = [v for (p, u), e in results.items() if p == "new" and f"/{scripts}/" in u
                      for v in e[key]]
            print(f"new path, {language} terms: {label} p50 {statistics.median(values):.1f} ms, "
                  f"p95 {percentile(values, .95):.1f} ms")
    all_new = [w for (p, _u), e in results.items() if p == "new" for w in e["walls"]]
    print(f"new path, every term: p95 {percentile(all_new, .95):.1f} ms; "
          f"plans in {RESULTS / 'search-explain.txt'}")

if __name__ == "__main__":
    main()
