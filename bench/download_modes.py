#!/usr/bin/env python
"""Downloads of a large stamped PDF: presigned redirect to the bucket vs streamed by Django.

    .venv/bin/python bench/download_modes.py [--buyers 20] [--seconds 20] [--size-mb 30]

One database (`--database-url`, created for the run and dropped after it; the name must contain
`bench`), one SeaweedFS bucket (tests/s3_server.py), one delivered order whose
stamped copy (~--size-mb MB, stamped from a large master by the shop's own delivery)
is in the bucket and, under the same name, in a local private folder. Then, in turn,
the same gunicorn (2 sync workers) serves:

* `streamed`: local storage, the view streams the file (FileResponse);
* `redirect`: the bucket, the view counts the download and answers 302 to a
  presigned URL; the client then fetches the file from the bucket.

--buyers threads each download with a grant of their own, again and again, for
--seconds. Reported: completed downloads per second and MB/s (whole files read by the
client), the shop's responses per second, the peak resident set of the gunicorn
workers (sampled every 50 ms), and how long another visitor waits meanwhile (a
/readyz request every 0.2 s: with 2 sync workers, a streamed download holds one). Writes bench/results/download-modes-latest.json.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"

SETUP = r"""
import json, sys
from reports.models import LicenseType
from storefront.delivery import services
from storefront.delivery.models import DownloadGrant, StampedCopy
from storefront.orders import services as order_services
from storefront.orders.cart import CartLine
from storefront.orders.models import PaymentMethod
from tests.factories import make_report

master = open(sys.argv[1], "rb").read()
report = make_report(master_pdf=master, licence_prices={LicenseType.SINGLE_USER: "3939"})
order = order_services.place_order(
    lines=[CartLine(report.license_options.get())],
    buyer=order_services.Buyer(email="buyer@example.com", full_name="Ann Lee",
                               company="Acme Medical Ltd", country="UK"),
    language="en", payment_method=PaymentMethod.CARD)
order_services.mark_order_paid(order_id=order.pk, source="bench")
services.deliver_order(order_id=order.pk)
copy = StampedCopy.objects.get(line__order=order)
grants = [services.new_grant(copy) for _ in range(int(sys.argv[2]))]
DownloadGrant.objects.filter(pk__in=[g.pk for g in grants]).update(downloads_left=10**9)
print(json.dumps({"name": copy.file.name, "size": copy.size, "tokens": [g.token for g in grants]}))
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run(command, env, **kwargs):
    finished = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, **kwargs)
    if finished.returncode:
        raise RuntimeError(f"{command[:3]} failed:\n{finished.stdout[-2000:]}{finished.stderr[-3000:]}")
    return finished.stdout


def recreate_database(url: str) -> None:
    parts = urlsplit(url)
    name = parts.path.strip("/")
    if "bench" not in name or parts.hostname not in ("127.0.0.1", "localhost"):
        raise SystemExit("--database-url must be a local database whose name contains 'bench'")
    import psycopg

    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    import psycopg

    name = urlsplit(url).path.strip("/")
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')


def worker_pids(master_pid: int) -> list[int]:
    try:
        with open(f"/proc/{master_pid}/task/{master_pid}/children") as children:
            return [int(pid) for pid in children.read().split()]
    except OSError:
        return []


def rss_mib(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def fetch_all(url: str) -> tuple[int, str | None, int]:
    """GET ``url``; (status, Location, bytes of the body read)."""
    parts = urlsplit(url)
    client = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    client.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
    answer = client.getresponse()
    read = 0
    while chunk := answer.read(1 << 20):
        read += len(chunk)
    client.close()
    return answer.status, answer.getheader("Location"), read


def load(base: str, tokens: list[str], seconds: float, expected: int) -> dict:
    stop = time.monotonic() + seconds
    done, responses, moved, errors = [0], [0], [0], []
    lock = threading.Lock()

    def buyer(token: str) -> None:
        while time.monotonic() < stop:
            status, location, read = fetch_all(f"{base}/downloads/{token}/")
            with lock:
                responses[0] += 1
            if status == 302:
                status, _, read = fetch_all(location)
            with lock:
                if status == 200 and read == expected:
                    done[0] += 1
                    moved[0] += read
                else:
                    errors.append(status)

    probes: list[float] = []

    def probe() -> None:
        # Another visitor meanwhile: how long the shop keeps them waiting.
        while time.monotonic() < stop:
            asked = time.monotonic()
            fetch_all(f"{base}/readyz")
            probes.append((time.monotonic() - asked) * 1000)
            time.sleep(0.2)

    started = time.monotonic()
    threads = [threading.Thread(target=buyer, args=(token,)) for token in tokens]
    threads.append(threading.Thread(target=probe))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    probes.sort()
    return {"downloads_per_s": round(done[0] / elapsed, 2),
            "mb_per_s": round(moved[0] / 1e6 / elapsed, 1),
            "shop_responses_per_s": round(responses[0] / elapsed, 2),
            "downloads": done[0], "errors": len(errors), "seconds": round(elapsed, 1),
            "other_visitor_p50_ms": round(probes[len(probes) // 2], 1) if probes else None,
            "other_visitor_max_ms": round(probes[-1], 1) if probes else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buyers", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--size-mb", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url",
                        default="postgres://postgres@127.0.0.1:5432/storefront_storage_bench")
    args = parser.parse_args()

    from bench.stamping_to_storage import big_master
    from tests.s3_server import S3Server

    master = big_master(args.size_mb)
    work = Path(tempfile.mkdtemp(prefix="bench-downloads-"))
    recreate_database(args.database_url)
    server = S3Server(work / "seaweedfs").start()
    results = {}
    try:
        bucket = server.create_bucket("bench-downloads")
        private = work / "private"
        private.mkdir()
        base_env = {**os.environ, "DATABASE_URL": args.database_url,
                    "DJANGO_SETTINGS_MODULE": "storefront.settings", "PYTHONPATH": str(ROOT),
                    "PRIVATE_MEDIA_ROOT": str(private), "DOWNLOAD_LIMIT": "1000000000"}
        for name in ("REDIS_URL", "CACHE_REDIS_URL", "EMAIL_URL"):
            base_env.pop(name, None)
        bucket_env = {**base_env, **server.storage_environment(bucket)}
        run([sys.executable, "manage.py", "migrate", "-v0"], base_env, timeout=900)
        made = json.loads(run([sys.executable, "-c",
                               "import django; django.setup()\n" + SETUP,
                               str(master), str(args.buyers)], bucket_env, timeout=600
                              ).strip().splitlines()[-1])
        # The same copy on the local disk, for the streamed mode.
        local = private / made["name"]
        local.parent.mkdir(parents=True)
        server.client().download_file(bucket, made["name"], str(local))
        print(f"stamped copy {made['size'] / 1e6:.1f} MB; {args.buyers} buyers, "
              f"{args.seconds:.0f} s per mode", flush=True)
        load_before = os.getloadavg()
        for mode, env in (("streamed", base_env), ("redirect", bucket_env)):
            port = _free_port()
            log = open(work / f"gunicorn-{mode}.log", "wb")
            gunicorn = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "storefront.wsgi", "-b", f"127.0.0.1:{port}",
                 "-w", str(args.workers), "--timeout", "300"],
                cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
            try:
                deadline = time.monotonic() + 60
                while True:
                    try:
                        if fetch_all(f"http://127.0.0.1:{port}/readyz")[0] == 200:
                            break
                    except OSError:
                        pass
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"gunicorn ({mode}) did not start")
                    time.sleep(0.2)
                pids = worker_pids(gunicorn.pid)
                idle = max(rss_mib(pid) for pid in pids)
                peak, sampling = [idle], threading.Event()

                def sample():
                    while not sampling.is_set():
                        peak[0] = max(peak[0], *(rss_mib(pid) for pid in pids))
                        time.sleep(0.05)

                sampler = threading.Thread(target=sample, daemon=True)
                sampler.start()
                row = load(f"http://127.0.0.1:{port}", made["tokens"], args.seconds, made["size"])
                sampling.set()
                sampler.join()
                row.update(worker_rss_idle_mib=round(idle, 1), worker_rss_peak_mib=round(peak[0], 1))
                results[mode] = row
                print(f"  {mode:9} {row['downloads_per_s']:6.2f} downloads/s  {row['mb_per_s']:6.1f} MB/s  "
                      f"shop {row['shop_responses_per_s']:6.2f} responses/s  worker RSS "
                      f"{idle:.0f} -> {peak[0]:.0f} MiB  errors {row['errors']}  another visitor's "
                      f"/readyz p50 {row['other_visitor_p50_ms']} ms, max "
                      f"{row['other_visitor_max_ms']} ms", flush=True)
            finally:
                gunicorn.terminate()
                gunicorn.wait(30)
                log.close()
        load_after = os.getloadavg()
    finally:
        server.stop()
        drop_database(args.database_url)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "download-modes-latest.json").write_text(json.dumps({
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join([".venv/bin/python", "bench/download_modes.py", *sys.argv[1:]]),
        "copy_bytes": made["size"], "buyers": args.buyers,
        "load_before": [round(v, 2) for v in load_before],
        "load_after": [round(v, 2) for v in load_after], "modes": results,
    }, indent=2))
    print(f"load {load_before[0]:.1f} -> {load_after[0]:.1f}")


if __name__ == "__main__":
    main()
