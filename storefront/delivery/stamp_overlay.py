"""The licence stamp's overlay, drawn with reportlab: a footer page per page size and
the optional licence page (storefront/delivery/stamping.py lays it over the master).
"""

from __future__ import annotations

import functools
import io
import logging
import re
import threading

from reportlab import rl_config
from reportlab.lib.colors import HexColor
from reportlab.pdfbase.pdfmetrics import getFont, stringWidth
from reportlab.pdfgen.canvas import Canvas

from storefront.delivery.fonts import (
    LATIN_BOLD_FONT,
    LATIN_FONT,
    font_for,
    missing_glyphs,
    needs_cjk_font,
)
from storefront.delivery.licence_stamp import SEPARATOR, LicenceStamp

logger = logging.getLogger("storefront.delivery.stamping")

# Footer: small, grey, centred in the bottom margin of the visible page.
FOOTER_SIZES = (6.5, 6.0, 5.5, 5.0)  # tried in turn to keep the footer on one line
FOOTER_CENTRE = 20.0  # pt above the bottom edge of the visible page (clear of printer margins)
FOOTER_SIDE_MARGIN = 28.0
FOOTER_GREY = 0.42

BRAND = HexColor("#1f3a5f")
ACCENT = HexColor("#d9822b")
MUTED = HexColor("#5f6b76")

# reportlab's TrueType font object keeps per-file read state while it subsets the
# font on save, so documents using it are built one at a time.
_reportlab_lock = threading.RLock()

_CJK_CHAR = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")


def _width(text: str, font: str, size: float) -> float:
    return stringWidth(text, font, size)


def _tokens(text: str) -> list[str]:
    """Break opportunities: after spaces, and around every CJK character."""
    tokens, current = [], ""
    for char in text:
        if _CJK_CHAR.match(char):
            if current:
                tokens.append(current)
            tokens.append(char)
            current = ""
        else:
            if current and current[-1].isspace() and not char.isspace():
                tokens.append(current)
                current = ""
            current += char
    if current:
        tokens.append(current)
    return tokens


def _wrap(text: str, font: str, size: float, width: float) -> tuple[str, ...]:
    """Greedy line breaking; widths add up (reportlab applies no kerning).

    Kept per text, font, size and width: the licence page's terms, headings and the
    report's title are the same for every copy of a report in a language, so a copy
    measures only its own facts (cProfile of a Chinese overlay: 12.4 → 9.3 ms with
    the C accelerators and this). The registered font object is part of the key, so
    a font registered anew under the same name is measured anew.
    """
    return _wrap_measured(text, font, getFont(font), size, width)


@functools.lru_cache(maxsize=512)
def _wrap_measured(text: str, font: str, _font_object, size: float, width: float) -> tuple[str, ...]:
    lines, current, current_width = [], "", 0.0
    for token in _tokens(text):
        if current and current_width + _width(token.rstrip(), font, size) > width:
            lines.append(current.rstrip())
            current, current_width = "", 0.0
            token = token.lstrip()
        current += token
        current_width += _width(token, font, size)
        if current_width > width and _width(current.rstrip(), font, size) > width:
            # A single token wider than the line: split it by characters.
            pieces, piece, piece_width = [], "", 0.0
            for char in current.rstrip():
                char_width = _width(char, font, size)
                if piece and piece_width + char_width > width:
                    pieces.append(piece)
                    piece, piece_width = "", 0.0
                piece += char
                piece_width += char_width
            lines.extend(pieces)
            current, current_width = piece, piece_width
    if current.strip() or not lines:
        lines.append(current.rstrip())
    return tuple(lines)


def _footer_lines(segments: list[str], width: float) -> tuple[list[tuple[str, str]], float]:
    """[(line, font)], font size: one line if it fits at a readable size, else several."""
    text = SEPARATOR.join(segments)
    font = font_for(text)
    for size in FOOTER_SIZES:
        if _width(text, font, size) <= width:
            return [(text, font)], size
    size = FOOTER_SIZES[1]
    lines, current = [], ""
    for segment in segments:
        candidate = f"{current}{SEPARATOR}{segment}" if current else segment
        if current and _width(candidate, font_for(candidate), size) > width:
            lines.append(current)
            current = segment
        else:
            current = candidate
    lines.append(current)
    wrapped = []
    for line in lines:
        line_font = font_for(line)
        wrapped.extend((part, line_font) for part in _wrap(line, line_font, size, width))
    return wrapped, size


def _draw_footer(canvas: Canvas, stamp: LicenceStamp, width: float):
    available = max(width - 2 * FOOTER_SIDE_MARGIN, width * 0.8)
    lines, size = _footer_lines(stamp.footer_segments(), available)
    leading = size * 1.3
    top = FOOTER_CENTRE + (len(lines) - 1) * leading / 2 - size * 0.35
    canvas.saveState()
    canvas.setFillGray(FOOTER_GREY)
    for index, (line, font) in enumerate(lines):
        canvas.setFont(font, size)
        canvas.drawCentredString(width / 2, top - index * leading, line)
    canvas.restoreState()


def _cover_layout(stamp: LicenceStamp, title: str, width: float):
    """Draw operations of the licence page, top down: (y offset, callable(canvas, y))."""
    wording = stamp.wording
    ops = []
    y = 0.0

    def text_op(text, x, size, font, colour):
        def draw(canvas, top):
            canvas.setFillColor(colour)
            canvas.setFont(font, size)
            canvas.drawString(x, top, text)

        return draw

    def block(text, x, size, leading, colour, *, bold=False, max_width):
        nonlocal y
        font = font_for(text)
        if bold and font == LATIN_FONT:
            font = LATIN_BOLD_FONT
        for line in _wrap(text, font, size, max_width):
            y += leading
            ops.append((y, text_op(line, x, size, font, colour)))

    heading = wording["heading"]
    block(heading, 0, 22, 26, BRAND, bold=True, max_width=width)
    y += 10
    rule_y = y

    def rule(canvas, top):
        canvas.setStrokeColor(ACCENT)
        canvas.setLineWidth(1.6)
        canvas.line(0, top, 96, top)

    ops.append((rule_y, rule))
    y += 10
    if title:
        block(wording["report"], 0, 9, 14, MUTED, max_width=width)
        block(title, 0, 13, 17, BRAND, bold=True, max_width=width)
        y += 12

    label_width = 110 if stamp.language == "en" else 80
    facts = [
        (wording["licensee"], stamp.licensee),
        (wording["company"], stamp.company),
        (wording["site"], stamp.site),
        (wording["licence_type"], stamp.licence_type),
        (wording["order_number"], stamp.order_number),
        (wording["licence_id"], stamp.licence_id),
        (wording["issued_on"], stamp.issued_on_display()),
    ]
    facts = [(label, value) for label, value in facts if value]
    # One font for every value, so that they look alike: bold Helvetica unless a
    # value needs the CJK font (which has no bold face).
    value_font = font_for("".join(value for _, value in facts))
    if value_font == LATIN_FONT:
        value_font = LATIN_BOLD_FONT
    for label, value in facts:
        label_font = font_for(label)
        lines = _wrap(value, value_font, 11, width - label_width)
        y += 18
        ops.append((y, text_op(label, 0, 9.5, label_font, MUTED)))
        for index, line in enumerate(lines):
            if index:
                y += 14
            ops.append((y, text_op(line, label_width, 11, value_font, BRAND)))
    y += 20
    block(wording["terms_heading"], 0, 12, 18, BRAND, bold=True, max_width=width)
    y += 2
    for paragraph in stamp.terms():
        block(paragraph, 0, 9.5, 14, HexColor("#222222"), max_width=width)
        y += 6
    return ops, y


def _draw_cover(canvas: Canvas, stamp: LicenceStamp, title: str, size: tuple[float, float]):
    width, height = size
    margin = min(64.0, width * 0.1)
    content_width = min(width - 2 * margin, 480.0)
    ops, content_height = _cover_layout(stamp, title, content_width)
    top_margin = min(90.0, height * 0.1)
    available = height - top_margin - 60.0  # keep clear of the footer
    scale = min(1.0, available / content_height) if content_height > 0 else 1.0
    canvas.saveState()
    canvas.translate(margin, height - top_margin)
    canvas.scale(scale, scale)
    for offset, draw in ops:
        draw(canvas, -offset)
    canvas.restoreState()
    _draw_footer(canvas, stamp, width)


def build_overlay(stamp: LicenceStamp, sizes: list[tuple[float, float]],
                   cover: tuple[float, float] | None, title: str) -> bytes:
    """A PDF with one footer page per size, then the cover page if asked for."""
    buffer = io.BytesIO()
    with _reportlab_lock:
        # Deflate only, without reportlab's default ASCII85 layer: 25 % fewer bytes for
        # qpdf to decode and deflate again, and no ASCII85 encoding (a tenth of a
        # delivery's CPU). rl_config is global: the previous value is put back.
        previous_a85 = rl_config.useA85
        rl_config.useA85 = 0
        try:
            canvas = Canvas(buffer, pagesize=sizes[0], invariant=1, pageCompression=1)
            canvas.setProducer("storefront licence stamp")
            for size in sizes:
                canvas.setPageSize(size)
                _draw_footer(canvas, stamp, size[0])
                canvas.showPage()
            if cover is not None:
                canvas.setPageSize(cover)
                _draw_cover(canvas, stamp, title, cover)
                canvas.showPage()
            canvas.save()
        finally:
            rl_config.useA85 = previous_a85
    return buffer.getvalue()


def check_fonts(stamp: LicenceStamp, title: str):
    """Fail early if Chinese text is stamped without a font for it; warn about boxes."""
    texts = [*stamp.texts(), title]
    needing = [text for text in texts if text and needs_cjk_font(text)]
    if not needing:
        return
    lacking = missing_glyphs("".join(needing))  # raises StampFontMissing without a font
    if lacking:
        logger.warning(
            "licence %s: the stamp font has no glyph for %r; those characters show as "
            "boxes (the metadata keeps them)", stamp.licence_id, lacking
        )
