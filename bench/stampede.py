#!/usr/bin/env python
"""Stampede after a catalogue edit: how many times 50 concurrent requests for one page,
sent right after the catalogue version changes, make the shop build that page.

Needs a database seeded by catalogue_throughput.py (run it first, or pass one that
holds the demo catalogue). Starts two gunicorn servers (4 sync workers each, Redis
cache shared by their workers) with the page cache on: one with the build lock
(CATALOGUE_STAMPEDE_WAIT_SECONDS, default 2 s), one without it (0). Per page and
round: bumps the catalogue version (reports.services.catalogue_changed, in this
process, on the same Redis), releases 50 requests at once (threads, one connection
each, a barrier) for visitors without cookies, and counts the content builds each
server logged (reports.page_cache logs one line per build at DEBUG; the servers run
with that logger at DEBUG through bench/stampede_settings.py).

    .venv/bin/python bench/stampede.py --database-url postgres://postgres@127.0.0.1:5432/storefront_bench \\
        --redis-url redis://127.0.0.1:6379/15 [--requests 50] [--rounds 5] [--port-base 0]

Keys get the prefix storefront-stampede and are deleted after the run.
"""

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from bench.processes import Processes, free_port  # noqa: E402

RESULTS = ROOT / "bench" / "results"
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
KEY_PREFIX = "storefront-stampede"
BUILT = "catalogue content built"
PAGES = {
    "list_en": "/en/reports/",
    "search_zh": "/zh-hans/reports/?q=%E5%8C%BB%E5%AD%A6",
    "detail_en": "/en/reports/1994249/{slug}/",
}
SERVERS = {"lock": "2", "no lock": "0"}
PROCESSES = Processes()


def environment(args) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"CATALOGUE_CACHE_SECONDS"}}
    env.update(
        DATABASE_URL=args.database_url,
        REDIS_URL=args.redis_url,
        CACHE_KEY_PREFIX=KEY_PREFIX,
        DJANGO_SETTINGS_MODULE="bench.stampede_settings",
        DJANGO_SECRET_KEY="benchmark-only-secret-key-not-for-production-0123456789",
        DJANGO_DEBUG="0",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        PRIVATE_MEDIA_ROOT=str(RESULTS / "private_media"),
        LOG_LEVEL="ERROR",
        STRIPE_SECRET_KEY="sk_test_benchmark_not_a_real_key",
        STRIPE_WEBHOOK_SECRET="whsec_benchmark_not_a_real_secret",
        STRIPE_API_BASE="http://127.0.0.1:9",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        # Every request of a burst is a new visitor; no visitor's budget stops a store.
        CATALOGUE_CACHE_QUERIES_PER_IP="100000",
    )
    env.pop("EMAIL_URL", None)
    return env


def start(env, wait: str, port: int, workers: int, log_path: Path):
    log = open(log_path, "w")
    process = PROCESSES.start(
        [str(BIN / "gunicorn"), "storefront.wsgi", "--chdir", str(ROOT),
         "--workers", str(workers), "--worker-class", "sync",
         "--bind", f"{HOST}:{port}", "--timeout", "60", "--log-level", "warning"],
        cwd=ROOT, env={**env, "CATALOGUE_STAMPEDE_WAIT_SECONDS": wait},
        stdout=log, stderr=subprocess.STDOUT,
    )
    return process


def get(port: int, path: str) -> tuple[int, float]:
    started = time.perf_counter()
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status, time.perf_counter() - started
    finally:
        connection.close()


def wait_until_up(port: int):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if get(port, "/healthz")[0] in (200, 503):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"no server on port {port}")


def burst(port: int, path: str, count: int) -> list[tuple[int, float]]:
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def one(index):
        barrier.wait()
        results[index] = get(port, path)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def builds_in(log_path: Path) -> int:
    return log_path.read_text(errors="replace").count(BUILT)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port-base", type=int, default=0)
    args = parser.parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    env = environment(args)
    os.environ.update(env)
    import django

    django.setup()
    from reports import services
    from reports.models import Report

    slug = Report.objects.get(product_code="1994249").slug
    pages = {name: path.format(slug=slug) for name, path in PAGES.items()}
    servers = {}
    try:
        for offset, (label, wait) in enumerate(SERVERS.items()):
            port = args.port_base + offset if args.port_base else free_port(HOST)
            log_path = RESULTS / f"stampede-{label.replace(' ', '-')}.log"
            servers[label] = (start(env, wait, port, args.workers, log_path), port, log_path)
        for _process, port, _log in servers.values():
            wait_until_up(port)
            for path in pages.values():
                for _ in range(args.workers * 2):
                    get(port, path)
        table = []
        for name, path in pages.items():
            for label, (_process, port, log_path) in servers.items():
                builds, latencies, statuses = [], [], set()
                for _ in range(args.rounds):
                    before = builds_in(log_path)
                    services.catalogue_changed()
                    results = burst(port, path, args.requests)
                    time.sleep(0.3)  # the log line is written before the answer; let it flush
                    builds.append(builds_in(log_path) - before)
                    statuses |= {status for status, _elapsed in results}
                    latencies += [elapsed for _status, elapsed in results]
                latencies.sort()
                row = {
                    "page": name, "server": label, "builds_per_burst": builds,
                    "median_builds": statistics.median(builds),
                    "p50_ms": round(statistics.median(latencies) * 1000, 1),
                    "max_ms": round(latencies[-1] * 1000, 1),
                    "statuses": sorted(statuses),
                }
                table.append(row)
                print(json.dumps(row, ensure_ascii=False), flush=True)
        load = os.getloadavg()
        lines = [
            f"{args.requests} concurrent requests per burst, {args.rounds} bursts per page and server, "
            f"{args.workers} gunicorn sync workers per server, Redis cache; "
            f"load average after: {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}",
            "",
            "| page | server | builds per burst (each burst) | median | p50 / max ms | statuses |",
            "| --- | --- | --- | ---: | ---: | --- |",
        ]
        for row in table:
            lines.append(
                f"| {row['page']} | {row['server']} | {', '.join(map(str, row['builds_per_burst']))} "
                f"| {row['median_builds']} | {row['p50_ms']} / {row['max_ms']} | {row['statuses']} |"
            )
        (RESULTS / "stampede-latest.md").write_text("\n".join(lines) + "\n")
        print("\n".join(lines))
    finally:
        PROCESSES.stop_all()
        import redis

        client = redis.Redis.from_url(args.redis_url)
        keys = list(client.scan_iter(match=f"{KEY_PREFIX}:*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
