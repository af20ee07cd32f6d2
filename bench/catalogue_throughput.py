#!/usr/bin/env python
"""Catalogue throughput: requests per second of the catalogue pages under gunicorn,
with the catalogue cache on and off, against a bare Django view that renders a static
~13 KB template.

    .venv/bin/python bench/catalogue_throughput.py [--reports 10000] [--seconds 5]
        [--rounds 3] [--workers 2] [--redis-url redis://127.0.0.1:6379/15]
        [--database-url postgres://postgres@127.0.0.1:5432/storefront_bench]

What it does, in order:

1. drops and recreates the benchmark database (its name must contain "bench"), migrates
   it, loads the demo catalogue (`seed_demo --no-pdfs`: the pages never read a PDF) and
   `seed_catalog --reports N`, runs ANALYZE (planner statistics); compiles the
   translations when the .mo is missing or older than the .po, and collects static
   files under bench/results/static/;
2. in this process, through Django's test client on the same database and cache, per
   page: queries, time and size with the cache switched off, on a cache miss (the
   catalogue version bumped before each request), on a hit for a visitor without a
   session, and for a buyer with a cart in the session (content cached, shell
   rendered); with --profile, a cProfile of each page rendered (cache off) and served
   from the cache (bench/results/profile-*.txt);
3. starts two gunicorn servers (sync workers, DEBUG off, settings `bench.settings`: the
   shop's settings + /bench/bare/) on free ports of 127.0.0.1: "cached" with the
   shop's default CATALOGUE_CACHE_SECONDS, "uncached" with CATALOGUE_CACHE_SECONDS=0
   (every request renders from the database). The cache is local memory unless
   --redis-url is given. Warms every URL up, then loads each URL on each server for
   --seconds with wrk (or, without wrk, a Python keep-alive load generator; one tool
   for every URL of a run), in interleaved rounds; the median round counts;
4. prints the tables, writes bench/results/latest.json and bench/results/latest.md.

All traffic goes to 127.0.0.1. gunicorn runs in its own process group and is stopped
on exit, on errors and on Ctrl-C / SIGTERM.
"""

from __future__ import annotations

import argparse
import atexit
import cProfile
import http.client
import io
import json
import os
import platform
import pstats
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from bench.processes import Processes, free_port  # noqa: E402  (needs ROOT on sys.path)
RESULTS = ROOT / "bench" / "results"
BIN = Path(sys.executable).parent
GOAL = 0.5  # catalogue pages at >= 50 % of the bare view's rate (with the cache on)
PRODUCT_CODE = "1994249"
HOST = "127.0.0.1"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/storefront_bench"
REDIS_KEY_PREFIX = "storefront-bench"  # CACHE_KEY_PREFIX of every process of a --redis-url run

# The two servers of a run. "cached" keeps the shop's default CATALOGUE_CACHE_SECONDS.
SERVERS = {
    "cached": {},
    "uncached": {"CATALOGUE_CACHE_SECONDS": "0"},
}
# Load columns: the servers, plus (--session-load) the cached server asked by a buyer
# whose session cookie holds a cart.
COLUMN_TITLES = {
    "cached": "cache on",
    "uncached": "cache off (`CATALOGUE_CACHE_SECONDS=0`)",
    "session": "cache on, buyer with a session cookie",
}
# In-process measurements, in the order they run.
INPROCESS_MODES = {
    "off": "cache off: rendered from the database (what the uncached server does)",
    "miss": "cache miss: catalogue version bumped before each request; renders and stores",
    "hit": "cache hit, visitor without a session: the whole page from the cache",
    "session": "buyer with a cart in the session: content from the cache, shell rendered",
}


@dataclass
class Page:
    name: str
    path: str  # unquoted; quoted for the wire by wire_path()
    description: str
    # filled in as the run goes
    status: int | None = None
    bytes: int | None = None
    # mode (INPROCESS_MODES) -> {"queries", "ms", "sql_ms", "bytes", "sql"}
    inprocess: dict = field(default_factory=dict)
    # column (COLUMN_TITLES) -> {"rps", "ratio", "latency_ms", "rounds_rps", "requests", "errors"}
    load: dict = field(default_factory=dict)

    def keep_median_round(self, column: str, rounds: list[dict]):
        """The round with the median rate stands for the page (rates of all rounds kept)."""
        median = sorted(rounds, key=lambda r: r["rps"])[(len(rounds) - 1) // 2]
        self.load[column] = {
            "rps": median["rps"],
            "latency_ms": median["latency_ms"],
            "rounds_rps": [r["rps"] for r in rounds],
            "requests": sum(r["requests"] for r in rounds),
            "errors": sum(r["errors"] for r in rounds),
            "ratio": None,
        }


def catalogue_pages(detail_slug: str) -> list[Page]:
    detail = f"reports/{PRODUCT_CODE}/{detail_slug}/"
    return [
        Page("bare", "/bench/bare/", "bare Django view, static ~13 KB template"),
        Page("list_en", "/en/reports/", "catalogue list, English"),
        Page("list_zh", "/zh-hans/reports/", "catalogue list, Chinese"),
        Page("list_en_page50", "/en/reports/?page=50", "list, page 50"),
        Page("search_en", "/en/reports/?q=medical", "search `medical`"),
        Page("search_zh", "/zh-hans/reports/?q=医学", "search `医学` (Chinese)"),
        Page("detail_en", f"/en/{detail}", f"detail {PRODUCT_CODE}, English"),
        Page("detail_zh", f"/zh-hans/{detail}", f"detail {PRODUCT_CODE}, Chinese"),
        Page("list_hant", "/zh-hant/reports/", "catalogue list, traditional Chinese"),
        Page("search_hant", "/zh-hant/reports/?q=醫學", "search `醫學` (traditional)"),
        Page("detail_hant", f"/zh-hant/{detail}", f"detail {PRODUCT_CODE}, traditional"),
    ]


def short_path(path: str) -> str:
    """The path for tables: a long slug shortened."""
    return re.sub(r"/([a-z0-9-]{24})[a-z0-9-]+/$", r"/\1…/", path)


def wire_path(path: str) -> str:
    parts = urlsplit(path)
    return urlunsplit(
        ("", "", quote(parts.path, safe="/"), quote(parts.query, safe="=&"), "")
    )


# --- Processes --------------------------------------------------------------------


PROCESSES = Processes()


def _exit_on_signal(signum, _frame):
    print(f"\nsignal {signum}: stopping gunicorn", file=sys.stderr, flush=True)
    raise SystemExit(128 + signum)


def run(args, env, *, timeout, quiet=False):
    """Run a setup command; its output is shown unless quiet, errors are fatal."""
    started = time.perf_counter()
    print(f"  $ {' '.join(str(a) for a in args)}", flush=True)
    result = subprocess.run(
        args,
        cwd=ROOT,
        env=env,
        timeout=timeout,
        stdout=subprocess.PIPE if quiet else None,
        stderr=subprocess.STDOUT if quiet else None,
        text=True,
    )
    if result.returncode != 0:
        if quiet and result.stdout:
            print(result.stdout[-4000:])
        raise SystemExit(f"command failed ({result.returncode}): {' '.join(map(str, args))}")
    print(f"    ({time.perf_counter() - started:.1f} s)", flush=True)


# --- Setup ------------------------------------------------------------------------


def bench_environment(args) -> dict:
    # CATALOGUE_CACHE_SECONDS is set per server (SERVERS); the "cached" one and this
    # process use the shop's default.
    env = {
        key: value for key, value in os.environ.items()
        if key not in {"REDIS_URL", "CATALOGUE_CACHE_SECONDS"}
    }
    env.update(
        DATABASE_URL=args.database_url,
        DJANGO_SETTINGS_MODULE="bench.settings",
        DJANGO_SECRET_KEY="benchmark-only-secret-key-not-for-production-0123456789",
        DJANGO_DEBUG="0",
        DJANGO_SECURE_SSL_REDIRECT="0",  # plain HTTP on 127.0.0.1, no TLS proxy in front
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        PRIVATE_MEDIA_ROOT=str(RESULTS / "private_media"),
        # Without Redis: the benchmark's own catalogue version, apart from `make run`'s.
        CATALOGUE_VERSION_DIR=str(RESULTS / "catalogue-version"),
        LOG_LEVEL="ERROR",  # no 404/400 warnings flooding the run
        PYTHONDONTWRITEBYTECODE="1",
        # DEBUG off requires Stripe settings; catalogue pages never call Stripe, and
        # anything that tried would hit a closed port on 127.0.0.1, not the internet.
        STRIPE_SECRET_KEY="sk_test_benchmark_not_a_real_key",
        STRIPE_WEBHOOK_SECRET="whsec_benchmark_not_a_real_secret",
        STRIPE_API_BASE="http://127.0.0.1:9",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    env.pop("EMAIL_URL", None)
    if args.redis_url:
        env["REDIS_URL"] = args.redis_url
        # The benchmark's own keys, removed after the run (remove_bench_cache_keys).
        env["CACHE_KEY_PREFIX"] = REDIS_KEY_PREFIX
    return env


def remove_bench_cache_keys(redis_url: str) -> int:
    """Delete the keys this benchmark left in Redis (cached pages, catalogue version)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{REDIS_KEY_PREFIX}:*", count=1000))
        if keys:
            client.delete(*keys)
        return len(keys)
    finally:
        client.close()


def recreate_database(database_url: str):
    import psycopg

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    if parts.scheme not in {"postgres", "postgresql"} or not name:
        raise SystemExit(f"--database-url must be a postgres:// URL with a database name: {database_url}")
    if "bench" not in name:
        raise SystemExit(f"refusing to drop database {name!r}: its name must contain 'bench'")
    if parts.hostname not in {"127.0.0.1", "localhost", "::1"}:
        raise SystemExit("the benchmark database must be on 127.0.0.1")
    admin_url = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    print(f"  database {name} recreated", flush=True)


def analyze_database(database_url: str):
    """Planner statistics for the freshly loaded tables. The local server runs with
    autovacuum off, so without this the planner guesses ~20 visible reports out of
    10,000 and sorts the whole table for page 1 (20 ms instead of 0.2 ms). VACUUM too,
    as autovacuum would have done on a shop's database: it marks the pages all-visible,
    so a deep list page reads its ids from an index alone (reports/cards.py)."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")
    print("  VACUUM ANALYZE done", flush=True)


def messages_need_compiling() -> bool:
    for po in (ROOT / "locale").glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            return True
    return False


def prepare(args, env):
    python = [sys.executable, "manage.py"]
    if args.reuse_db:
        print("Reusing the benchmark database as it is (--reuse-db)", flush=True)
    else:
        print("Preparing the benchmark database", flush=True)
        recreate_database(args.database_url)
        run([*python, "migrate", "--no-input", "-v0"], env, timeout=600)
        run([*python, "seed_demo", "--no-pdfs"], env, timeout=600, quiet=True)
        if args.reports > 0:
            seed = [*python, "seed_catalog", "--reports", str(args.reports)]
            if args.seed is not None:
                seed += ["--seed", str(args.seed)]
            run(seed, env, timeout=3600, quiet=True)
        if args.analyze:
            analyze_database(args.database_url)
    if messages_need_compiling():
        if shutil.which("msgfmt") is None:
            raise SystemExit("msgfmt is missing: apt-get install gettext (make test does)")
        run([*python, "compilemessages", "--ignore=.venv", "-v0"], env, timeout=300)
    run([*python, "collectstatic", "--no-input", "--clear", "-v0"], env, timeout=300)


# --- In-process measurements --------------------------------------------------------


def setup_django(env):
    os.environ.update(env)
    for name in ("REDIS_URL", "CATALOGUE_CACHE_SECONDS"):
        if name not in env:
            os.environ.pop(name, None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def catalogue_facts() -> dict:
    from django.conf import settings
    from django.db import connection

    from reports import selectors
    from reports.models import Report, ReportStatus

    report = Report.objects.filter(product_code=PRODUCT_CODE).first()
    if report is None:
        raise SystemExit(f"product {PRODUCT_CODE} is missing: did seed_demo run?")
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server_version = cursor.fetchone()[0]
    backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    return {
        "detail_slug": report.slug,
        "published_reports": Report.objects.published().count(),
        "scheduled_reports": Report.objects.filter(status=ReportStatus.SCHEDULED).count(),
        # What a cache entry may live at most right now (CATALOGUE_CACHE_SECONDS, or
        # less when a scheduled report becomes due sooner).
        "seconds_until_next_publication": selectors.seconds_until_next_publication(),
        "catalogue_cache_seconds": settings.CATALOGUE_CACHE_SECONDS,
        "cache_backend": backend,
        "postgresql": server_version,
    }


def buyer_session() -> tuple[str, str]:
    """A session holding a cart with one report, as the cart view stores it.

    Returns (cookie name, session key)."""
    from importlib import import_module

    from django.conf import settings

    from reports.models import Report
    from storefront.orders.cart import SESSION_KEY

    report = Report.objects.get(product_code=PRODUCT_CODE)
    option = report.license_options.order_by("price").first()
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = {str(report.pk): option.pk}
    store.save()
    return settings.SESSION_COOKIE_NAME, store.session_key


def measure_in_process(pages: list[Page], *, hits: int, misses: int, session_cookie):
    """Per page and mode (INPROCESS_MODES): queries, median time, SQL time, size."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    from reports import services

    client = Client(HTTP_HOST=HOST)

    def get(path, cookies=()):
        client.cookies.clear()  # a new visitor every time, unless given cookies
        for name, value in cookies:
            client.cookies[name] = value
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(path)
            elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code} in-process")
        return response, elapsed, captured.captured_queries

    def measure(path, count, *, cookies=(), before=None) -> dict:
        timings, sql_times, counts = [], [], Counter()
        response = queries = None
        for _ in range(count):
            if before:
                before()
            response, elapsed, queries = get(path, cookies)
            timings.append(elapsed)
            sql_times.append(sum(float(q["time"]) for q in queries))
            counts[len(queries)] += 1
        return {
            "queries": counts.most_common(1)[0][0],
            "queries_seen": sorted(counts),  # more than one value: not every request alike
            "ms": round(statistics.median(timings) * 1000, 2),
            "sql_ms": round(statistics.median(sql_times) * 1000, 2),
            "bytes": len(response.content),
            "sql": [q["sql"][:300] for q in queries],
            "requests": count,
            "_content": response.content,
        }

    for page in pages:  # statuses, and the client's middleware loaded
        get(page.path)
    for page in pages:
        with override_settings(CATALOGUE_CACHE_SECONDS=0):
            get(page.path)
            page.inprocess["off"] = measure(page.path, misses)
        page.inprocess["miss"] = measure(page.path, misses, before=services.catalogue_changed)
        page.inprocess["hit"] = measure(page.path, hits)
        page.inprocess["session"] = measure(page.path, hits, cookies=[session_cookie])
        if page.name != "bare" and b'class="cart-count"' not in page.inprocess["session"]["_content"]:
            raise SystemExit(f"{page.path}: the buyer's cart count is missing from the page")
        for result in page.inprocess.values():
            del result["_content"]
        page.status = 200
        page.bytes = page.inprocess["miss"]["bytes"]


# Self time grouped by where the code lives: "where the time goes" at a glance. Time
# spent in built-in functions (getattr, str.join, the psycopg C wait...) is given to
# the area of the Python function that called them.
PROFILE_GROUPS = [
    ("PostgreSQL round trips (psycopg, incl. waiting)", ("/psycopg/", "/psycopg_binary/")),
    ("Django template engine", ("/django/template/", "/django/templatetags/")),
    ("Django ORM (queries, model rows, prefetch)", ("/django/db/models/",)),
    ("Django DB backend wrappers", ("/django/db/backends/", "/django/db/utils", "/django/db/__init__", "/django/db/transaction")),
    ("django-parler", ("/parler/",)),
    ("translation (gettext)", ("/django/utils/translation/", "/gettext.py")),
    ("URL reversing / resolving", ("/django/urls/",)),
    ("cache backend (Django cache, Redis client)", ("/django/core/cache/", "/redis/")),
    ("request handling, middleware", ("/django/core/handlers/", "/django/middleware/", "/django/http/", "/django/contrib/", "/whitenoise/", "/django/dispatch/")),
    ("shop code (reports/, storefront/)", ("/work/main/reports/", "/work/main/storefront/", "/reports/", "/storefront/")),
    ("Django utils (html escaping, dates, lazy strings)", ("/django/utils/",)),
    ("asgiref locals (translation / connection state)", ("/asgiref/",)),
    ("test client (not in production)", ("/django/test/",)),
    ("Python standard library", ("/lib/python3",)),
]


def _profile_area(filename: str) -> str:
    for name, needles in PROFILE_GROUPS:
        if any(needle in filename for needle in needles):
            return name
    return "other"


def self_time_by_area(stats: pstats.Stats) -> dict[str, float]:
    areas: dict[str, float] = {}
    for (filename, _line, _function), (_cc, _nc, self_time, _ct, callers) in stats.stats.items():
        if filename == "~" and callers:
            # a built-in: its time belongs to whoever called it
            for (caller_file, _l, _f), caller_stats in callers.items():
                area = _profile_area(caller_file)
                areas[area] = areas.get(area, 0.0) + caller_stats[2]
        else:
            area = _profile_area(filename)
            areas[area] = areas.get(area, 0.0) + self_time
    return areas



PROFILE_MODES = {
    "render": "rendered from the database (cache off: what a miss costs)",
    "hit": "served from the cache (visitor without a session)",
}


def profile_pages(pages: list[Page], requests: int) -> dict:
    """cProfile of each page, rendered (cache off) and served from the cache."""
    from django.test import Client
    from django.test.utils import override_settings

    for stale in RESULTS.glob("profile-*.txt"):
        stale.unlink()
    client = Client(HTTP_HOST=HOST)
    summaries: dict[str, dict] = {mode: {} for mode in PROFILE_MODES}
    for mode in PROFILE_MODES:
        for page in pages:
            context = override_settings(CATALOGUE_CACHE_SECONDS=0) if mode == "render" else nullcontext()
            with context:
                client.cookies.clear()
                client.get(page.path)
                profiler = cProfile.Profile()
                profiler.enable()
                for _ in range(requests):
                    client.cookies.clear()
                    client.get(page.path)
                profiler.disable()
            stats = pstats.Stats(profiler)
            groups = self_time_by_area(stats)
            total = sum(groups.values())
            summary = {
                "requests": requests,
                "ms_per_request_profiled": round(total / requests * 1000, 2),
                "self_time_share": {
                    name: round(value / total, 3)
                    for name, value in sorted(groups.items(), key=lambda item: -item[1])
                    if value
                },
            }
            text = io.StringIO()
            text.write(f"{page.name} {page.path}, {PROFILE_MODES[mode]}: {requests} requests, profiled\n")
            text.write(json.dumps(summary, indent=2, ensure_ascii=False) + "\n\n")
            for order in ("cumulative", "tottime"):
                pstats.Stats(profiler, stream=text).sort_stats(order).print_stats(35)
            (RESULTS / f"profile-{page.name}-{mode}.txt").write_text(text.getvalue())
            summaries[mode][page.name] = summary
    return summaries


# --- Load ---------------------------------------------------------------------------


def start_gunicorn(args, env, label: str) -> tuple[subprocess.Popen, int]:
    if args.port_base:
        port = args.port_base + (0 if label == "cached" else 1)
    else:
        port = free_port(HOST)
    log = open(RESULTS / f"gunicorn-{label}.log", "w")
    process = PROCESSES.start(
        [
            str(BIN / "gunicorn"),
            "storefront.wsgi",
            "--chdir", str(ROOT),
            "--workers", str(args.workers),
            "--worker-class", "sync",
            "--bind", f"{HOST}:{port}",
            "--log-level", "warning",
            "--timeout", "60",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    return process, port


def wait_until_healthy(process, port, label):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn ({label}) exited ({process.returncode}); "
                             f"see {RESULTS / f'gunicorn-{label}.log'}")
        try:
            status, _ = http_get(port, "/healthz")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"gunicorn ({label}) did not answer /healthz within 30 s")


def http_get(port: int, path: str, headers=None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def warm_up(port: int, pages: list[Page], requests: int, headers=None):
    """Every URL a few times: with local memory each worker keeps its own cache."""
    for page in pages:
        for _ in range(requests):
            status, _ = http_get(port, wire_path(page.path), headers)
            if status != 200:
                raise SystemExit(f"{page.path} answered {status} under gunicorn")


_WRK_RPS = re.compile(r"Requests/sec:\s+([\d.]+)")
_WRK_TOTAL = re.compile(r"(\d+) requests in ([\d.]+)(\w+),")
_WRK_NON2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_WRK_SOCKET = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
_WRK_PERCENTILE = re.compile(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}



def load_with_wrk(port, page: Page, args, headers=None) -> dict:
    url = f"http://{HOST}:{port}{wire_path(page.path)}"
    command = [
        "wrk", "-t", str(args.threads), "-c", str(args.connections),
        "-d", f"{args.seconds}s", "--timeout", "10s", "--latency",
    ]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(
        [*command, url], capture_output=True, text=True, timeout=args.seconds + 30, check=True
    ).stdout
    socket_errors = _WRK_SOCKET.search(output)
    non2xx = _WRK_NON2XX.search(output)
    return {
        "rps": float(_WRK_RPS.search(output).group(1)),
        "requests": int(_WRK_TOTAL.search(output).group(1)),
        "errors": (sum(int(n) for n in socket_errors.groups()) if socket_errors else 0)
        + (int(non2xx.group(1)) if non2xx else 0),
        "latency_ms": {
            f"p{p}": round(float(value) * _UNIT_MS[unit], 2)
            for p, value, unit in _WRK_PERCENTILE.findall(output)
        },
    }


def load_with_python(port, page: Page, args, headers=None) -> dict:
    """Keep-alive clients in threads; gunicorn's sync workers close each connection,
    so a client reconnects when told to. Bounded by --seconds."""
    path = wire_path(page.path)
    request_headers = {"Connection": "keep-alive", **(headers or {})}
    deadline = time.monotonic() + args.seconds
    latencies: list[float] = []
    counts = {"ok": 0, "errors": 0}
    lock = threading.Lock()

    def client():
        connection = None
        local, ok, errors = [], 0, 0
        while time.monotonic() < deadline:
            try:
                if connection is None:
                    connection = http.client.HTTPConnection(HOST, port, timeout=10)
                started = time.perf_counter()
                connection.request("GET", path, headers=request_headers)
                response = connection.getresponse()
                response.read()
                local.append(time.perf_counter() - started)
                if response.status == 200:
                    ok += 1
                else:
                    errors += 1
                if response.will_close:
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException):
                errors += 1
                if connection is not None:
                    connection.close()
                connection = None
        if connection is not None:
            connection.close()
        with lock:
            latencies.extend(local)
            counts["ok"] += ok
            counts["errors"] += errors

    started = time.monotonic()
    threads = [threading.Thread(target=client, daemon=True) for _ in range(args.connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=args.seconds + 20)
    elapsed = time.monotonic() - started
    latencies.sort()
    return {
        "rps": round(counts["ok"] / elapsed, 2),
        "requests": counts["ok"] + counts["errors"],
        "errors": counts["errors"],
        "latency_ms": {
            f"p{p}": round(latencies[min(len(latencies) - 1, int(len(latencies) * p / 100))] * 1000, 2)
            for p in (50, 75, 90, 99)
        } if latencies else {},
    }


# --- Report -------------------------------------------------------------------------


def machine(facts, tool) -> dict:
    import django
    import gunicorn

    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
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
        "postgresql": facts["postgresql"],
        "load_tool": tool,
    }


def cache_description(facts, args) -> str:
    backend = "Redis (`REDIS_URL` set, shared by the workers)" if args.redis_url else (
        "local memory (`REDIS_URL` unset: each worker process keeps its own cache)")
    return (f"catalogue cache: {backend}, `CATALOGUE_CACHE_SECONDS` "
            f"{facts['catalogue_cache_seconds']} (the shop's default) on the cached server, 0 on "
            f"the uncached one")


def _fmt_rps(value) -> str:
    return f"{value:,.0f}" if value >= 10 else f"{value:,.1f}"


def _fmt_range(values) -> str:
    return f"{_fmt_rps(min(values))}–{_fmt_rps(max(values))}"


def load_table(pages, columns) -> list[str]:
    header, rule = "| page | URL |", "| --- | --- |"
    for column in columns:
        header += f" {column} req/s | vs bare |"
        rule += " ---: | ---: |"
        if column == "cached":
            header += " goal ≥ 50 % |"
            rule += " :---: |"
        header += " p50 / p99 ms |"
        rule += " ---: |"
    lines = [header + " KB |", rule + " ---: |"]
    for page in pages:
        row = f"| {page.description} | `{short_path(page.path)}` |"
        for column in columns:
            load = page.load[column]
            row += f" {_fmt_rps(load['rps'])} | {load['ratio']:.0%} |"
            if column == "cached":
                row += " — |" if page.name == "bare" else (
                    " yes |" if load["ratio"] >= GOAL else " **no** |")
            latency = load["latency_ms"]
            row += f" {latency.get('p50', float('nan')):.1f} / {latency.get('p99', float('nan')):.1f} |"
        lines.append(row + f" {page.bytes / 1024:.1f} |")
    return lines


def rounds_table(pages, columns) -> list[str]:
    lines = [
        "| page | " + " | ".join(f"{column}: req/s per round" for column in columns) + " |",
        "| --- |" + " ---: |" * len(columns),
    ]
    for page in pages:
        cells = [" / ".join(_fmt_rps(r) for r in page.load[column]["rounds_rps"]) for column in columns]
        lines.append(f"| {page.name} | " + " | ".join(cells) + " |")
    return lines


def inprocess_table(pages) -> list[str]:
    lines = [
        "| page | cache off: queries | ms (SQL ms) | miss: queries | ms (SQL ms) "
        "| hit: queries | ms | session: queries | ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]

    def queries(result):
        seen = result["queries_seen"]
        return str(result["queries"]) if len(seen) == 1 else "/".join(map(str, seen))

    for page in pages:
        off, miss, hit, session = (page.inprocess[m] for m in ("off", "miss", "hit", "session"))
        lines.append(
            f"| {page.name} | {queries(off)} | {off['ms']:.1f} ({off['sql_ms']:.1f}) "
            f"| {queries(miss)} | {miss['ms']:.1f} ({miss['sql_ms']:.1f}) "
            f"| {queries(hit)} | {hit['ms']:.2f} | {queries(session)} | {session['ms']:.2f} |"
        )
    return lines


def profile_table(pages, profile) -> list[str]:
    names = [page.name for page in pages if page.name in profile]
    weight: Counter = Counter()
    for name in names:
        weight.update(profile[name]["self_time_share"])
    areas = [area for area, _share in weight.most_common()]
    lines = ["| area | " + " | ".join(names) + " |", "| --- |" + " ---: |" * len(names)]
    lines.append("| ms per request (profiled) | " + " | ".join(
        f"{profile[n]['ms_per_request_profiled']:.1f}" for n in names) + " |")
    for area in areas:
        cells = [f"{profile[n]['self_time_share'].get(area, 0):.0%}" for n in names]
        lines.append(f"| {area} | " + " | ".join(cells) + " |")
    return lines


def markdown(command, info, facts, pages, args, columns, profiles) -> str:
    load = info["load_average"]
    lines = [
        f"Command: `{command}`",
        "",
        f"Machine: {info['nproc']} CPUs ({info['cpu']}), {info['memory']}, {info['os']}; "
        f"Python {info['python']}, Django {info['django']}, gunicorn {info['gunicorn']} "
        f"({args.workers} sync workers per server), PostgreSQL {info['postgresql']}; "
        f"load: {info['load_tool']}, {args.connections} connections, {args.seconds} s per URL "
        f"and server × {args.rounds} interleaved round{'s' if args.rounds > 1 else ''} "
        f"(median); {facts['published_reports']:,} published reports, "
        f"{facts['scheduled_reports']} scheduled; DEBUG off; {cache_description(facts, args)}. "
        f"Load average (1 / 5 / 15 min) {load['before'][0]:.2f} / {load['before'][1]:.2f} / "
        f"{load['before'][2]:.2f} before and {load['after'][0]:.2f} / {load['after'][1]:.2f} / "
        f"{load['after'][2]:.2f} after the load phase (wrk, PostgreSQL, the workers and any "
        f"other work on the machine share the same CPUs).",
        "",
        "Under load (req/s of the median round; ratios against the bare view on the same server):",
        "",
        *load_table(pages, columns),
        "",
        "Every round (rounds run in turn over all pages and servers):",
        "",
        *rounds_table(pages, columns),
        "",
        f"In-process (test client; median of {args.inprocess_misses} requests for cache off and "
        f"miss, {args.inprocess_hits} for hit and session):",
        "",
        *inprocess_table(pages),
    ]
    for mode, profile in (profiles or {}).items():
        if profile:
            lines += ["", f"Self time by area, page {PROFILE_MODES[mode]} (cProfile through the "
                      "test client, share of the profiled time):", "", *profile_table(pages, profile)]
    return "\n".join(lines) + "\n"


def print_tables(pages, columns):
    header = f"{'page':<16}"
    for column in columns:
        header += f" {column + ' req/s':>16} {'vs bare':>8} {'p50 ms':>8}"
    header += "  errors"
    print(header)
    print("-" * len(header))
    for page in pages:
        row = f"{page.name:<16}"
        for column in columns:
            load = page.load[column]
            row += f" {load['rps']:>16,.1f} {load['ratio']:>8.0%} {load['latency_ms'].get('p50', 0):>8.1f}"
        row += "  " + "/".join(str(page.load[c]["errors"]) for c in columns)
        print(row)
    print()
    header = (f"{'page':<16} {'off q':>6} {'off ms':>8} {'miss q':>7} {'miss ms':>8} "
              f"{'hit q':>6} {'hit ms':>7} {'sess q':>7} {'sess ms':>8} {'KB':>6}")
    print(header)
    print("-" * len(header))
    for page in pages:
        r = page.inprocess
        print(f"{page.name:<16} {r['off']['queries']:>6} {r['off']['ms']:>8.1f} "
              f"{r['miss']['queries']:>7} {r['miss']['ms']:>8.1f} {r['hit']['queries']:>6} "
              f"{r['hit']['ms']:>7.2f} {r['session']['queries']:>7} {r['session']['ms']:>8.2f} "
              f"{page.bytes / 1024:>6.1f}")


# --- Main ---------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=10_000, help="synthetic reports (seed_catalog)")
    parser.add_argument("--seed", type=int, default=2026, help="seed_catalog --seed (same catalogue every run)")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default="",
                        help="REDIS_URL for the servers and the in-process measurements "
                             "(default: unset, the cache is local memory)")
    parser.add_argument("--seconds", type=int, default=5, help="load per URL, server and round")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; the median counts")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers per server")
    parser.add_argument("--connections", type=int, default=4, help="concurrent client connections")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--tool", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--session-load", action="store_true",
                        help="also load the cached server as a buyer with a session cookie")
    parser.add_argument("--reuse-db", action="store_true", help="skip drop/migrate/seed")
    parser.add_argument("--no-analyze", dest="analyze", action="store_false",
                        help="skip ANALYZE after seeding (to see the cost of missing statistics)")
    parser.add_argument("--inprocess-hits", type=int, default=30,
                        help="in-process requests per page for hit and session")
    parser.add_argument("--inprocess-misses", type=int, default=10,
                        help="in-process requests per page for cache off and miss")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile every page in-process, rendered and from the cache")
    parser.add_argument("--profile-requests", type=int, default=50)
    parser.add_argument("--only", nargs="*", help="page names to measure (bare always runs)")
    parser.add_argument(
        "--port-base", type=int, default=0,
        help="the cached server listens on this port, the uncached one on the next (default: any free ports)",
    )
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    command = " ".join([".venv/bin/python bench/catalogue_throughput.py", *(argv if argv is not None else sys.argv[1:])])
    # Ctrl-C raises KeyboardInterrupt even when started with SIGINT ignored (e.g. `cmd &`).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _exit_on_signal)
    signal.signal(signal.SIGHUP, _exit_on_signal)
    atexit.register(PROCESSES.stop_all)
    RESULTS.mkdir(parents=True, exist_ok=True)
    tool = args.tool
    if tool == "auto":
        tool = "wrk" if shutil.which("wrk") else "python"
    if tool == "wrk" and not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk), or use --tool python")
    columns = [*SERVERS, *(["session"] if args.session_load else [])]

    env = bench_environment(args)
    started = time.monotonic()
    try:
        prepare(args, env)
        setup_django(env)
        facts = catalogue_facts()
        pages = catalogue_pages(facts["detail_slug"])
        if args.only:
            pages = [p for p in pages if p.name == "bare" or p.name in args.only]
        session_cookie = buyer_session()
        print(f"\n{facts['published_reports']:,} published reports; cache {facts['cache_backend']}, "
              f"CATALOGUE_CACHE_SECONDS {facts['catalogue_cache_seconds']}; measuring in-process",
              flush=True)
        measure_in_process(pages, hits=args.inprocess_hits, misses=args.inprocess_misses,
                           session_cookie=session_cookie)
        profiles = {}
        if args.profile:
            print(f"profiling {len(pages)} pages ({args.profile_requests} requests each, "
                  f"rendered and from the cache)", flush=True)
            profiles = profile_pages(pages, args.profile_requests)

        servers = {}
        for label, extra in SERVERS.items():
            servers[label] = start_gunicorn(args, {**env, **extra}, label)
        for label, (process, port) in servers.items():
            wait_until_healthy(process, port, label)
            print(f"gunicorn {label}: pid {process.pid} on {HOST}:{port}", flush=True)
        targets = {label: (port, None) for label, (_process, port) in servers.items()}
        if args.session_load:
            name, key = session_cookie
            targets["session"] = (servers["cached"][1], {"Cookie": f"{name}={key}"})
        print("warming up", flush=True)
        for column in columns:
            port, headers = targets[column]
            warm_up(port, pages, requests=3 * args.workers + 5, headers=headers)
        load = load_with_wrk if tool == "wrk" else load_with_python
        load_average_before = os.getloadavg()
        rounds = {(page.name, column): [] for page in pages for column in columns}
        # Rounds interleave the URLs and the servers, so a burst of other work on the
        # machine does not land on one page or one server only; the order of the
        # servers alternates from round to round. Each page keeps its median round.
        for round_number in range(1, args.rounds + 1):
            order = columns if round_number % 2 else columns[::-1]
            for page in pages:
                for column in order:
                    port, headers = targets[column]
                    print(f"  round {round_number}/{args.rounds} {tool} {column}: "
                          f"{short_path(page.path)} for {args.seconds} s", flush=True)
                    rounds[page.name, column].append(load(port, page, args, headers))
                    time.sleep(0.5)
        for page in pages:
            for column in columns:
                page.keep_median_round(column, rounds[page.name, column])
        load_average_after = os.getloadavg()
    finally:
        PROCESSES.stop_all()
        if args.redis_url:
            print(f"removed {remove_bench_cache_keys(args.redis_url)} benchmark keys from Redis",
                  flush=True)

    for column in columns:
        bare = pages[0].load[column]["rps"]
        for page in pages:
            page.load[column]["ratio"] = page.load[column]["rps"] / bare if bare else 0.0
    info = machine(facts, f"wrk {wrk_version()}" if tool == "wrk" else "Python http.client threads")
    info["load_average"] = {"before": load_average_before, "after": load_average_after}
    print()
    print_tables(pages, columns)
    for column in columns:
        missed = [p.name for p in pages[1:] if p.load[column]["ratio"] < GOAL]
        print(f"{column}: catalogue pages >= {GOAL:.0%} of the bare view: "
              + ("all" if not missed else "missed by " + ", ".join(missed))
              + (" (the goal is judged on this column)" if column == "cached" else ""))
    print(f"whole run {time.monotonic() - started:.0f} s")

    result = {
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": command,
        "machine": info,
        "settings": {
            "workers": args.workers, "connections": args.connections, "threads": args.threads,
            "seconds": args.seconds, "rounds": args.rounds, "reports": args.reports,
            "redis_url": bool(args.redis_url), "cache_backend": facts["cache_backend"],
            "catalogue_cache_seconds": {"cached": facts["catalogue_cache_seconds"], "uncached": 0},
            "debug": False, "database": urlsplit(args.database_url).path.lstrip("/"),
            "analyze_after_seeding": args.analyze, "columns": columns,
            "inprocess_hits": args.inprocess_hits, "inprocess_misses": args.inprocess_misses,
        },
        "catalogue": {k: v for k, v in facts.items() if k not in {"postgresql"}},
        "seconds_whole_run": round(time.monotonic() - started),
        "goal_ratio": GOAL,
        "inprocess_modes": INPROCESS_MODES,
        "pages": [asdict(page) for page in pages],
        "profiles": profiles,
    }
    (RESULTS / "latest.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    (RESULTS / "latest.md").write_text(markdown(command, info, facts, pages, args, columns, profiles))
    print(f"wrote {RESULTS / 'latest.json'} and {RESULTS / 'latest.md'}")
    return 0


def wrk_version() -> str:
    try:
        output = subprocess.run(["wrk", "-v"], capture_output=True, text=True, timeout=5)
        match = re.search(r"wrk\s+(\S+)", output.stdout + output.stderr)
        return match.group(1) if match else "?"
    except (OSError, subprocess.TimeoutExpired):
        return "?"


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        PROCESSES.stop_all()
        print("\ninterrupted; gunicorn stopped", file=sys.stderr)
        sys.exit(130)
