"""Checks for the master and sample PDFs editors upload or feeds name.

A master is what every buyer's stamped copy is made from, so it is read through
once, the way stamping reads it (qpdf without recovery, every object), before it is
accepted: damage found at upload costs an editor a minute, damage found at delivery
costs a buyer their report. (Stamping checks again at delivery; the catalogue does
not import the shop's delivery code, so the read-through is its own.)
"""

import io

import pikepdf
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

PDF_MAGIC = b"%PDF-"
# The header may follow a little junk (some producers prepend a BOM or whitespace);
# PDF readers look for it in the first kilobyte.
HEADER_WINDOW = 1024


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
        return _read_through(upload)
    finally:
        upload.seek(0)


class _NullWriter(io.RawIOBase):
    def writable(self):
        return True

    def write(self, data):
        return len(data)


def _read_through(upload) -> int:
    """Open without repair, read every object, and refuse what qpdf only warns about."""
    try:
        # No recovery: qpdf would "repair" a truncated file into empty pages, silently.
        with pikepdf.Pdf.open(upload, attempt_recovery=False) as pdf:
            pages = len(pdf.pages)
            pdf.save(_NullWriter(), compress_streams=False)
            damaged = bool(pdf.get_warnings())
    except pikepdf.PasswordError as error:
        raise ValidationError(
            _("This PDF is protected by a password. Upload a copy without one."),
            code="encrypted",
        ) from error
    except (pikepdf.PdfError, ValueError, RuntimeError) as error:
        raise ValidationError(
            _("This PDF is damaged and cannot be read (%(detail)s). Export it again and upload the new file.")
            % {"detail": str(error)[:200]},
            code="damaged",
        ) from error
    if damaged:
        raise ValidationError(
            _("This PDF is damaged: parts of it cannot be read. Export it again and upload the new file."),
            code="damaged",
        )
    if pages == 0:
        raise ValidationError(_("This PDF has no pages."), code="no_pages")
    return pages
