#!/usr/bin/env python
"""Feed import throughput: rows per second of `import_reports` on PostgreSQL and SQLite.

    .venv/bin/python bench/import_throughput.py [--rows 10000] [--toc-lines 20]
        [--databases postgresql sqlite] [--formats json csv] [--drop-index]
        [--profile [dry_run|first_import|reimport]]
        [--database-url postgres://postgres@127.0.0.1:5432/storefront_bench_import]

1. writes two feeds of --rows realistic rows each (bench/results/import-feed/): JSON
   and CSV, different product codes, every row in English and Chinese with a two-
   paragraph summary, a meta description, 4 key figures, 4 licence prices, about
   --toc-lines numbered TOC lines per language, 1–2 categories and one of 12
   publishers (four of them new, so the import creates them);
2. per database: a fresh one (PostgreSQL: dropped and recreated, its name must
   contain "bench" and the host be local; SQLite: a new file under bench/results/),
   `migrate`, `seed_demo --no-pdfs` (the categories and publishers the feeds name);
3. per format, in a child process (Django is set up once per process) that runs the
   command's code in-process (`call_command("import_reports", ...)`), timed, with the
   statements counted through a database execute wrapper:
   - **dry run** on the empty catalogue (every row "would be created": written and
     rolled back),
   - **first import** (every row created; with --drop-index inside
     reports.search_index.without_search_index(), as seed_catalog loads: the trigram
     index dropped before and built once after, to compare with keeping it),
   - **re-import** of the same file (every row unchanged: read, compared, no writes);
   with --profile the first import (or the phase named) is profiled into
   bench/results/import-profile-<database>-<format>.txt;
4. prints the table, writes bench/results/import-latest.{json,md}; drops the
   PostgreSQL database and removes the SQLite file again (unless --keep-database).

The child runs with DEBUG off and REDIS_URL unset (the cache is local memory: the
import bumps the catalogue version per row), as bench/settings.py configures.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import csv
import io
import json
import os
import pstats
import random
import signal
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.catalogue_throughput import (  # noqa: E402  (needs ROOT on sys.path)
    RESULTS,
    bench_environment,
    recreate_database,
    run,
)
from bench.processes import Processes  # noqa: E402
from bench.seed_catalog_timing import drop_database  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/storefront_bench_import"
FEED_DIR = RESULTS / "import-feed"
SQLITE_PATH = RESULTS / "import-bench.sqlite3"
PHASES = ("dry_run", "first_import", "reimport")
CODE_PREFIXES = {"json": "BJ", "csv": "BC"}
WRITE_STATEMENTS = ("INSERT", "UPDATE", "DELETE")

# Publishers of the demo catalogue (found) and four the import creates.
PUBLISHERS = [
    "360iResearch", "Northbridge Insights", "Halden & Moss Research",
    "Keystone Market Intelligence", "Kaiyo Market Research", "Huaxin Industry Research",
    "Pacific Rim Analytics", "Greyline Research Partners",
    "Orion Sector Studies", "Tidewater Analytics", "Blue Lantern Research", "Meridian Data Labs",
]
TOC_CHAPTERS = [
    ("Preface", "序言"), ("Research Methodology", "研究方法"), ("Executive Summary", "执行摘要"),
    ("Market Overview", "市场概览"), ("Market Insights", "市场洞察"),
    ("Cumulative Impact of United States Tariffs 2025", "2025年美国关税的累积影响"),
    ("Competitive Landscape", "竞争格局"),
]
TOC_SECTIONS = [
    ("Introduction", "引言"), ("Market Size & Growth Trends", "市场规模与增长趋势"),
    ("Porter's Five Forces Analysis", "波特五力分析"), ("PESTLE Analysis", "PESTLE分析"),
    ("Opportunity Mapping", "机会图谱"), ("Pricing Trend Analysis", "价格趋势分析"),
    ("Regulatory Framework", "监管框架"), ("Key Company Profiles", "主要公司简介"),
]


# --- The feeds ---------------------------------------------------------------------------


def numbered_outline(rng: random.Random, lines: int) -> tuple[str, str]:
    """About ``lines`` numbered lines: chapters with two or three sections each."""
    english, chinese, chapter = [], [], 0
    while len(english) < lines:
        chapter += 1
        title_en, title_zh = TOC_CHAPTERS[(chapter - 1) % len(TOC_CHAPTERS)]
        english.append(f"{chapter} {title_en}")
        chinese.append(f"{chapter} {title_zh}")
        for section, (sub_en, sub_zh) in enumerate(rng.sample(TOC_SECTIONS, 3), start=1):
            english.append(f"{chapter}.{section} {sub_en}")
            chinese.append(f"{chapter}.{section} {sub_zh}")
    return "\n".join(english[:lines]), "\n".join(chinese[:lines])


def make_row(rng: random.Random, code: str, toc_lines: int) -> dict:
    from reports.demo import vocabulary

    category = rng.choice(sorted(vocabulary.PRODUCTS_BY_CATEGORY))
    product_en, product_zh = rng.choice(vocabulary.PRODUCTS_BY_CATEGORY[category])
    dimensions = rng.sample(vocabulary.DIMENSIONS, k=3)
    base = rng.randrange(50, 90_000) * 10**6
    cagr = round(rng.uniform(2.5, 25.0), 2)
    single = rng.randrange(2450, 5500, 50)
    toc_en, toc_zh = numbered_outline(rng, toc_lines)
    summary_en = (
        f"<p>The {product_en} Market was valued at USD {base / 1e9:.2f} billion in 2025 and is "
        f"projected to grow at a CAGR of {cagr}% through 2032.</p>\n<p>The report segments the "
        f"market by {', '.join(d[0].lower() for d in dimensions)} and profiles the leading "
        f"suppliers, their strategies and recent developments.</p>"
    )
    summary_zh = (
        f"<p>2025年{product_zh}市场规模为{base / 1e8:.1f}亿美元，预计到2032年复合年增长率为"
        f"{cagr}%。</p>\n<p>本报告按{'、'.join(d[1] for d in dimensions)}对市场进行细分，并介绍"
        f"主要供应商及其战略和最新动态。</p>"
    )
    categories = [category]
    if rng.random() < 0.3:
        categories.append(rng.choice(sorted(vocabulary.PRODUCTS_BY_CATEGORY)))
    return {
        "product_code": code,
        "publisher": rng.choice(PUBLISHERS),
        "categories": list(dict.fromkeys(categories)),
        "published_on": (date(2026, 11, 1) - timedelta(days=rng.randrange(900))).isoformat(),
        "pages": rng.randrange(80, 320),
        "formats": rng.choice(["pdf", "pdf_excel", "pdf_excel_ppt"]),
        "delivery_days": rng.choice([0, 0, 2]),
        "base_year": 2025,
        "forecast_start_year": 2026,
        "forecast_end_year": 2032,
        "currency": "USD",
        "translations": {
            "en": {
                "title": f"{product_en} Market by {', '.join(d[0] for d in dimensions)} - "
                         f"Global Forecast 2026-2032 ({code})",
                "summary": summary_en,
                "meta_description": f"{product_en} market: USD {base / 1e9:.2f} billion in 2025.",
            },
            "zh-hans": {
                "title": f"{product_zh}市场：按{'、'.join(d[1] for d in dimensions)}划分-"
                         f"2026年至2032年全球预测（{code}）",
                "summary": summary_zh,
                "meta_description": f"{product_zh}市场：2025年{base / 1e8:.1f}亿美元。",
            },
        },
        "key_statistics": [
            {"kind": "base_year", "year": 2025, "amount": base},
            {"kind": "estimated_year", "year": 2026, "amount": round(base * (1 + cagr / 100), -6)},
            {"kind": "forecast_year", "year": 2032,
             "amount": round(base * (1 + cagr / 100) ** 7, -6)},
            {"kind": "cagr", "percentage": cagr},
        ],
        "licences": [
            {"license_type": "single_user", "price": single},
            {"license_type": "multi_user", "price": round(single * 1.3)},
            {"license_type": "site", "price": round(single * 1.6)},
            {"license_type": "enterprise", "price": single * 2},
        ],
        "toc": {"en": toc_en, "zh-hans": toc_zh},
    }


CSV_COLUMNS = [
    "product_code", "publisher", "categories", "published_on", "pages", "formats",
    "delivery_days", "base_year", "forecast_start_year", "forecast_end_year", "currency",
    "title_en", "title_zh_hans", "summary_en", "summary_zh_hans", "meta_description_en",
    "meta_description_zh_hans", "base_year_size", "estimated_year_size", "forecast_year_size",
    "cagr", "price_single_user", "price_multi_user", "price_site", "price_enterprise",
    "toc_en", "toc_zh_hans",
]


def csv_cells(row: dict) -> list:
    cells = {key: row[key] for key in CSV_COLUMNS if key in row}
    cells["categories"] = ", ".join(row["categories"])
    for language, suffix in (("en", "en"), ("zh-hans", "zh_hans")):
        for name, text in row["translations"][language].items():
            cells[f"{name}_{suffix}"] = text
        cells[f"toc_{suffix}"] = row["toc"][language]
    for figure in row["key_statistics"]:
        if figure["kind"] == "cagr":
            cells["cagr"] = f"{figure['percentage']}%"
        else:
            cells[f"{figure['kind']}_size"] = figure["amount"]
    for licence in row["licences"]:
        cells[f"price_{licence['license_type']}"] = licence["price"]
    return [cells.get(column, "") for column in CSV_COLUMNS]


def write_feeds(rows: int, toc_lines: int, seed: int) -> dict[str, Path]:
    FEED_DIR.mkdir(parents=True, exist_ok=True)
    paths = {}
    for format, prefix in CODE_PREFIXES.items():
        rng = random.Random(f"{seed}-{format}")
        reports = [make_row(rng, f"{prefix}-{number:06d}", toc_lines)
                   for number in range(1, rows + 1)]
        path = FEED_DIR / f"feed-{rows}.{format}"
        if format == "json":
            path.write_text(json.dumps({"reports": reports}, ensure_ascii=False), encoding="utf-8")
        else:
            buffer = io.StringIO(newline="")
            writer = csv.writer(buffer, lineterminator="\r\n")
            writer.writerow(CSV_COLUMNS)
            writer.writerows(csv_cells(report) for report in reports)
            path.write_text(buffer.getvalue(), encoding="utf-8", newline="")
        paths[format] = path
        print(f"  {path.relative_to(ROOT)}: {path.stat().st_size / 2**20:.1f} MB", flush=True)
    return paths


# --- The child process: one format on one database -------------------------------------------


def measure(args) -> dict:
    """The three phases in this process; returns their timings and statement counts."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from reports.search_index import without_search_index

    counts = {"statements": 0, "writes": 0}

    def count_statements(execute, sql, params, many, context):
        counts["statements"] += 1
        if sql.lstrip()[:6].upper().startswith(WRITE_STATEMENTS):
            counts["writes"] += 1
        return execute(sql, params, many, context)

    phases = {}
    for phase in PHASES:
        command = ["import_reports", args.feed]
        if phase == "dry_run":
            command.append("--dry-run")
        counts.update(statements=0, writes=0)
        profiler = cProfile.Profile() if args.profile == phase else None
        out = io.StringIO()
        index_guard = (without_search_index() if args.drop_index and phase == "first_import"
                       else contextlib.nullcontext())
        server_started = server_cpu_seconds(connection)
        started, cpu_started = time.perf_counter(), time.process_time()
        with connection.execute_wrapper(count_statements), index_guard:
            if profiler:
                profiler.enable()
            call_command(*command, stdout=out, stderr=io.StringIO())
            if profiler:
                profiler.disable()
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
        server_seconds = server_cpu_seconds(connection) - server_started
        summary = out.getvalue().strip().splitlines()[-1]
        phases[phase] = {
            "seconds": round(seconds, 2),
            "rows_per_second": round(args.rows / seconds, 1),
            # This process's CPU time (the importer's Python and the driver, not the
            # database server's): steadier than the wall clock on a loaded machine.
            "cpu_ms_per_row": round(cpu_seconds * 1000 / args.rows, 2),
            # The CPU time of the PostgreSQL backend serving this connection (read from
            # /proc: the server is local), so that both sides of the import are counted.
            "server_cpu_ms_per_row": (round(server_seconds * 1000 / args.rows, 2)
                                      if server_seconds >= 0 else None),
            "statements_per_row": round(counts["statements"] / args.rows, 1),
            "writes_per_row": round(counts["writes"] / args.rows, 1),
            "summary": summary,
        }
        print(f"    {phase}: {seconds:.1f} s, {args.rows / seconds:.0f} rows/s, "
              f"{cpu_seconds * 1000 / args.rows:.2f} CPU ms/row "
              f"(+ {server_seconds * 1000 / args.rows:.2f} in the server) — {summary}",
              flush=True)
        if profiler:
            write_profile(profiler, args)
    return {"vendor": connection.vendor, "server_version": server_version(connection),
            "phases": phases}


def server_cpu_seconds(connection) -> float:
    """User + system CPU seconds of this connection's server process so far (PostgreSQL
    on this machine, read from /proc); -1 where that cannot be read (SQLite: in-process)."""
    if connection.vendor != "postgresql":
        return -1.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return -1.0
    # Fields 14 and 15 of stat (utime, stime), counted after the ")" that ends field 2.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_version(connection) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
        else:
            cursor.execute("SELECT sqlite_version()")
        return cursor.fetchone()[0]


def write_profile(profiler, args):
    path = RESULTS / f"import-profile-{args.database_label}-{Path(args.feed).suffix[1:]}.txt"
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    stats.sort_stats("cumulative").print_stats(60)
    stats.sort_stats("tottime").print_stats(40)
    path.write_text(stream.getvalue())
    print(f"    profile: {path.relative_to(ROOT)}", flush=True)


def child_main(args) -> int:
    result = measure(args)
    Path(args.result).write_text(json.dumps(result))
    return 0


# --- The parent: databases, children, the table --------------------------------------------


def database_urls(args) -> dict[str, str]:
    urls = {}
    if "postgresql" in args.databases:
        urls["postgresql"] = args.database_url
    if "sqlite" in args.databases:
        urls["sqlite"] = f"sqlite:///{SQLITE_PATH}"
    return urls


def fresh_database(label: str, url: str, env: dict):
    if label == "postgresql":
        recreate_database(url)
    else:
        SQLITE_PATH.unlink(missing_ok=True)
    python = [sys.executable, "manage.py"]
    run([*python, "migrate", "--no-input", "-v0"], env, timeout=900)
    run([*python, "seed_demo", "--no-pdfs"], env, timeout=900, quiet=True)


def remove_database(label: str, url: str):
    if label == "postgresql":
        drop_database(url)
    else:
        SQLITE_PATH.unlink(missing_ok=True)


def run_child(processes: Processes, args, label: str, format: str, feed: Path, env) -> dict:
    result_path = RESULTS / f"import-child-{label}-{format}.json"
    command = [sys.executable, str(Path(__file__).resolve()), "--child", "--feed", str(feed),
               "--result", str(result_path), "--rows", str(args.rows),
               "--database-label", label]
    if args.drop_index:
        command.append("--drop-index")
    if args.profile:
        command += ["--profile", args.profile]
    print(f"  {label} / {format}:", flush=True)
    child = processes.start(command, name=f"import {label} {format}", cwd=ROOT, env=env)
    if child.wait() != 0:
        raise SystemExit(f"the {label} / {format} measurement failed ({child.returncode})")
    result = json.loads(result_path.read_text())
    result_path.unlink()
    return result


def markdown(command: str, results: list[dict], context: dict) -> str:
    lines = [
        f"Command: `{command}`",
        "",
        f"{context['rows']:,} rows per feed, ~{context['toc_lines']} TOC lines per language; "
        f"trigram index {'dropped and rebuilt around' if context['drop_index'] else 'kept during'}"
        f" the first import; load average (1 min) {context['load_average'][0]:.2f} before, "
        f"{context['load_average'][1]:.2f} after; {context['nproc']} CPUs.",
        "",
        "| database | format | phase | seconds | rows/s | CPU ms/row | server CPU ms/row "
        "| rows per CPU-second | statements/row | writes/row |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for result in results:
        for phase, figures in result["phases"].items():
            lines.append(
                f"| {result['database']} {result['server_version']} | {result['format']} | "
                f"{phase.replace('_', ' ')} | {figures['seconds']:.1f} | "
                f"{figures['rows_per_second']:,.0f} | {figures.get('cpu_ms_per_row', '')} | "
                f"{_or_blank(figures.get('server_cpu_ms_per_row'))} | "
                f"{_cpu_rate(figures)} | {figures['statements_per_row']} | "
                f"{figures['writes_per_row']} |"
            )
    return "\n".join(lines) + "\n"


def _or_blank(value) -> str:
    return "" if value is None else str(value)


def _cpu_rate(figures: dict) -> str:
    """Rows per second of CPU, the importer's and its server process's together. They
    take turns (each statement waits for its answer), so this is what the phase reaches
    on an idle machine, less the waits for the disk."""
    total = (figures.get("cpu_ms_per_row") or 0) + (figures.get("server_cpu_ms_per_row") or 0)
    return f"{1000 / total:,.0f}" if total else ""


def parent_main(args, argv) -> int:
    command = " ".join([".venv/bin/python bench/import_throughput.py",
                        *(argv if argv is not None else sys.argv[1:])])
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))
    RESULTS.mkdir(parents=True, exist_ok=True)
    args.redis_url = ""  # the import bumps the catalogue version: local memory is enough
    load_before = os.getloadavg()[0]
    print(f"Writing the feeds ({args.rows:,} rows each)", flush=True)
    feeds = write_feeds(args.rows, args.toc_lines, args.seed)
    processes, results = Processes(), []
    try:
        for label, url in database_urls(args).items():
            args.database_url = url
            env = bench_environment(args)
            print(f"Fresh {label} database", flush=True)
            fresh_database(label, url, env)
            try:
                for format in args.formats:
                    result = run_child(processes, args, label, format, feeds[format], env)
                    results.append({"database": label, "format": format, **result})
            finally:
                if not args.keep_database:
                    remove_database(label, url)
    finally:
        processes.stop_all()
    context = {
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": command,
        "rows": args.rows,
        "toc_lines": args.toc_lines,
        "drop_index": args.drop_index,
        "load_average": (load_before, os.getloadavg()[0]),
        "nproc": len(os.sched_getaffinity(0)),
    }
    (RESULTS / "import-latest.json").write_text(
        json.dumps({**context, "results": results}, indent=2) + "\n")
    text = markdown(command, results, context)
    (RESULTS / "import-latest.md").write_text(text)
    print("\n" + text)
    print(f"wrote {RESULTS / 'import-latest.json'} and {RESULTS / 'import-latest.md'}")
    return 0


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000, help="rows per feed (10000)")
    parser.add_argument("--toc-lines", type=int, default=20,
                        help="TOC lines per report and language (20)")
    parser.add_argument("--seed", type=int, default=2026, help="random seed of the feeds")
    parser.add_argument("--databases", nargs="+", choices=["postgresql", "sqlite"],
                        default=["postgresql", "sqlite"], help="both by default")
    parser.add_argument("--formats", nargs="+", choices=list(CODE_PREFIXES),
                        default=list(CODE_PREFIXES), help="both by default")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL,
                        help="PostgreSQL: dropped, recreated, and dropped again afterwards")
    parser.add_argument("--drop-index", action="store_true",
                        help="drop the trigram index around the first import and build it "
                             "once after, as seed_catalog does (for comparison)")
    parser.add_argument("--keep-database", action="store_true", help="do not drop it afterwards")
    parser.add_argument("--profile", nargs="?", const="first_import", choices=PHASES,
                        help="cProfile a phase (default: the first import) into "
                             "bench/results/import-profile-*.txt")
    # The child process's own options.
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--feed", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    parser.add_argument("--database-label", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.rows < 1:
        raise SystemExit("--rows must be at least 1")
    return child_main(args) if args.child else parent_main(args, argv)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        sys.exit(130)
