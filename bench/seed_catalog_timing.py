#!/usr/bin/env python
"""How long `seed_catalog --reports N` takes on a fresh PostgreSQL database.

    .venv/bin/python bench/seed_catalog_timing.py [--reports 100000] [--seed 2026]
        [--database-url postgres://postgres@127.0.0.1:5432/storefront_bench_seed]

1. drops and recreates the database (its name must contain "bench", the host must be
   local) and migrates it (timed apart);
2. runs the `seed_catalog` management command in this process (call_command, the
   same code as `manage.py seed_catalog`), timing the whole command and, through a
   database execute wrapper, the statements of the trigram index guard
   (reports/search_index.py): DROP INDEX before the load, CREATE INDEX and
   ANALYZE reports_report after it;
3. reads the row counts and the size of the table and of the index;
4. drops the database again (unless --keep-database), also on errors and Ctrl-C.

With --keep-index the index stays in place during the load (the command's behaviour
before the guard), to measure what dropping and rebuilding it saves.

Writes bench/results/seed-latest.json and bench/results/seed-latest.md.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.catalogue_throughput import (  # noqa: E402  (needs ROOT on sys.path)
    RESULTS,
    bench_environment,
    recreate_database,
    run,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/storefront_bench_seed"
INDEX_STATEMENTS = ("DROP INDEX", "CREATE INDEX", "ANALYZE")


def drop_database(database_url: str):
    import psycopg

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    if "bench" not in name:  # recreate_database() checked it already; belt and braces
        raise SystemExit(f"refusing to drop database {name!r}")
    admin_url = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(f"  database {name} dropped", flush=True)


def timed_seed(args) -> dict:
    """seed_catalog in this process, with the index statements timed apart."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from reports.demo import synthetic

    if args.keep_index:
        synthetic.BULK_INDEX_THRESHOLD = float("inf")

    statements: list[dict] = []

    def time_index_statements(execute, sql, params, many, context):
        head = sql.lstrip()[:40].upper()
        if not head.startswith(INDEX_STATEMENTS):
            return execute(sql, params, many, context)
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            statements.append(
                {"sql": " ".join(sql.split())[:120], "seconds": round(time.perf_counter() - started, 3)}
            )

    command = ["seed_catalog", "--reports", str(args.reports)]
    if args.seed is not None:
        command += ["--seed", str(args.seed)]
    print(f"  seed_catalog {' '.join(command[1:])} (in-process)", flush=True)
    started = time.perf_counter()
    with connection.execute_wrapper(time_index_statements):
        call_command(*command)
    total = time.perf_counter() - started

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM reports_report),"
            " (SELECT count(*) FROM reports_report_translation),"
            " pg_total_relation_size('reports_report'),"
            " to_regclass('report_search_text_trgm') IS NOT NULL,"
            " COALESCE(pg_relation_size(to_regclass('report_search_text_trgm')), 0),"
            " current_setting('maintenance_work_mem'), current_setting('autovacuum'),"
            " current_setting('server_version')"
        )
        (reports, translations, table_bytes, index_exists, index_bytes,
         maintenance_work_mem, autovacuum, server_version) = cursor.fetchone()

    def seconds_of(prefix):
        return round(sum(s["seconds"] for s in statements if s["sql"].upper().startswith(prefix)), 3)

    rebuild = seconds_of("CREATE INDEX")
    analyze = seconds_of("ANALYZE")
    return {
        "reports_created": args.reports,
        "index_kept_during_load": args.keep_index,
        "seconds_total": round(total, 2),
        "seconds_index_rebuild": rebuild,
        "seconds_analyze": analyze,
        "seconds_load": round(total - rebuild - analyze - seconds_of("DROP INDEX"), 2),
        "index_statements": statements,
        "rows": {"reports": reports, "translations": translations},
        "table_mb_with_indexes": round(table_bytes / 2**20, 1),
        "trigram_index_exists": index_exists,
        "trigram_index_mb": round(index_bytes / 2**20, 1),
        "postgresql": {
            "version": server_version,
            "maintenance_work_mem": maintenance_work_mem,
            "autovacuum": autovacuum,
        },
    }


def markdown(command: str, result: dict) -> str:
    pg = result["postgresql"]
    lines = [
        f"Command: `{command}`",
        "",
        f"PostgreSQL {pg['version']} (maintenance_work_mem {pg['maintenance_work_mem']}, "
        f"autovacuum {pg['autovacuum']}); load average (1 min) {result['load_average'][0]:.2f} "
        f"before, {result['load_average'][1]:.2f} after.",
        "",
        "| step | seconds |",
        "| --- | ---: |",
        f"| `migrate` (fresh database) | {result['seconds_migrate']:.1f} |",
        f"| `seed_catalog --reports {result['reports_created']:,}`, whole command | "
        f"{result['seconds_total']:.1f} |",
        f"| — of which the load ({'index kept' if result['index_kept_during_load'] else 'trigram index dropped'}) "
        f"| {result['seconds_load']:.1f} |",
        f"| — of which `CREATE INDEX report_search_text_trgm` (one build) | "
        f"{result['seconds_index_rebuild']:.1f} |",
        f"| — of which `ANALYZE reports_report` | {result['seconds_analyze']:.1f} |",
        "",
        f"{result['rows']['reports']:,} reports, {result['rows']['translations']:,} translations; "
        f"reports_report {result['table_mb_with_indexes']} MB with its indexes, trigram index "
        f"{result['trigram_index_mb']} MB ({'present' if result['trigram_index_exists'] else '**missing**'}).",
    ]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL,
                        help="dropped, recreated, and dropped again afterwards")
    parser.add_argument("--keep-index", action="store_true",
                        help="keep the trigram index during the load (for comparison)")
    parser.add_argument("--keep-database", action="store_true", help="do not drop it afterwards")
    args = parser.parse_args(argv)
    command = " ".join([".venv/bin/python bench/seed_catalog_timing.py",
                        *(argv if argv is not None else sys.argv[1:])])
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))
    RESULTS.mkdir(parents=True, exist_ok=True)

    args.redis_url = ""  # the command bumps the catalogue version: local memory is enough
    env = bench_environment(args)
    os.environ.update(env)
    os.environ.pop("REDIS_URL", None)
    load_before = os.getloadavg()[0]
    recreate_database(args.database_url)
    try:
        started = time.perf_counter()
        run([sys.executable, "manage.py", "migrate", "--no-input", "-v0"], env, timeout=600)
        seconds_migrate = round(time.perf_counter() - started, 2)
        result = timed_seed(args)
    finally:
        if not args.keep_database:
            from django.db import connections

            connections.close_all()
            drop_database(args.database_url)
    result.update(
        when=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        command=command,
        seconds_migrate=seconds_migrate,
        load_average=(load_before, os.getloadavg()[0]),
        nproc=len(os.sched_getaffinity(0)),
    )
    (RESULTS / "seed-latest.json").write_text(json.dumps(result, indent=2) + "\n")
    text = markdown(command, result)
    (RESULTS / "seed-latest.md").write_text(text)
    print("\n" + text)
    print(f"wrote {RESULTS / 'seed-latest.json'} and {RESULTS / 'seed-latest.md'}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        sys.exit(130)
