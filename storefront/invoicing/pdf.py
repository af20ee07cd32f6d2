"""A Document drawn as an A4 PDF with reportlab.

Latin text uses Helvetica; a document in Chinese, or with any text Helvetica cannot
show (a buyer's name in Chinese on an English invoice), uses the CJK TrueType font of
the licence stamp (storefront.delivery.fonts) throughout, embedded with its ToUnicode
map so the text can be copied and searched.
"""

from io import BytesIO
from xml.sax.saxutils import escape

import reportlab
from django.conf import settings
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from storefront.delivery import fonts
from storefront.invoicing.documents import Document

GREY = colors.HexColor("#555555")
RULE = colors.HexColor("#cccccc")


def _texts(document: Document) -> list[str]:
    texts = [document.title, *document.seller, *document.buyer, *document.notes]
    texts += [text for pair in (*document.facts, *document.totals) for text in pair]
    texts += [text for line in document.lines for text in (line.description, line.detail)]
    texts += [document.payment_heading, *document.payment_lines]
    return texts


def _fonts(document: Document) -> tuple[str, str, bool]:
    """(regular, bold, cjk): the CJK font has no bold face, so it stands for both."""
    if document.language.startswith("zh") or any(map(fonts.needs_cjk_font, _texts(document))):
        name = fonts.cjk_font()
        return name, name, True
    return fonts.LATIN_FONT, fonts.LATIN_BOLD_FONT, False


def _styles(regular: str, bold: str, cjk: bool) -> dict[str, ParagraphStyle]:
    wrap = "CJK" if cjk else None
    base = ParagraphStyle("base", fontName=regular, fontSize=9, leading=12, wordWrap=wrap)
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10, textColor=GREY),
        "bold": ParagraphStyle("bold", parent=base, fontName=bold),
        "title": ParagraphStyle("title", parent=base, fontName=bold, fontSize=18, leading=22),
        "right": ParagraphStyle("right", parent=base, alignment=2),
        "right_bold": ParagraphStyle("right_bold", parent=base, fontName=bold, alignment=2),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text or ""), style)


def _block(rows: list[str], styles) -> list[Paragraph]:
    """A name in bold, then its lines."""
    return [_p(row, styles["bold" if index == 0 else "base"]) for index, row in enumerate(rows)]


# Tables of the layout: top-aligned cells, flush with the margin.
LAYOUT = TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)])


def render(document: Document) -> bytes:
    """The document as PDF bytes. Raises fonts.StampFontMissing for Chinese text on a
    machine without a CJK font (never boxes in place of a buyer's name)."""
    regular, bold, cjk = _fonts(document)
    styles = _styles(regular, bold, cjk)
    buffer = BytesIO()
    page = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=18 * mm,
        bottomMargin=18 * mm, title=document.title,
        author=settings.SELLER_LEGAL_NAME or settings.SHOP_NAME, subject=document.title,
        creator=settings.SHOP_NAME, producer=f"ReportLab {reportlab.Version}",
        invariant=0,  # dated now, never reportlab's fixed 1 January 2000
    )  # fmt: skip
    width = page.width
    story = []

    facts = Table(
        [[_p(label, styles["small"]), _p(value, styles["bold"])] for label, value in document.facts],
        colWidths=[width * 0.22, width * 0.28],
        style=LAYOUT,
    )
    title_and_seller = [
        _p(document.title, styles["title"]), Spacer(1, 4 * mm), *_block(document.seller, styles)
    ]  # fmt: skip
    header = Table([[title_and_seller, facts]], colWidths=[width * 0.5, width * 0.5], style=LAYOUT)
    story += [header, Spacer(1, 8 * mm)]

    story.append(_p(document.buyer_heading, styles["small"]))
    story += _block(document.buyer, styles)
    story.append(Spacer(1, 8 * mm))

    rows = [
        [[_p(line.description, styles["base"]), _p(line.detail, styles["small"])],
         _p(line.amount, styles["right"])]
        for line in document.lines
    ]  # fmt: skip
    totals = [
        [_p(label, styles["right"]), _p(value, styles["right"])] for label, value in document.totals
    ]
    if totals:  # the last total (what is due, paid or credited) in bold
        label, value = document.totals[-1]
        totals[-1] = [_p(label, styles["right_bold"]), _p(value, styles["right_bold"])]
    table = Table(rows + totals, colWidths=[width * 0.72, width * 0.28])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, len(rows) - 1), 0.5, RULE),
                ("LINEABOVE", (0, len(rows) + len(totals) - 1), (-1, -1), 0.8, colors.black),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    story += [table, Spacer(1, 6 * mm)]

    for note in document.notes:
        story += [_p(note, styles["base"]), Spacer(1, 2 * mm)]
    if document.payment_lines:
        story += [Spacer(1, 4 * mm), _p(document.payment_heading, styles["bold"])]
        story += [_p(line, styles["base"]) for line in document.payment_lines]

    page.build(story)
    return buffer.getvalue()

