"""Checks for the master and sample PDFs editors upload or feeds name.

A master is what every buyer's stamped copy is made from, so it is read through
once, as stamping reads it, before it is accepted: damage found at upload costs an
editor a minute, damage found at delivery costs a buyer their report.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from storefront.delivery.stamping import StampError, check_master

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
        pages = check_master(upload)
    except StampError as error:
        raise ValidationError(
            _("This PDF cannot be used: %(reason)s") % {"reason": error},
            code="damaged",
        ) from error
    finally:
        upload.seek(0)
    return pages
