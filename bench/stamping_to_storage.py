#!/usr/bin/env python
"""A delivery's stamping, from the storage to the storage: memory and time on a large master.

    .venv/bin/python bench/stamping_to_storage.py [--runs 3] [--master-mb 166] [--no-bucket]

The master: the demo master of 1994249 (196 pages, see bench/stamping.py) with a
distinct photo-like JPEG on every page, up to --master-mb megabytes (generated once,
kept under bench/results/stamping/).

Each measured run is a child process of its own, so that its resident set is its own:
the child loads Django and the shop's delivery code and warms it as a worker does at
start (`prepare_worker`; the **worker's baseline**: what a Celery worker process holds
before its first task), then runs one variant while a
thread samples its resident set every millisecond. Rounds interleave the variants.

* `bare, disk`: the floor: a bare pikepdf overlay (bench/stamping.py's) of the master
  file, saved to a new file that is kept (as a delivery keeps its copy);
* `delivery, disk`: what a delivery does on local storage: `stamp_stored()` of the
  master in a FileSystemStorage (this host's prepared copy of it, see
  storefront/delivery/prepared_masters.py) into a temporary file, saved to a
  FileSystemStorage;
* `transfer, bucket`: download the master from the bucket to a temporary file and
  upload a file of the same size back: the transfer alone;
* `bare, bucket`: the floor through the bucket: download, bare overlay, upload;
* `delivery, bucket`: what a delivery does with a bucket: `stamp_stored()` of the
  master in the bucket into a temporary file, saved to the S3 storage.

The prepared masters are kept in a folder of the run (STAMP_CACHE_DIR), so the first
delivery of a master (the warm-up round, printed as round 0) prepares it, downloading
it from the bucket, and the measured rounds stamp from the kept file, as every later
delivery on a host does; a delivery child reads that file into the page cache before
it is measured, as every child reads the master.

The bucket is SeaweedFS on 127.0.0.1 (tests/s3_server.py). Goals (issue 16): peak
resident set ≤ 1.2 × the worker's baseline + 50 MB; time ≤ 1.5 × the bare overlay of
the same storage. Writes bench/results/stamping-to-storage-latest.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"
MASTERS = RESULTS / "stamping"
VARIANTS = ("bare, disk", "delivery, disk", "transfer, bucket", "bare, bucket", "delivery, bucket")
BUCKET_KEY = "masters/large-master.pdf"
# Timed again in the same child after the first (measured) run: the warm time.
WARM_REPEATS = 3


def big_master(target_mb: int) -> Path:
    """The demo master with a noise JPEG on every page, about ``target_mb`` MB."""
    import random

    import pikepdf
    from PIL import Image

    from bench.stamping import demo_masters, setup_django

    path = MASTERS / f"1994249-images-{target_mb}mb.pdf"
    if path.exists():
        return path
    setup_django()
    demo = demo_masters(300)["1994249"]
    started = time.perf_counter()
    with pikepdf.open(demo) as pdf:
        per_page = target_mb * 1_000_000 // len(pdf.pages)
        side = int((per_page / 0.86) ** 0.5)  # noise JPEG at quality 92: ~0.86 bytes/pixel
        generator = random.Random(2026)
        for number, page in enumerate(pdf.pages):
            pixels = generator.randbytes(side * side)
            image = Image.frombytes("L", (side, side), pixels).convert("RGB")
            jpeg = Path(tempfile.gettempdir()) / f"bench-page-{os.getpid()}.jpg"
            image.save(jpeg, quality=92)
            stream = pikepdf.Stream(pdf, jpeg.read_bytes())
            stream.Type, stream.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
            stream.Width = stream.Height = side
            stream.ColorSpace, stream.BitsPerComponent = pikepdf.Name.DeviceRGB, 8
            stream.Filter = pikepdf.Name.DCTDecode
            resources = page.obj.get("/Resources")
            if resources is None:
                resources = page.obj.Resources = pikepdf.Dictionary()
            if "/XObject" not in resources:
                resources.XObject = pikepdf.Dictionary()
            resources.XObject[f"/BenchPhoto{number}"] = stream
            page.contents_add(pdf.make_stream(
                f"q 120 0 0 120 400 60 cm /BenchPhoto{number} Do Q\n".encode()))
            jpeg.unlink()
        pdf.save(path)
    print(f"  generated {path.relative_to(ROOT)}: {path.stat().st_size:,} bytes, "
          f"{time.perf_counter() - started:.0f} s", flush=True)
    return path


# --- One run, in a child process -------------------------------------------------------


def _rss_kb() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def _bare_to_file(master: str, output) -> None:
    import io

    import pikepdf
    from reportlab.pdfgen.canvas import Canvas

    drawing = io.BytesIO()
    canvas = Canvas(drawing, pagesize=(595.2756, 841.8898))
    canvas.setFont("Helvetica", 6.5)
    canvas.drawCentredString(297.6, 18, "Licensed to Ann Lee - Licence L-0A1B2C3D4E5F")
    canvas.showPage()
    canvas.save()
    with pikepdf.open(master) as pdf, pikepdf.open(io.BytesIO(drawing.getvalue())) as overlay:
        form = pdf.copy_foreign(overlay.pages[0].as_form_xobject())
        before = pdf.make_stream(b"q\n")
        after = pdf.make_stream(b"\nQ q /BareStamp Do Q\n")
        for page in pdf.pages:
            resources = page.obj.get("/Resources")
            if resources is None:
                resources = page.obj.Resources = pikepdf.Dictionary()
            if "/XObject" not in resources:
                resources.XObject = pikepdf.Dictionary()
            resources.XObject.BareStamp = form
            page.contents_add(before, prepend=True)
            page.contents_add(after)
        pdf.save(output, compress_streams=True,
                 object_stream_mode=pikepdf.ObjectStreamMode.generate)


def _deliver(master_storage, master_name: str, storage, name: str, stamp) -> str:
    """What storefront.delivery.services.stamp_copy does with the files, without the database."""
    from storefront.delivery.services import stamped_temporary_copy

    with stamped_temporary_copy(master_storage, master_name, stamp) as (copy, _result):
        copy.name = name
        return storage.save(name, copy)


def child(variant: str, master: Path, environment: dict) -> None:
    os.environ.update(environment)
    from bench.stamping import setup_django, stamps

    setup_django()
    from django.core.files.storage import FileSystemStorage, storages

    import pikepdf  # noqa: F401
    from storefront.delivery.services import prepare_worker

    # What a delivery worker has loaded before its first task: the worker warms the
    # stamp's fonts, PDF libraries and mail templates at start (README, "Workers and beat").
    prepare_worker()

    stamp, _chinese = stamps()
    bucket = storages["private"] if "bucket" in variant else None
    if bucket is not None:
        bucket.exists(BUCKET_KEY)  # the client and its connection pool, as in a warm worker
    scratch = Path(tempfile.mkdtemp(prefix="bench-storage-"))
    disk = FileSystemStorage(location=scratch)
    masters = FileSystemStorage(location=master.parent)
    master.read_bytes()  # the file in the page cache, as in every round
    if variant.startswith("delivery"):
        # What a delivery reads instead of the master: the prepared copy kept since
        # round 0. In the page cache too, as the master is for the floor (unread, the
        # first stamp of a process waited ~40 ms on reading it: 0.134 s wall for
        # 0.093 s of CPU, against 0.099 / 0.090 once read).
        for kept in Path(os.environ["STAMP_CACHE_DIR"]).glob("*.pdf"):
            kept.read_bytes()
    baseline = _rss_kb()
    peak = baseline
    done = threading.Event()

    def sample():
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _rss_kb())
            time.sleep(0.001)

    def run_variant():
        if variant == "bare, disk":
            # A new file every time, kept, as a delivery keeps its copy: overwriting one
            # file lets the kernel drop the last copy's pages instead of writing them,
            # which made this floor 3-4 x cheaper than any kept copy (bench/README.md).
            handle, path = tempfile.mkstemp(prefix="bare-", suffix=".pdf", dir=scratch)
            with os.fdopen(handle, "wb") as output:
                _bare_to_file(str(master), output)
        elif variant == "delivery, disk":
            _deliver(masters, master.name, disk, "stamped/copy.pdf", stamp)
        else:
            client = bucket.connection.meta.client
            if variant == "transfer, bucket":
                with tempfile.NamedTemporaryFile(suffix=".pdf") as copy:
                    client.download_fileobj(bucket.bucket_name, BUCKET_KEY, copy,
                                            Config=bucket.transfer_config)
                    copy.flush()
                    copy.seek(0)
                    client.upload_fileobj(copy, bucket.bucket_name, "stamped/transfer.pdf",
                                          Config=bucket.transfer_config)
            elif variant == "bare, bucket":
                with tempfile.NamedTemporaryFile(suffix=".pdf") as copy, \
                        tempfile.TemporaryFile() as output:
                    client.download_fileobj(bucket.bucket_name, BUCKET_KEY, copy,
                                            Config=bucket.transfer_config)
                    copy.flush()
                    _bare_to_file(copy.name, output)
                    output.seek(0)
                    client.upload_fileobj(output, bucket.bucket_name, "stamped/bare.pdf",
                                          Config=bucket.transfer_config)
            else:
                name = _deliver(bucket, BUCKET_KEY, bucket, "stamped/delivery.pdf", stamp)
                bucket.delete(name)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    run_variant()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    peak = max(peak, _rss_kb())
    # The same variant again in this process: a worker delivers many copies, and the
    # first large save of a process pays for growing its memory (qpdf's first saves of
    # the master took 0.38 s, later ones 0.1 s, bare overlay and delivery alike).
    warm = []
    for _ in range(WARM_REPEATS):
        started = time.perf_counter()
        run_variant()
        warm.append(time.perf_counter() - started)
    print(json.dumps({"seconds": seconds, "warm_seconds": statistics.median(warm),
                      "baseline_kb": baseline, "peak_kb": peak}))
    shutil.rmtree(scratch, ignore_errors=True)  # the copies (164 MB each)


def run_child(variant: str, master: Path, environment: dict) -> dict:
    # Earlier children wrote 164 MB copies: their write-back is flushed first, so it
    # lands in no child's timing (it made single first runs 0.1-0.4 s apart).
    os.sync()
    finished = subprocess.run(
        [sys.executable, __file__, "--child", variant, str(master), json.dumps(environment)],
        capture_output=True, text=True, cwd=ROOT,
    )
    if finished.returncode != 0:
        raise RuntimeError(f"{variant} failed:\n{finished.stderr[-3000:]}")
    return json.loads(finished.stdout.strip().splitlines()[-1])


# --- Main ---------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--master-mb", type=int, default=166)
    parser.add_argument("--no-bucket", action="store_true")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child[0], Path(args.child[1]), json.loads(args.child[2]))

    MASTERS.mkdir(parents=True, exist_ok=True)
    master = big_master(args.master_mb)
    variants = [v for v in VARIANTS if not (args.no_bucket and "bucket" in v)]
    server = None
    work = Path(tempfile.mkdtemp(prefix="bench-seaweedfs-"))
    environment: dict[str, str] = {"DJANGO_SETTINGS_MODULE": "storefront.settings",
                                   "STAMP_CACHE_DIR": str(work / "prepared-masters")}
    try:
        if not args.no_bucket:
            from tests.s3_server import S3Server

            server = S3Server(work).start()
            bucket = server.create_bucket("bench-stamping")
            environment.update(server.storage_environment(bucket))
            with open(master, "rb") as handle:
                server.client().upload_fileobj(handle, bucket, BUCKET_KEY)
        load_before = os.getloadavg()
        samples: dict[str, list[dict]] = {variant: [] for variant in variants}
        first_rounds: dict[str, dict] = {}
        for round_number in range(args.runs + 1):  # round 0 warms up
            for variant in variants:
                result = run_child(variant, master, environment)
                if round_number:
                    samples[variant].append(result)
                else:
                    first_rounds[variant] = result
                print(f"  round {round_number} {variant:18} {result['seconds']:6.2f} s "
                      f"(warm {result['warm_seconds']:5.2f} s)  "
                      f"peak {result['peak_kb'] / 1024:6.1f} MiB (baseline "
                      f"{result['baseline_kb'] / 1024:.1f})", flush=True)
        load_after = os.getloadavg()
    finally:
        if server is not None:
            server.stop()
        # The bucket's volumes and the kept prepared master: 4 GB after 3 rounds.
        shutil.rmtree(work, ignore_errors=True)
    rows = {}
    for variant, results in samples.items():
        baseline = statistics.median(r["baseline_kb"] for r in results) / 1024
        peak = max(r["peak_kb"] for r in results) / 1024
        rows[variant] = {
            # Three decimals: a disk copy takes about 0.1 s, and its ratio to the bare
            # overlay was computed from medians rounded to 10 ms (0.15 / 0.10 = 1.5).
            "median_s": round(statistics.median(r["seconds"] for r in results), 3),
            "warm_median_s": round(statistics.median(r["warm_seconds"] for r in results), 3),
            "baseline_mib": round(baseline, 1),
            "peak_mib": round(peak, 1),
            "memory_goal_mib": round(1.2 * baseline + 50, 1),
            # Round 0: the first delivery of the master on this host prepares it.
            "round_0_s": round(first_rounds[variant]["seconds"], 2),
            "round_0_peak_mib": round(first_rounds[variant]["peak_kb"] / 1024, 1),
        }
    for storage in ("disk", "bucket"):
        if f"delivery, {storage}" in rows:
            row = rows[f"delivery, {storage}"]
            row["vs_bare"] = round(row["median_s"] / rows[f"bare, {storage}"]["median_s"], 2)
            row["warm_vs_bare"] = round(
                row["warm_median_s"] / rows[f"bare, {storage}"]["warm_median_s"], 2
            )
    print(f"\nMaster {master.stat().st_size / 1e6:.0f} MB; {args.runs} rounds; load "
          f"{load_before[0]:.1f} -> {load_after[0]:.1f}")
    print("| variant | first run: median s | vs bare (same storage) | warm: median s | vs bare "
          "| baseline MiB | peak MiB | goal MiB | round 0 s, peak MiB |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for variant, row in rows.items():
        print(f"| {variant} | {row['median_s']:.3f} | {row.get('vs_bare', '')} | "
              f"{row['warm_median_s']:.3f} | {row.get('warm_vs_bare', '')} | "
              f"{row['baseline_mib']:.0f} | {row['peak_mib']:.0f} | {row['memory_goal_mib']:.0f} | "
              f"{row['round_0_s']:.2f}, {row['round_0_peak_mib']:.0f} |")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "stamping-to-storage-latest.json").write_text(json.dumps({
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join([".venv/bin/python", "bench/stamping_to_storage.py", *sys.argv[1:]]),
        "master_bytes": master.stat().st_size, "runs": args.runs,
        "load_before": [round(v, 2) for v in load_before],
        "load_after": [round(v, 2) for v in load_after],
        "variants": rows,
    }, indent=2))


if __name__ == "__main__":
    main()
