"""What PostgreSQL spends on the one statement of an uncached catalogue page, planned
on every request or prepared (reports/statements.py).

An uncached list, search or product page runs one statement. This script takes the
statements the shop sends (a page of cards' kept SQL, cards.CardRows; the product
page's, selectors.prepared_row), runs each on one connection, interleaved, planned
each time and as a prepared statement, and reports the median time per execution as
the client sees it (round trip included) and PostgreSQL's own planning and execution
time (EXPLAIN ANALYZE). A page of cards is also run as it was before this round, with
the publisher's name joined.

    .venv/bin/python bench/catalogue_statements.py \\
        --database-url postgres://postgres@127.0.0.1:5432/storefront_dt_bench [--rounds 15]

The database must hold the catalogue catalogue_throughput.py seeds. Nothing is written.
"""

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import catalogue_throughput  # noqa: E402

EXECUTIONS = 100  # per variant and round


def statements() -> dict[str, tuple[str, list | None]]:
    """The statements as the shop sends them: name → (SQL, parameters or None)."""
    from django.db import connection

    from reports import cards, selectors
    from reports.selectors import CatalogueQuery

    found = {}
    for name, query in (
        ("list", CatalogueQuery()),
        ("search `medical`", CatalogueQuery(q="medical")),
        ("search `医学`", CatalogueQuery(q="医学")),
    ):
        _database, sql, _params = cards.CardRows(query)._statement(slice(0, 24))
        found[f"{name}: page of cards"] = (sql, None)
        joined = selectors.search_reports(query).values(
            *("publisher__name" if field == "publisher_id" else field
              for field in cards.ROW_FIELDS)
        )[0:24]
        joined_sql, joined_params = joined.query.sql_with_params()
        found[f"{name}: with the publisher joined (before)"] = (
            connection.ops.compose_sql(joined_sql, joined_params), None
        )
    found["product page (any product)"] = (
        selectors._prepared_row_sql(), [catalogue_throughput.PRODUCT_CODE, "en"]
    )
    return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args(argv)
    throughput_args = catalogue_throughput.parse_args(
        ["--reuse-db", "--database-url", args.database_url]
    )
    catalogue_throughput.setup_django(catalogue_throughput.bench_environment(throughput_args))
    import psycopg

    found = statements()
    # A connection of its own, which binds on the server; prepare=False / True below
    # decides (psycopg ignores prepare=True when prepare_threshold is None).
    connection = psycopg.connect(args.database_url.replace("postgres://", "postgresql://"),
                                 autocommit=True, prepare_threshold=5)
    client = {(name, mode): [] for name in found for mode in ("planned", "prepared")}
    server = {name: ([], []) for name in found}
    for _round in range(args.rounds):
        for name, (sql, params) in found.items():
            for mode in ("planned", "prepared"):
                cursor = connection.cursor()
                prepare = mode == "prepared"
                cursor.execute(sql, params, prepare=prepare).fetchall()  # prepared once
                started = time.perf_counter()
                for _ in range(EXECUTIONS):
                    cursor.execute(sql, params, prepare=prepare).fetchall()
                client[name, mode].append((time.perf_counter() - started) * 1000 / EXECUTIONS)
            plan = "\n".join(row[0] for row in connection.execute(
                "EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON) " + sql, params, prepare=False
            ).fetchall())
            server[name][0].append(float(re.search(r"Planning Time: ([\d.]+)", plan)[1]))
            server[name][1].append(float(re.search(r"Execution Time: ([\d.]+)", plan)[1]))
    kept = connection.execute(
        "SELECT count(*), sum(generic_plans), sum(custom_plans) FROM pg_prepared_statements",
        prepare=False,
    ).fetchone()
    connection.close()
    print(f"prepared statements on the connection: {kept[0]}, generic plans used "
          f"{kept[1]}, custom plans {kept[2]}")
    print(f"{args.rounds} interleaved rounds of {EXECUTIONS} executions per variant; median ms")
    print("| statement | planned each time | prepared | PostgreSQL: planning | execution |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name in found:
        planning, execution = server[name]
        print(f"| {name} | {statistics.median(client[name, 'planned']):.3f} "
              f"| {statistics.median(client[name, 'prepared']):.3f} "
              f"| {statistics.median(planning):.3f} | {statistics.median(execution):.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
