#!/usr/bin/env python
"""How long the licence stamp takes, against a bare pikepdf overlay of the same file.

    .venv/bin/python bench/stamping.py [--runs 10] [--pages 300]

Masters (generated once, kept under bench/results/stamping/ by content fingerprint):

* `1994249`: the demo master of product 1994249, built by reports.demo.pdf exactly as
  `seed_demo` builds it (196 pages, text, tables and bar charts);
* `1994249-300p`: the same report laid out on --pages pages (default 300).

For each master, in one process, rounds interleave (so machine load hits every
variant alike) and the median of --runs rounds counts (after one warm-up round):

* `bare`: a bare pikepdf overlay: one reportlab page with one short Helvetica line,
  one shared Form XObject, on every page the same two shared content streams
  (`q` before, `Q q /Stamp Do Q` after), saved with the same options as the stamp
  (compressed streams, generated object streams); no cover page, no metadata;
* `stamp en`: `stamp_licence(...)`, English wording, Latin names (Helvetica), with
  the licence cover page: what a buyer of the English site gets;
* `stamp en, no cover`: the same with cover_page=False;
* `stamp zh-hans`: Chinese wording and names (embedded CJK TrueType subset), cover.
* `prepared en`, `prepared zh-hans`: the same stamps from the master prepared for
  stamping (`prepare_master`, done once before the rounds): what every delivery of a
  master but a host's first does (storefront/delivery/prepared_masters.py);
* `prepare (once)`: `prepare_master` itself, which a host runs once per master (not
  counted against the goal).

Memory: each variant runs again in a child process of its own, which reports how far
its resident set rose above what it had after loading the libraries and reading the
master (sampled every 0.5 ms during one run), and, from a second run, the Python-side
peak from tracemalloc (qpdf's C++ memory is invisible to tracemalloc, hence both).

The project's goal: the stamp within 2x the time of the bare overlay.
Writes bench/results/stamping-latest.json.

A delivery's whole file path (storage → stamp → storage, on disk and through an S3
bucket, on a 166 MB master, with the worker's memory): bench/stamping_to_storage.py,
which reuses this module's masters and bare overlay.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import date, datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"
MASTERS = RESULTS / "stamping"

GOAL_RATIO = 2.0
VARIANTS = ("bare", "stamp en", "stamp en, no cover", "stamp zh-hans", "prepared en",
            "prepared zh-hans", "prepare (once)")
ONCE_PER_MASTER = ("prepare (once)",)


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "storefront.settings")
    import django

    django.setup()


# --- Masters -------------------------------------------------------------------------


def demo_masters(pages: int) -> dict[str, Path]:
    """The demo master of 1994249 and the same report on `pages` pages."""
    from dataclasses import replace

    from reports.demo import builder, pdf

    MASTERS.mkdir(parents=True, exist_ok=True)
    spec = builder.pdf_spec(builder.report_1994249())
    masters = {}
    for name, this_spec in ((spec.product_code, spec),
                            (f"{spec.product_code}-{pages}p", replace(spec, pages=pages))):
        path = MASTERS / f"{name}-{pdf.fingerprint(this_spec, 'master')}.pdf"
        if not path.exists():
            started = time.perf_counter()
            data = pdf.render(("master", this_spec))
            path.write_bytes(data)
            print(f"  generated {path.relative_to(ROOT)}: {this_spec.pages} pages, "
                  f"{len(data):,} bytes, {time.perf_counter() - started:.1f} s", flush=True)
        masters[name] = path
    return masters


# --- Variants ------------------------------------------------------------------------


def stamps():
    from storefront.delivery.stamping import LicenceStamp

    english = LicenceStamp(
        licensee="Ann Lee", company="Acme Medical Ltd", licence_type="Single user licence",
        order_number="MR-261124-ABC123", licence_id="L-0A1B2C3D4E5F",
        issued_on=date(2026, 11, 24), language="en",
    )
    chinese = LicenceStamp(
        licensee="李伟", company="上海医学教育咨询有限公司", licence_type="单用户许可",
        order_number="MR-261124-ABC123", licence_id="L-0A1B2C3D4E5F",
        issued_on=date(2026, 11, 24), language="zh-hans",
    )
    return english, chinese


def bare_overlay(master: Path) -> int:
    """The reference: the least work that puts one text line on every page."""
    import pikepdf
    from reportlab.pdfgen.canvas import Canvas

    drawing = io.BytesIO()
    canvas = Canvas(drawing, pagesize=(595.2756, 841.8898))
    canvas.setFont("Helvetica", 6.5)
    canvas.drawCentredString(297.6, 18, "Licensed to Ann Lee - Licence L-0A1B2C3D4E5F")
    canvas.showPage()
    canvas.save()
    output = io.BytesIO()
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
    return len(output.getvalue())


def prepared_master(master: Path) -> Path:
    """The master prepared for stamping, next to it (made once per bench run)."""
    from storefront.delivery.stamping import prepare_master

    prepared = master.with_name(f"{master.stem}-prepared.pdf")
    with open(prepared, "wb") as output:
        prepare_master(master, output)
    return prepared


def make_runner(variant: str):
    if variant == "bare":
        return bare_overlay
    from storefront.delivery.stamping import prepare_master, stamp_licence

    if variant == "prepare (once)":
        def prepare(master: Path) -> int:
            output = io.BytesIO()
            prepare_master(master, output)
            return len(output.getvalue())

        return prepare
    english, chinese = stamps()
    stamp, cover = {
        "stamp en": (english, True),
        "stamp en, no cover": (english, False),
        "stamp zh-hans": (chinese, True),
        "prepared en": (english, True),
        "prepared zh-hans": (chinese, True),
    }[variant]
    prepared = {}

    def run(master: Path) -> int:
        output = io.BytesIO()
        if not variant.startswith("prepared"):
            return stamp_licence(master, output, stamp, cover_page=cover).bytes_written
        if master not in prepared:
            prepared[master] = prepared_master(master)
        return stamp_licence(prepared[master], output, stamp, prepared=True).bytes_written

    return run


# --- Memory, in a child process per variant ---------------------------------------------


def _rss_kb() -> int:
    """Current resident set size of this process (Linux /proc)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def child(variant: str, master: Path):
    import threading
    import tracemalloc

    setup_django()
    import pikepdf  # noqa: F401  (loaded before the baseline)
    import reportlab.pdfgen.canvas  # noqa: F401

    import storefront.delivery.stamping  # noqa: F401

    run = make_runner(variant)
    if variant in ("stamp zh-hans", "prepared zh-hans"):
        from storefront.delivery import fonts

        fonts.cjk_font()  # registered once per process, not per stamp
    if variant.startswith("prepared"):
        run(master)  # prepared once, as in the timed runs; measured from the next run
    master.read_bytes()  # the file in the page cache, as in the timed runs
    # ru_maxrss is a high-water mark that imports may already have set higher than
    # a stamp reaches, so the resident set is sampled while the stamp runs.
    baseline = _rss_kb()
    peak = baseline
    done = threading.Event()

    def sample():
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _rss_kb())
            time.sleep(0.0005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    size = run(master)  # untraced run: RSS (tracemalloc slows Python and adds memory)
    done.set()
    sampler.join()
    peak = max(peak, _rss_kb())
    tracemalloc.start()
    run(master)
    _, python_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(json.dumps({"rss_baseline_kb": baseline, "rss_peak_kb": peak,
                      "rss_growth_kb": peak - baseline,
                      "python_peak_kb": python_peak // 1024, "bytes": size}))


def measure_memory(variant: str, master: Path) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--child", variant, str(master)],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- Main -------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--child", nargs=2, metavar=("VARIANT", "MASTER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child[0], Path(args.child[1]))

    import logging

    setup_django()
    logging.getLogger("storefront.delivery.stamping").setLevel(logging.WARNING)
    import pikepdf
    import reportlab

    print("Masters:", flush=True)
    masters = demo_masters(args.pages)
    runners = {variant: make_runner(variant) for variant in VARIANTS}

    # First call in this process: includes finding and parsing the CJK font.
    from storefront.delivery import fonts

    fonts.reset()
    first = next(iter(masters.values()))
    started = time.perf_counter()
    runners["stamp zh-hans"](first)
    cold_zh_ms = (time.perf_counter() - started) * 1000

    results = {"masters": {}}
    load_before = os.getloadavg()
    for name, master in masters.items():
        with pikepdf.open(master) as pdf:
            pages = len(pdf.pages)
        size = master.stat().st_size
        print(f"\n{name}: {pages} pages, {size:,} bytes; {args.runs} interleaved rounds",
              flush=True)
        times = {variant: [] for variant in VARIANTS}
        sizes = {}
        for round_number in range(args.runs + 1):  # round 0 warms up
            for variant in VARIANTS:
                started = time.perf_counter()
                sizes[variant] = runners[variant](master)
                elapsed = (time.perf_counter() - started) * 1000
                if round_number:
                    times[variant].append(elapsed)
        bare = statistics.median(times["bare"])
        rows = {}
        for variant in VARIANTS:
            median = statistics.median(times[variant])
            memory = measure_memory(variant, master)
            rows[variant] = {
                "median_ms": round(median, 1),
                "min_ms": round(min(times[variant]), 1),
                "max_ms": round(max(times[variant]), 1),
                "vs_bare": round(median / bare, 2),
                "output_bytes": sizes[variant],
                "output_vs_master": round(sizes[variant] / size, 3),
                **memory,
            }
            row = rows[variant]
            print(f"  {variant:20} median {row['median_ms']:7.1f} ms  ({row['min_ms']:.1f}-"
                  f"{row['max_ms']:.1f})  {row['vs_bare']:.2f}x bare  "
                  f"{row['output_bytes']:>10,} B  RSS +{row['rss_growth_kb'] / 1024:.1f} MiB  "
                  f"py peak {row['python_peak_kb'] / 1024:.1f} MiB", flush=True)
        results["masters"][name] = {"path": str(master.relative_to(ROOT)), "pages": pages,
                                    "bytes": size, "variants": rows}
    results.update(
        when=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        command=" ".join([".venv/bin/python", "bench/stamping.py", *sys.argv[1:]]),
        runs=args.runs,
        cold_first_zh_stamp_ms=round(cold_zh_ms, 1),
        goal=f"stamp within {GOAL_RATIO}x of the bare overlay",
        machine={
            "cpus": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform(), "pikepdf": pikepdf.__version__,
            "qpdf": pikepdf.__libqpdf_version__, "reportlab": reportlab.Version,
            "load_before": [round(v, 2) for v in load_before],
            "load_after": [round(v, 2) for v in os.getloadavg()],
        },
    )
    worst = max(row["vs_bare"] for master in results["masters"].values()
                for variant, row in master["variants"].items()
                if variant != "bare" and variant not in ONCE_PER_MASTER)
    results["goal_met"] = worst <= GOAL_RATIO
    print(f"\nFirst stamp of the process with Chinese text (finds and parses the font): "
          f"{cold_zh_ms:.0f} ms")
    print(f"Slowest variant: {worst:.2f}x the bare overlay; goal <= {GOAL_RATIO}x: "
          f"{'met' if results['goal_met'] else 'NOT met'}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "stamping-latest.json").write_text(json.dumps(results, indent=2,
                                                             ensure_ascii=False))
    print(f"Wrote {(RESULTS / 'stamping-latest.json').relative_to(ROOT)}")


if __name__ == "__main__":
    main()
