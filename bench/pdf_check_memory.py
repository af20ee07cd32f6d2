"""Peak memory of the web process when it checks a page-reference bomb, in process
(as reports.pdf_files did) and through the checker child (as it does now).

    .venv/bin/python bench/pdf_check_memory.py [--references 100000]

Each way runs in a fresh interpreter so that one peak cannot hide the other.
Prints the parent's peak RSS before and after, the child's peak and the time.
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

MEASURE = r"""
import io, json, resource, sys, tempfile, time
import django
django.setup()
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.exceptions import ValidationError
from tests.reports.test_pdf_check_limits import page_reference_bomb
from reports import pdf_checker, pdf_files

def peak(who):
    return resource.getrusage(who).ru_maxrss // 1024

content = page_reference_bomb(int(sys.argv[1]))
import pikepdf  # loaded before measuring, in both ways
before = peak(resource.RUSAGE_SELF)
started = time.perf_counter()
if sys.argv[2] == "in-process":
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(content)
        handle.flush()
        outcome = pdf_checker.read_through(handle.name)
else:
    try:
        outcome = {"pages": pdf_files.validate_report_pdf(SimpleUploadedFile("b.pdf", content))}
    except ValidationError as error:
        outcome = {"refused": error.code}
seconds = time.perf_counter() - started
print(json.dumps({"file_kb": len(content) // 1024, "parent_mb_before": before,
                  "parent_mb_after": peak(resource.RUSAGE_SELF),
                  "child_peak_mb": peak(resource.RUSAGE_CHILDREN),
                  "seconds": round(seconds, 2), "outcome": outcome}))
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--references", type=int, default=100_000)
    args = parser.parse_args()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    for way in ("in-process", "checker child"):
        finished = subprocess.run(
            [sys.executable, "-c", MEASURE, str(args.references), way],
            cwd=ROOT, env=env, capture_output=True, text=True, check=True,
        )
        print(f"{way:>14}: {json.loads(finished.stdout.strip().splitlines()[-1])}")


if __name__ == "__main__":
    main()
