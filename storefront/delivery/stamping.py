"""The licence stamp: every page of a master PDF gets a footer naming the licence.

    stamp_licence(master, output, LicenceStamp(...), cover_page=True) -> StampResult
    prepare_master(master, output)   # once per master; then stamp_licence(..., prepared=True)

What a stamped copy carries:

* On every page of the master, a one-line footer (two or more lines only when the
  page is too narrow) in the bottom margin of the page's visible area (CropBox within
  MediaBox), upright as the page is shown (/Rotate is honoured), centred, small and
  grey: "Licensed to Ann Lee, Acme Medical Ltd · Single user licence · Order … ·
  2026-11-24 · Licence L-…" or "授权给 李伟（上海…有限公司） · 单用户许可 · 订单 … · … ·
  许可编号 …". It is marked as a pagination artifact, so tagged PDFs stay valid.
  There is deliberately no diagonal watermark: it would lie over the body text.
* Optionally a first "licence page" with the licence facts and a summary of the
  terms, in the stamp's language; page labels are shifted so the master's pages keep
  their numbers (the cover is labelled "Licence" / "许可").
* The same facts in the document information (Subject, Keywords and /Licensee,
  /LicenseeCompany, /LicenceType, /OrderNumber, /LicenceId, /LicenceIssued) and in
  XMP (dc:rights, dc:description, pdf:Keywords, xmpRights:Marked / UsageTerms).

The stamp's facts and wording are storefront/delivery/licence_stamp.py; the overlay
is drawn by storefront/delivery/stamp_overlay.py.

How: the overlay is drawn with reportlab into memory, one page per distinct page
size (plus the cover), with the fonts embedded once. pikepdf opens it and each
overlay page fills ONE Form XObject shared by every master page of that size, which
every page draws after its own content (storefront/delivery/stamp_pages.py). The
master's own content streams are never decoded or rewritten, so a 300-page stamp
costs about what one page costs plus qpdf copying the file. Making the pages draw
the forms is the same work for every copy of a master: prepare_master does it once
and saves the result, and a copy stamped from that file only fills the forms.

The master is opened read-only and never written. The result is written to a
temporary buffer first and copied to `output` only once it is complete, so a failure
leaves `output` untouched. Safe to call from several threads at once: each call has
its own pikepdf objects; reportlab's shared TrueType font object is only used under
a lock (building the overlay takes a few milliseconds).
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import tempfile
import time
from contextlib import ExitStack, contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO

import pikepdf
from pikepdf import Array, Dictionary, Name, NumberTree, ObjectStreamMode, Pdf, String
from reportlab.pdfgen.canvas import Canvas

from storefront.delivery import DeliveryError, StampError
from storefront.delivery.fonts import StampFontMissing
from storefront.delivery.licence_stamp import (
    LANGUAGES,
    LicenceStamp,
    StampResult,
    footer_text,
    one_line,
)
from storefront.delivery.stamp_overlay import build_overlay, check_fonts
from storefront.delivery.stamp_pages import (
    PLAN_KEY,
    PagePlan,
    fill_forms,
    prepare_pages,
    read_plan,
    record_plan,
)

__all__ = [
    "DeliveryError",
    "LANGUAGES",
    "LicenceStamp",
    "StampError",
    "StampFontMissing",
    "StampResult",
    "check_master",
    "footer_text",
    "prepare_master",
    "stamp_licence",
    "warm_up",
]

logger = logging.getLogger(__name__)


# Buffered in memory up to this size, then in a temporary file.
SPOOL_BYTES = 64 * 1024 * 1024

# --- Reading and writing PDFs (pikepdf) ----------------------------------------------


def _describe(master) -> str:
    if isinstance(master, (str, os.PathLike)):
        return str(master)
    return str(getattr(master, "name", None) or type(master).__name__)


@contextmanager
def _open_master(master):
    description = _describe(master)
    with ExitStack() as cleanup:
        if isinstance(master, (str, os.PathLike)):
            source = Path(master)
            if not source.is_file():
                raise StampError(f"Master PDF {description} does not exist.")
        else:
            source = master
            seekable = getattr(master, "seekable", None)
            if not callable(seekable) or not seekable():
                # qpdf needs random access: copy a one-way stream first.
                source = cleanup.enter_context(
                    tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
                )
                shutil.copyfileobj(master, source)
            source.seek(0)
        try:
            # Read-only: pikepdf never writes to its input. No recovery: qpdf would
            # "repair" a truncated file into pages without content, silently.
            pdf = Pdf.open(source, attempt_recovery=False)
        except pikepdf.PasswordError as error:
            raise StampError(
                f"Master PDF {description} is encrypted with a password."
            ) from error
        except (pikepdf.PdfError, ValueError, RuntimeError) as error:
            raise StampError(
                f"Master PDF {description} is not a readable PDF ({error}). Upload the "
                f"master again; `qpdf --check` shows what is wrong with it."
            ) from error
        cleanup.callback(pdf.close)
        yield pdf


# Values some PDF producers write when none was given (reportlab: "untitled", ...).
_PLACEHOLDERS = {"", "untitled", "unspecified", "anonymous", "none", "unknown"}


def _info_text(value) -> str:
    """A document information string, or "" for a missing or placeholder value."""
    if value is None:
        return ""
    try:
        text = one_line(str(value))
    except (pikepdf.PdfError, ValueError, UnicodeDecodeError):
        return ""
    return "" if text.lower() in _PLACEHOLDERS else text


def _document_title(pdf: Pdf) -> str:
    try:
        return _info_text(pdf.docinfo.get(Name.Title))[:300]
    except (pikepdf.PdfError, ValueError):
        return ""



def _label_cover(pdf: Pdf, stamp: LicenceStamp):
    """Keep the master's page numbers after the cover: the cover gets its own label."""
    cover_label = Dictionary(P=String(stamp.wording["page_label"]))
    labels = pdf.Root.get(Name.PageLabels)
    if isinstance(labels, Dictionary):
        try:
            existing = list(NumberTree(labels).items())
        except (pikepdf.PdfError, ValueError, TypeError):
            existing = []
        if existing and existing[0][0] != 0:
            existing.insert(0, (0, Dictionary(S=Name.D)))
    else:
        existing = []
    if not existing:
        existing = [(0, Dictionary(S=Name.D))]
    numbers = Array([0, cover_label])
    for index, label in existing:
        numbers.append(int(index) + 1)
        numbers.append(label)
    pdf.Root.PageLabels = Dictionary(Nums=numbers)


def _append_text(existing, addition: str, separator: str) -> str:
    existing = _info_text(existing)
    return f"{existing}{separator}{addition}" if existing else addition


def _pdf_date(moment: datetime) -> str:
    """A PDF date string (ISO 32000 7.9.4), e.g. D:20260103091500+00'00'."""
    offset = moment.strftime("%z") or "+0000"
    return moment.strftime("D:%Y%m%d%H%M%S") + f"{offset[:3]}'{offset[3:]}'"


def _write_document_facts(pdf: Pdf, stamp: LicenceStamp):
    """Producer, Creator, Author and dates of the copy: it is a new document, made now
    by the shop's stamp, whatever tool and date the master was written with."""
    info = pdf.docinfo
    now = datetime.now().astimezone()
    producer = f"pikepdf {pikepdf.__version__} (qpdf {pikepdf.__libqpdf_version__})"
    creator = f"{stamp.issuer} licence stamp" if stamp.issuer else "Licence stamp"
    # reportlab writes "anonymous" when told nothing (and, in its invariant mode,
    # dates the file 1 January 2000): the publisher is the better author then.
    author = _info_text(info.get(Name.Author)) or stamp.author
    info[Name.Producer] = String(producer)
    info[Name.Creator] = String(creator)
    if author:
        info[Name.Author] = String(author)
    elif Name.Author in info:
        del info[Name.Author]
    info[Name.CreationDate] = String(_pdf_date(now))
    info[Name.ModDate] = String(_pdf_date(now))
    return {"producer": producer, "creator": creator, "author": author, "now": now}


def _write_metadata(pdf: Pdf, stamp: LicenceStamp):
    facts = _write_document_facts(pdf, stamp)
    statement = stamp.rights_statement()
    keywords_added = "; ".join(
        filter(None, [f"Licence {stamp.licence_id}", f"Order {stamp.order_number}",
                      f"Licensee {stamp.licensee}", stamp.company, stamp.site])
    )
    info = pdf.docinfo
    subject = _append_text(info.get(Name.Subject), statement, " — ")
    keywords = _append_text(info.get(Name.Keywords), keywords_added, "; ")
    info[Name.Subject] = String(subject)
    info[Name.Keywords] = String(keywords)
    info[Name("/Licensee")] = String(stamp.licensee)
    if stamp.company:
        info[Name("/LicenseeCompany")] = String(stamp.company)
    if stamp.site:
        info[Name("/LicenceSite")] = String(stamp.site)
    info[Name("/LicenceType")] = String(stamp.licence_type)
    info[Name("/OrderNumber")] = String(stamp.order_number)
    info[Name("/LicenceId")] = String(stamp.licence_id)
    info[Name("/LicenceIssued")] = String(stamp.issued_on.isoformat())
    try:
        with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
            meta["dc:rights"] = statement
            meta["dc:description"] = subject
            meta["pdf:Keywords"] = keywords
            meta["xmpRights:Marked"] = "True"
            meta["xmpRights:UsageTerms"] = statement
            meta["pdf:Producer"] = facts["producer"]
            meta["xmp:CreatorTool"] = facts["creator"]
            meta["xmp:CreateDate"] = facts["now"].isoformat(timespec="seconds")
            meta["xmp:ModifyDate"] = facts["now"].isoformat(timespec="seconds")
            meta["xmp:MetadataDate"] = facts["now"].isoformat(timespec="seconds")
            if facts["author"]:
                meta["dc:creator"] = [facts["author"]]
    except Exception as error:  # the document info above carries the same facts
        logger.warning("licence %s: XMP metadata not updated: %s", stamp.licence_id, error)


def stamp_licence(master: str | Path | BinaryIO, output: BinaryIO, stamp: LicenceStamp, *,
                  cover_page: bool = True, prepared: bool = False) -> StampResult:
    """Write `master` stamped with `stamp` to `output`; the master is never modified.

    `master` is a path or a binary file object (read from its start); `output` a
    writable binary file object, written from its current position and left there
    at the end of the copy. With ``prepared=True`` `master` is a file written by
    prepare_master (its pages already draw the stamp's forms); anything else is an
    error. Raises StampError (nothing written) for an unreadable or password-protected
    master, StampFontMissing when Chinese text must be stamped and no font for it is
    installed.
    """
    if not isinstance(stamp, LicenceStamp):
        raise TypeError(f"stamp must be a LicenceStamp, not {type(stamp).__name__}")
    started = time.perf_counter()
    description = _describe(master)
    with _open_master(master) as pdf:
        plan = _plan(pdf, description, prepared=prepared)
        master_pages = len(pdf.pages)
        title = _document_title(pdf)
        check_fonts(stamp, title if cover_page else "")
        cover_size = plan.first_page_size if cover_page else None
        overlay_pdf = build_overlay(stamp, plan.sizes, cover_size, title)
        # A file on disk is written to directly (and cut back on failure), so a large
        # copy is never held in memory; any other output gets the copy only once it
        # is complete.
        direct = _is_disk_file(output)
        start = output.tell() if direct else 0
        buffer = output if direct else tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
        completed = False
        try:
            with Pdf.open(io.BytesIO(overlay_pdf)) as overlay:
                try:
                    fill_forms(pdf, overlay, plan)
                    if cover_page:
                        pdf.pages.insert(0, overlay.pages[len(plan.sizes)])
                        _label_cover(pdf, stamp)
                    _write_metadata(pdf, stamp)
                    pages = len(pdf.pages)
                    if pages != master_pages + (1 if cover_page else 0):
                        raise StampError(
                            f"Stamping {description} gave {pages} pages for {master_pages}."
                        )
                    _save(pdf, buffer)
                except (pikepdf.PdfError, ValueError, RuntimeError) as error:
                    raise StampError(
                        f"Master PDF {description} could not be stamped: {error}"
                    ) from error
            _refuse_damage(pdf, description)
            if direct:
                bytes_written = output.tell() - start
            else:
                buffer.seek(0)
                bytes_written = _copy(buffer, output)
            completed = True
        finally:
            if not direct:
                buffer.close()
            elif not completed:
                output.seek(start)
                output.truncate()
    logger.info(
        "stamped %s for licence %s: %d pages, %d bytes, %.0f ms",
        description, stamp.licence_id, pages, bytes_written,
        (time.perf_counter() - started) * 1000,
    )
    return StampResult(pages=pages, master_pages=master_pages, bytes_written=bytes_written)


def _plan(pdf: Pdf, description: str, *, prepared: bool) -> PagePlan:
    """The forms to fill: recorded in a prepared master, made now in any other."""
    if prepared:
        plan = read_plan(pdf)
        if plan is None:
            raise StampError(f"{description} is not a master prepared for stamping.")
        return plan
    try:
        pages = len(pdf.pages)
        if pages:
            if PLAN_KEY in pdf.Root:
                del pdf.Root[PLAN_KEY]  # a master never brings its own plan
            return prepare_pages(pdf)
    except (pikepdf.PdfError, ValueError, RuntimeError) as error:
        raise StampError(f"Master PDF {description} has no readable pages: {error}") from error
    raise StampError(f"Master PDF {description} has no pages.")


def _save(pdf: Pdf, output) -> None:
    pdf.save(
        output,
        compress_streams=True,
        object_stream_mode=ObjectStreamMode.generate,
        encryption=bool(pdf.is_encrypted),
    )


def prepare_master(master: str | Path | BinaryIO, output: BinaryIO) -> int:
    """Write to `output` the master with every page already drawing the stamp's forms
    (stamp_pages.prepare_pages), for stamp_licence(..., prepared=True); returns the
    number of pages. The work is the same for every copy of a master, so a host does
    it once per master (storefront/delivery/prepared_masters.py). Raises StampError
    as stamp_licence would for the same master."""
    description = _describe(master)
    with _open_master(master) as pdf:
        record_plan(pdf, _plan(pdf, description, prepared=False))
        try:
            _save(pdf, output)
        except (pikepdf.PdfError, ValueError, RuntimeError) as error:
            raise StampError(f"Master PDF {description} could not be prepared: {error}") from error
        _refuse_damage(pdf, description)
        return len(pdf.pages)


def warm_up() -> None:
    """Stamp a one-page master in memory in every language, so that the process's first
    delivery does not pay for finding and parsing the CJK font (a 16 MB collection),
    reportlab's first subset of it and pikepdf's first use. A worker calls it once
    before its pool forks, so every pool process starts warm (README, "Workers").
    Without a CJK font only Latin stamps are warmed (StampFontMissing is left to the
    Chinese stamp that needs the font)."""
    drawing = io.BytesIO()
    canvas = Canvas(drawing, pagesize=(595.0, 842.0), invariant=1)
    canvas.showPage()
    canvas.save()
    samples = {"en": "Ann Lee", "zh-hans": "李伟", "zh-hant": "李偉"}
    for language, licensee in samples.items():
        stamp = LicenceStamp(licensee=licensee, company="", licence_type="-", order_number="-",
                             licence_id="-", issued_on=date(2026, 1, 1), language=language)
        try:
            stamp_licence(io.BytesIO(drawing.getvalue()), io.BytesIO(), stamp)
        except StampFontMissing as error:
            logger.warning("stamp warm-up: %s", error)


def check_master(master: str | Path | BinaryIO) -> int:
    """Number of pages of a master PDF that stamp_licence can use; StampError if none.

    Reads every object once (as stamping does), so damage that qpdf would only
    report while copying is found too: run it when a master is uploaded, not at
    delivery time.
    """
    description = _describe(master)
    with _open_master(master) as pdf:
        try:
            pages = len(pdf.pages)
            pdf.save(_NullWriter(), compress_streams=False)
        except (pikepdf.PdfError, ValueError, RuntimeError) as error:
            raise StampError(f"Master PDF {description} is damaged: {error}") from error
        _refuse_damage(pdf, description)
        if pages == 0:
            raise StampError(f"Master PDF {description} has no pages.")
        return pages


class _NullWriter(io.RawIOBase):
    def writable(self):
        return True

    def write(self, data):
        return len(data)


def _refuse_damage(pdf: Pdf, description: str):
    """qpdf warns, rather than fails, when it meets damaged objects: they come out
    empty. A copy with missing content must not reach a buyer."""
    warnings = pdf.get_warnings()
    if warnings:
        shown = "; ".join(str(warning) for warning in warnings[:3])
        more = f" (and {len(warnings) - 3} more)" if len(warnings) > 3 else ""
        raise StampError(
            f"Master PDF {description} is damaged: {shown}{more}. Upload the master "
            f"again; `qpdf --check` shows what is wrong with it."
        )


def _is_disk_file(output) -> bool:
    """A real, seekable file (e.g. a TemporaryFile) that can be cut back on failure."""
    try:
        output.fileno()
        return output.seekable() and hasattr(output, "truncate")
    except (AttributeError, OSError, ValueError):
        return False


def _copy(source, output) -> int:
    written = 0
    while chunk := source.read(1024 * 1024):
        output.write(chunk)
        written += len(chunk)
    return written
