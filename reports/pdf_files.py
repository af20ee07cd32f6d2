"""Checks for the master and sample PDFs editors upload or feeds name.

A master is what every buyer's stamped copy is made from, so it is read through
once, the way stamping reads it (qpdf without recovery, every object), before it is
accepted: damage found at upload costs an editor a minute, damage found at delivery
costs a buyer their report. (Stamping checks again at delivery; the catalogue does
not import the shop's delivery code, so the read-through is its own.)

The read-through runs in a child process (reports/pdf_checker.py) with a cap on
its memory and time: a 0.6 MB file can make qpdf allocate 200 MB, which a web
worker would otherwise keep for the rest of its life.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

PDF_MAGIC = b"%PDF-"
# The header may follow a little junk (some producers prepend a BOM or whitespace);
# PDF readers look for it in the first kilobyte.
HEADER_WINDOW = 1024
CHECKER = Path(__file__).with_name("pdf_checker.py")
COPY_CHUNK_BYTES = 1 << 20


def validate_report_pdf(upload) -> int:
    """The page count of an uploaded PDF; ValidationError with a clear reason if not usable.

    ``upload`` is an open binary file with a ``size`` (a Django File or UploadedFile).
    The file is left at position 0.
    """
    limit = settings.REPORT_PDF_MAX_BYTES
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise ValidationError(
            _("The file is %(size)s; a report PDF may be at most %(limit)s.")
            % {"size": filesizeformat(size), "limit": filesizeformat(limit)},
            code="too_large",
        )
    if size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    upload.seek(0)
    head = upload.read(HEADER_WINDOW)
    upload.seek(0)
    if PDF_MAGIC not in head:
        raise ValidationError(
            _("This is not a PDF file. Export the report as PDF and upload it again."),
            code="not_pdf",
        )
    try:
        return _check_in_child(upload)
    finally:
        upload.seek(0)


def _check_in_child(upload) -> int:
    path = _path_on_disk(upload)
    if path is not None:
        return _read_through(path)
    # Held in memory or in a bucket: the child needs a file it can open.
    with tempfile.NamedTemporaryFile(prefix="report-pdf-", suffix=".pdf") as copy:
        upload.seek(0)
        shutil.copyfileobj(upload, copy, COPY_CHUNK_BYTES)
        copy.flush()
        return _read_through(copy.name)


def _path_on_disk(upload) -> str | None:
    """The local file behind an upload, if it has one (large uploads, feed files)."""
    if hasattr(upload, "temporary_file_path"):
        return upload.temporary_file_path()
    handle = getattr(upload, "file", upload)
    name = getattr(handle, "name", None)
    if isinstance(name, str) and hasattr(handle, "fileno") and os.path.isfile(name):
        return name
    return None


def _too_complex() -> ValidationError:
    return ValidationError(
        _("This PDF is too complex to check: reading it needs more than %(memory)s of "
          "memory or %(seconds)s seconds. Export it again (for example with fewer "
          "objects or “optimise for web”) and upload the new file.")
        % {
            "memory": filesizeformat(settings.REPORT_PDF_CHECK_MAX_BYTES),
            "seconds": settings.REPORT_PDF_CHECK_SECONDS,
        },
        code="too_complex",
    )


def _read_through(path: str) -> int:
    """The page count from the checker process, or a ValidationError with its reason."""
    seconds = settings.REPORT_PDF_CHECK_SECONDS
    try:
        finished = subprocess.run(
            # -P: the checker's folder (with reports/selectors.py) must not shadow the
            # standard library.
            [sys.executable, "-P", str(CHECKER), path,
             str(settings.REPORT_PDF_CHECK_MAX_BYTES), str(max(1, int(seconds)))],
            capture_output=True,
            timeout=seconds,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as error:
        raise _too_complex() from error
    try:
        result = json.loads(finished.stdout)
    except ValueError:
        result = None
    if finished.returncode != 0 or not isinstance(result, dict):
        # Killed by its CPU limit, or aborted allocating past its memory limit.
        raise _too_complex()
    problem = result.get("problem")
    if problem == "too_complex":
        raise _too_complex()
    if problem == "encrypted":
        raise ValidationError(
            _("This PDF is protected by a password. Upload a copy without one."),
            code="encrypted",
        )
    if problem == "damaged":
        raise ValidationError(
            _("This PDF is damaged and cannot be read (%(detail)s). Export it again and upload the new file.")
            % {"detail": result.get("detail", "")},
            code="damaged",
        )
    if problem == "damaged_parts":
        raise ValidationError(
            _("This PDF is damaged: parts of it cannot be read. Export it again and upload the new file."),
            code="damaged",
        )
    if problem == "no_pages":
        raise ValidationError(_("This PDF has no pages."), code="no_pages")
    return int(result["pages"])
