"""Look inside: a report's sample PDF rendered to stamped page images.

``render_sample_pages(report_id=...)`` is the one writer of ``SamplePage`` rows and
their image files. It renders the first ``SAMPLE_PAGES_RENDERED`` pages of the
report's sample PDF with pypdfium2, stamps each one "Sample" (with "样本" when a CJK
font is at hand) and stores it as WebP in the private storage; then, in one
transaction, replaces the report's pages. Removing the sample removes its pages.
The files of removed rows go once their removal is committed (a signal below), so
no row ever points at a missing file.
"""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pypdfium2
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from PIL import Image, ImageDraw, ImageFont

from reports.models import Report, SamplePage
from reports.product_page import prepare_pages
from reports.services import catalogue_changed_by_this_transaction
from reports.storage import private_storage

logger = logging.getLogger(__name__)

IMAGE_FORMAT = "WEBP"
IMAGE_EXTENSION = "webp"
IMAGE_QUALITY = 80
STAMP_LATIN = "SAMPLE"
STAMP_CHINESE = "样本"

# Fonts Pillow can draw Chinese with (FreeType reads TrueType and CFF collections).
CJK_FONT_FILES = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/System/Library/Fonts/Supplemental/Arial Unicode.ttf",
)


class SampleUnreadable(Exception):
    """The stored sample PDF cannot be opened or rendered (retrying will not help)."""


@dataclass(frozen=True)
class RenderedPage:
    number: int
    data: bytes
    width: int
    height: int

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()[:16]


@lru_cache(maxsize=1)
def _cjk_font_path() -> str | None:
    configured = getattr(settings, "SAMPLE_STAMP_FONT", "")
    for candidate in (configured, *CJK_FONT_FILES):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def stamp_text() -> str:
    """The stamp's wording: English, and Chinese when a font can show it (never boxes)."""
    return f"{STAMP_LATIN} · {STAMP_CHINESE}" if _cjk_font_path() else STAMP_LATIN


def _font(size: int):
    path = _cjk_font_path()
    if path:
        return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


def stamp(image: Image.Image) -> Image.Image:
    """The page with a translucent diagonal "Sample" across it and a band at the top."""
    page = image.convert("RGBA")
    width, height = page.size
    text = stamp_text()
    overlay = Image.new("RGBA", page.size, (0, 0, 0, 0))
    # The band: legible at thumbnail size.
    band_height = max(24, height // 18)
    draw = ImageDraw.Draw(overlay)
    draw.rectangle([(0, 0), (width, band_height)], fill=(178, 34, 34, 220))
    band_font = _font(int(band_height * 0.6))
    left, top, right, bottom = draw.textbbox((0, 0), text, font=band_font)
    draw.text(
        ((width - (right - left)) / 2 - left, (band_height - (bottom - top)) / 2 - top),
        text, font=band_font, fill=(255, 255, 255, 255),
    )
    # The diagonal: across the middle, so a cropped page still shows it.
    diagonal_font = _font(max(24, width // 9))
    left, top, right, bottom = draw.textbbox((0, 0), text, font=diagonal_font)
    label = Image.new("RGBA", (right - left + 20, bottom - top + 20), (0, 0, 0, 0))
    ImageDraw.Draw(label).text(
        (10 - left, 10 - top), text, font=diagonal_font, fill=(178, 34, 34, 90)
    )
    label = label.rotate(35, expand=True)
    overlay.alpha_composite(
        label, ((width - label.width) // 2 if label.width < width else 0,
                (height - label.height) // 2 if label.height < height else 0)
    )
    return Image.alpha_composite(page, overlay).convert("RGB")


def render_pdf_pages(pdf: bytes, *, pages: int, width: int) -> list[RenderedPage]:
    """The first `pages` pages of `pdf`, `width` pixels wide, stamped, as WebP."""
    try:
        document = pypdfium2.PdfDocument(pdf)
    except pypdfium2.PdfiumError as error:
        raise SampleUnreadable(str(error)) from error
    rendered = []
    try:
        for index in range(min(pages, len(document))):
            page = document[index]
            try:
                scale = width / page.get_width()
                bitmap = page.render(scale=scale)
                image = stamp(bitmap.to_pil())
            except pypdfium2.PdfiumError as error:
                raise SampleUnreadable(f"page {index + 1}: {error}") from error
            finally:
                page.close()
            buffer = io.BytesIO()
            image.save(buffer, IMAGE_FORMAT, quality=IMAGE_QUALITY)
            rendered.append(RenderedPage(index + 1, buffer.getvalue(), *image.size))
    finally:
        document.close()
    return rendered


def render_sample_pages(*, report_id: int) -> int:
    """Make the report's sample pages match its sample PDF; returns how many it has.

    Idempotent: run twice, or after the sample changed again, it leaves the pages of
    the sample the report has when its transaction commits. Renders outside any
    transaction; a sample replaced meanwhile leaves the newer run to write.
    Raises SampleUnreadable for a sample PDFium cannot read (its pages are removed).
    """
    report = Report.objects.filter(pk=report_id).only("pk", "product_code", "sample_pdf").first()
    if report is None:
        return 0
    sample_name = report.sample_pdf.name or ""
    rendered: list[RenderedPage] = []
    error = None
    if sample_name:
        with private_storage().open(sample_name, "rb") as sample:
            data = sample.read()
        try:
            rendered = render_pdf_pages(
                data, pages=settings.SAMPLE_PAGES_RENDERED, width=settings.SAMPLE_PAGE_WIDTH
            )
        except SampleUnreadable as unreadable:
            error = unreadable
    stored = _store_images(report, rendered)
    try:
        with transaction.atomic():
            current = (
                Report.objects.select_for_update().filter(pk=report_id)
                .values_list("sample_pdf", flat=True).first()
            )
            if current is None or (current or "") != sample_name:
                raise _SampleChanged
            # Each removed row's file goes after commit (remove_image_after_delete).
            SamplePage.objects.filter(report_id=report_id).delete()
            SamplePage.objects.bulk_create(
                SamplePage(
                    report_id=report_id, number=page.number, image=name,
                    width=page.width, height=page.height, digest=page.digest,
                )
                for page, name in zip(rendered, stored)
            )
            prepare_pages(report_id=report_id)  # "look inside" is on the product page
            catalogue_changed_by_this_transaction()
    except BaseException as failure:
        for name in stored:  # no file without its row
            private_storage().delete(name)
        if isinstance(failure, _SampleChanged):
            logger.info("sample of report %s changed while rendering; left to the next run",
                        report_id)
            return SamplePage.objects.filter(report_id=report_id).count()
        raise
    if error is not None:
        raise error
    return len(rendered)


class _SampleChanged(Exception):
    pass


def _store_images(report: Report, rendered: list[RenderedPage]) -> list[str]:
    names = []
    try:
        for page in rendered:
            name = (
                f"sample-pages/{report.product_code}/"
                f"{page.number:03d}-{page.digest}.{IMAGE_EXTENSION}"
            )
            names.append(private_storage().save(name, ContentFile(page.data)))
    except BaseException:
        for name in names:
            private_storage().delete(name)
        raise
    return names


def remove_image_after_delete(sender, instance, **kwargs):
    """A removed page's file goes once the removal is committed (and never before)."""
    name = instance.image
    if name:
        transaction.on_commit(lambda: private_storage().delete(name))
