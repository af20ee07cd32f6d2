#!/usr/bin/env python
"""Catalogue throughput: requests per second of the catalogue pages under gunicorn,
against a bare Django view that renders a static ~13 KB template.

    .venv/bin/python bench/catalogue_throughput.py [--reports 10000] [--seconds 10]
        [--workers 2] [--database-url postgres://postgres@127.0.0.1:5432/storefront_bench]

What it does, in order:

1. drops and recreates the benchmark database (its name must contain "bench"), migrates
   it, loads the demo catalogue (`seed_demo --no-pdfs`: the pages never read a PDF) and
   `seed_catalog --reports N`, runs ANALYZE (planner statistics); compiles the translations when the .mo is missing or
   older than the .po, and collects static files under bench/results/static/;
2. in this process, through Django's test client on the same database: the SQL
   queries each page runs (CaptureQueriesContext), its size, and its in-process time;
   with --profile, a cProfile of each page (bench/results/profile-*.txt);
3. starts gunicorn (sync workers, DEBUG off, REDIS_URL unset: the pages use no cache,
   tasks would run in-process) on a free port of 127.0.0.1 with settings
   `bench.settings` (the shop's settings + /bench/bare/), warms every URL up, then loads
   each URL for --seconds with wrk (or, without wrk, a Python keep-alive load
   generator; one tool for every URL of a run);
4. prints a table, writes bench/results/latest.json and bench/results/latest.md.

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
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
BIN = Path(sys.executable).parent
GOAL = 0.5  # catalogue pages at >= 50 % of the bare view's rate
PRODUCT_CODE = "1994249"
HOST = "127.0.0.1"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/storefront_bench"


@dataclass
class Page:
    name: str
    path: str  # unquoted; quoted for the wire by wire_path()
    description: str
    # filled in as the run goes
    status: int | None = None
    bytes: int | None = None
    queries: int | None = None
    inprocess_ms: float | None = None
    sql_ms: float | None = None
    rps: float | None = None
    ratio: float | None = None
    latency_ms: dict = field(default_factory=dict)
    requests: int | None = None
    errors: int | None = None
    rounds_rps: list = field(default_factory=list)
    sql: list = field(default_factory=list)

    def keep_median_round(self, rounds: list[dict]):
        """The round with the median rate stands for the page (rates of all rounds kept)."""
        self.rounds_rps = [r["rps"] for r in rounds]
        median = sorted(rounds, key=lambda r: r["rps"])[(len(rounds) - 1) // 2]
        self.rps, self.latency_ms = median["rps"], median["latency_ms"]
        self.requests = sum(r["requests"] for r in rounds)
        self.errors = sum(r["errors"] for r in rounds)


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


class Processes:
    """Child processes that must not outlive the benchmark (gunicorn)."""

    def __init__(self):
        self.children: list[subprocess.Popen] = []

    def start(self, args, **kwargs) -> subprocess.Popen:
        # A new session: Ctrl-C in the terminal reaches us, and we stop the whole group.
        process = subprocess.Popen(args, start_new_session=True, **kwargs)
        self.children.append(process)
        return process

    def stop_all(self):
        while self.children:
            process = self.children.pop()
            if process.poll() is not None:
                continue
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=10)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait(timeout=5)


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


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


# --- Setup ------------------------------------------------------------------------


def bench_environment(args) -> dict:
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    env.update(
        DATABASE_URL=args.database_url,
        DJANGO_SETTINGS_MODULE="bench.settings",
        DJANGO_SECRET_KEY="benchmark-only-secret-key-not-for-production-0123456789",
        DJANGO_DEBUG="0",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        PRIVATE_MEDIA_ROOT=str(RESULTS / "private_media"),
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
    return env


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
    10,000 and sorts the whole table for page 1 (20 ms instead of 0.2 ms)."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute("ANALYZE")
    print("  ANALYZE done", flush=True)


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
    if "REDIS_URL" not in env:
        os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def catalogue_facts() -> dict:
    from django.db import connection

    from reports.models import Report

    report = Report.objects.filter(product_code=PRODUCT_CODE).first()
    if report is None:
        raise SystemExit(f"product {PRODUCT_CODE} is missing: did seed_demo run?")
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server_version = cursor.fetchone()[0]
    return {
        "detail_slug": report.slug,
        "published_reports": Report.objects.published().count(),
        "postgresql": server_version,
    }


def measure_in_process(pages: list[Page], repeat: int):
    """Queries, size and time of one request per page, through the test client."""
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST=HOST)
    statuses = {page.path: client.get(page.path).status_code for page in pages}  # and warm
    bad = [f"{path} -> {status}" for path, status in statuses.items() if status != 200]
    if bad:
        raise SystemExit("pages do not answer 200: " + ", ".join(bad))
    for page in pages:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(page.path)
        page.status = response.status_code
        page.bytes = len(response.content)
        page.queries = len(captured.captured_queries)
        page.sql = [query["sql"][:300] for query in captured.captured_queries]
        timings, sql_times = [], []
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                client.get(page.path)
                timings.append(time.perf_counter() - started)
            sql_times.append(sum(float(q["time"]) for q in captured.captured_queries))
            reset_queries()
        page.inprocess_ms = round(statistics.median(timings) * 1000, 2)
        page.sql_ms = round(statistics.median(sql_times) * 1000, 2)


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


def profile_pages(pages: list[Page], requests: int) -> dict:
    from django.test import Client

    client = Client(HTTP_HOST=HOST)
    summaries = {}
    for page in pages:
        client.get(page.path)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(requests):
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
        text.write(f"{page.name} {page.path}: {requests} requests, profiled\n")
        text.write(json.dumps(summary, indent=2, ensure_ascii=False) + "\n\n")
        for order in ("cumulative", "tottime"):
            pstats.Stats(profiler, stream=text).sort_stats(order).print_stats(35)
        (RESULTS / f"profile-{page.name}.txt").write_text(text.getvalue())
        summaries[page.name] = summary
    return summaries


# --- Load ---------------------------------------------------------------------------


def start_gunicorn(args, env) -> tuple[subprocess.Popen, int]:
    port = free_port()
    log = open(RESULTS / "gunicorn.log", "w")
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
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited ({process.returncode}); see {RESULTS / 'gunicorn.log'}")
        try:
            status, _ = http_get(port, "/healthz")
            if status == 200:
                return process, port
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not answer /healthz within 30 s")


def http_get(port: int, path: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def warm_up(port: int, pages: list[Page], requests: int):
    for page in pages:
        for _ in range(requests):
            status, _ = http_get(port, wire_path(page.path))
            if status != 200:
                raise SystemExit(f"{page.path} answered {status} under gunicorn")


_WRK_RPS = re.compile(r"Requests/sec:\s+([\d.]+)")
_WRK_TOTAL = re.compile(r"(\d+) requests in ([\d.]+)(\w+),")
_WRK_NON2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_WRK_SOCKET = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
_WRK_PERCENTILE = re.compile(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def load_with_wrk(port, page: Page, args) -> dict:
    url = f"http://{HOST}:{port}{wire_path(page.path)}"
    command = [
        "wrk", "-t", str(args.threads), "-c", str(args.connections),
        "-d", f"{args.seconds}s", "--timeout", "10s", "--latency", url,
    ]
    output = subprocess.run(
        command, capture_output=True, text=True, timeout=args.seconds + 30, check=True
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


def load_with_python(port, page: Page, args) -> dict:
    """Keep-alive clients in threads; gunicorn's sync workers close each connection,
    so a client reconnects when told to. Bounded by --seconds."""
    path = wire_path(page.path)
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
                connection.request("GET", path, headers={"Connection": "keep-alive"})
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


def markdown(command, info, facts, pages, args, profiles) -> str:
    lines = [
        f"Command: `{command}`",
        "",
        f"Machine: {info['nproc']} CPUs ({info['cpu']}), {info['memory']}, {info['os']}; "
        f"Python {info['python']}, Django {info['django']}, gunicorn {info['gunicorn']} "
        f"({args.workers} sync workers), PostgreSQL {info['postgresql']}; "
        f"load: {info['load_tool']}, {args.connections} connections, {args.seconds} s per URL"
        f"{f' × {args.rounds} interleaved rounds (median)' if args.rounds > 1 else ''}; "
        f"{facts['published_reports']:,} published reports; REDIS_URL "
        f"{'set' if args.redis_url else 'unset'}; DEBUG off. Load average (1 min) "
        f"{info['load_average'][0]:.2f} before, {info['load_average'][1]:.2f} after the load phase"
        f" (other work on the machine competes for the same CPUs).",
        "",
        "| page | URL | req/s | vs bare | goal ≥ 50 % | p50 ms | p99 ms | queries | in-process ms (SQL ms) | KB |",
        "| --- | --- | ---: | ---: | :---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for page in pages:
        goal = "—" if page.name == "bare" else ("yes" if page.ratio >= GOAL else "**no**")
        lines.append(
            f"| {page.description} | `{short_path(page.path)}` | {page.rps:,.0f} | {page.ratio:.0%} | {goal} "
            f"| {page.latency_ms.get('p50', float('nan')):.1f} | {page.latency_ms.get('p99', float('nan')):.1f} "
            f"| {page.queries} | {page.inprocess_ms:.1f} ({page.sql_ms:.1f}) | {page.bytes / 1024:.1f} |"
        )
    if profiles:
        lines += ["", "Self time by area (cProfile through the test client, share of the profiled time):", ""]
        names = [page.name for page in pages if page.name in profiles]
        areas: list[str] = []
        for name in names:
            for area in profiles[name]["self_time_share"]:
                if area not in areas:
                    areas.append(area)
        lines.append("| area | " + " | ".join(names) + " |")
        lines.append("| --- |" + " ---: |" * len(names))
        for area in areas:
            cells = [f"{profiles[n]['self_time_share'].get(area, 0):.0%}" for n in names]
            lines.append(f"| {area} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def print_table(pages):
    header = f"{'page':<16} {'req/s':>9} {'vs bare':>8} {'p50 ms':>8} {'p99 ms':>8} {'queries':>8} {'in-proc ms':>11} {'sql ms':>7} {'KB':>6}  errors"
    print(header)
    print("-" * len(header))
    for page in pages:
        print(
            f"{page.name:<16} {page.rps:>9,.1f} {page.ratio:>8.0%} {page.latency_ms.get('p50', 0):>8.1f} "
            f"{page.latency_ms.get('p99', 0):>8.1f} {page.queries:>8} {page.inprocess_ms:>11.1f} "
            f"{page.sql_ms:>7.1f} {page.bytes / 1024:>6.1f}  {page.errors}"
        )


# --- Main ---------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=10_000, help="synthetic reports (seed_catalog)")
    parser.add_argument("--seed", type=int, default=2026, help="seed_catalog --seed (same catalogue every run)")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default="", help="set REDIS_URL for the server (default: unset)")
    parser.add_argument("--seconds", type=int, default=10, help="load per URL and round")
    parser.add_argument("--rounds", type=int, default=1, help="interleaved rounds; the median counts")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--connections", type=int, default=4, help="concurrent client connections")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--tool", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--reuse-db", action="store_true", help="skip drop/migrate/seed")
    parser.add_argument("--no-analyze", dest="analyze", action="store_false",
                        help="skip ANALYZE after seeding (to see the cost of missing statistics)")
    parser.add_argument("--profile", action="store_true", help="cProfile every page in-process")
    parser.add_argument("--profile-requests", type=int, default=50)
    parser.add_argument("--only", nargs="*", help="page names to measure (bare always runs)")
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

    env = bench_environment(args)
    try:
        prepare(args, env)
        setup_django(env)
        facts = catalogue_facts()
        pages = catalogue_pages(facts["detail_slug"])
        if args.only:
            pages = [p for p in pages if p.name == "bare" or p.name in args.only]
        print(f"\n{facts['published_reports']:,} published reports; measuring queries in-process", flush=True)
        measure_in_process(pages, repeat=30)
        profiles = {}
        if args.profile:
            print(f"profiling {len(pages)} pages ({args.profile_requests} requests each)", flush=True)
            profiles = profile_pages(pages, args.profile_requests)

        process, port = start_gunicorn(args, env)
        print(f"gunicorn pid {process.pid} on {HOST}:{port}; warming up", flush=True)
        warm_up(port, pages, requests=3 * args.workers + 5)
        load = load_with_wrk if tool == "wrk" else load_with_python
        load_average_before = os.getloadavg()
        rounds = {page.name: [] for page in pages}
        # Rounds interleave the URLs, so a burst of other work on the machine
        # does not land on one page only; each page keeps its median round.
        for round_number in range(1, args.rounds + 1):
            for page in pages:
                print(f"  round {round_number}/{args.rounds} {tool}: {short_path(page.path)} for {args.seconds} s", flush=True)
                rounds[page.name].append(load(port, page, args))
                time.sleep(0.5)
        for page in pages:
            page.keep_median_round(rounds[page.name])
        load_average_after = os.getloadavg()
    finally:
        PROCESSES.stop_all()

    bare = pages[0].rps
    for page in pages:
        page.ratio = page.rps / bare if bare else 0.0
    info = machine(facts, f"wrk {wrk_version()}" if tool == "wrk" else "Python http.client threads")
    info["load_average"] = (load_average_before[0], load_average_after[0])
    print()
    print_table(pages)
    missed = [p for p in pages[1:] if p.ratio < GOAL]
    print(f"\ngoal: catalogue pages >= {GOAL:.0%} of the bare view; "
          + ("all met" if not missed else "missed by " + ", ".join(p.name for p in missed)))

    result = {
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": command,
        "machine": info,
        "settings": {
            "workers": args.workers, "connections": args.connections, "threads": args.threads,
            "seconds": args.seconds, "reports": args.reports, "redis_url": bool(args.redis_url),
            "debug": False, "database": urlsplit(args.database_url).path.lstrip("/"),
            "analyze_after_seeding": args.analyze, "rounds": args.rounds,
        },
        "published_reports": facts["published_reports"],
        "load_average": {"before": load_average_before, "after": load_average_after},
        "goal_ratio": GOAL,
        "pages": [asdict(page) for page in pages],
        "profiles": profiles,
    }
    (RESULTS / "latest.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    (RESULTS / "latest.md").write_text(markdown(command, info, facts, pages, args, profiles))
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
