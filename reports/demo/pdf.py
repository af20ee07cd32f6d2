"""Generated master and sample PDFs for demo reports.

A master PDF has exactly `spec.pages` pages: a cover, a notice page, the table of
contents (with page numbers), then one chapter per top-level TOC entry, its
headings taken from the TOC, body text, and a few tables and bar charts built from
the key statistics and segmentation. The sample is eight pages.

Output is deterministic (reportlab's invariant mode, seeded text), so the same spec
always gives the same bytes and `fingerprint()` can name the file: a file that
exists under that name need not be generated again.

Drawing is done on the canvas directly rather than with platypus flowables: it is
several times faster, and the page count is fixed by construction.
"""

import hashlib
import io
import json
import math
import random
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from decimal import Decimal
from functools import lru_cache

from reportlab import rl_config
from reportlab.graphics import renderPDF
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

# Bump when the layout changes, so existing files are regenerated.
LAYOUT_VERSION = 3
SAMPLE_PAGES = 8

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_LEFT = 62
MARGIN_RIGHT = 62
TEXT_WIDTH = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT
TOP = PAGE_HEIGHT - 72
BOTTOM = 70

BODY_FONT = "Times-Roman"
BODY_SIZE = 10.5
BODY_LEADING = 14.2
HEADING_FONT = "Helvetica-Bold"
HEADING_SIZES = {1: 17, 2: 12.5, 3: 11, 4: 10.5}
SANS = "Helvetica"
BRAND = colors.HexColor("#1f3a5f")
ACCENT = colors.HexColor("#d9822b")
RULE = colors.HexColor("#b8c2cc")
TOC_LEADING = 15
TOC_LINES_PER_PAGE = int((TOP - 40 - BOTTOM) // TOC_LEADING)
CHART_HEIGHT = 210
MIN_PARAGRAPH_LINES = 3


@dataclass(frozen=True)
class PdfSpec:
    """Everything a generated PDF depends on (and nothing else: see fingerprint)."""

    product_code: str
    title: str
    market_name: str
    publisher: str
    published_on: str
    pages: int
    base_year: int
    forecast_start_year: int
    forecast_end_year: int
    currency: str
    base_amount: str
    estimated_amount: str
    forecast_amount: str
    cagr: str
    summary: tuple[str, ...]
    toc: tuple[tuple[int, str], ...]
    # (dimension name, its top-level segment names), for tables and charts.
    dimensions: tuple[tuple[str, tuple[str, ...]], ...]


def fingerprint(spec: PdfSpec, kind: str) -> str:
    """A short hash of the spec and layout version: the file name's content key."""
    payload = json.dumps(
        {"kind": kind, "layout": LAYOUT_VERSION, "spec": asdict(spec)},
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


# --- Text -------------------------------------------------------------------

SENTENCES = [
    "This section examines {topic} within the {market} market and sets out how the "
    "segment is defined, measured and benchmarked across the forecast period.",
    "Revenue estimates for {topic} were built bottom-up from supplier shipments and "
    "cross-checked top-down against spending by end users in each region.",
    "Between {base} and {end}, {topic} is expected to follow the broader market while "
    "showing greater sensitivity to procurement cycles and budget approvals.",
    "Interviews with buyers indicate that total cost of ownership, integration effort "
    "and the quality of after-sales support weigh more heavily than list price.",
    "Vendors competing in {topic} are consolidating their portfolios, favouring "
    "platforms that bundle content, analytics and services under one contract.",
    "Regulatory guidance issued in the past two years has clarified reporting "
    "obligations and, in several jurisdictions, shortened approval timelines.",
    "The analysis distinguishes recurring revenue from one-off project revenue, since "
    "the two respond differently to macroeconomic pressure.",
    "Adoption in mature markets is driven by replacement and upgrade demand, whereas "
    "emerging markets add first-time buyers at a faster rate.",
    "Pricing pressure is most visible in entry-level offerings; premium tiers have "
    "held their price points by adding measurable outcomes and service guarantees.",
    "Across the forecast period the {market} market as a whole grows at a compound "
    "annual rate of {cagr}%, with the fastest gains expected in the later years.",
    "Supply-side capacity is adequate for the base case, although the tariff "
    "scenarios in this report show temporary constraints for imported components.",
    "Partnerships between established suppliers and specialist start-ups account for "
    "a growing share of new launches in {topic}.",
    "Survey respondents expect budgets for {topic} to rise over the next three years, "
    "with the strongest intentions reported by large organisations.",
    "The {market} market remains moderately fragmented; the five leading suppliers "
    "together hold well under half of global revenue in {base}.",
    "Digital channels continue to gain share in {topic}, shortening sales cycles and "
    "lowering the cost of reaching smaller customers.",
    "Forecasts are stated in constant {base} {currency} and exclude value-added taxes, "
    "customs duties and distributor margins unless noted otherwise.",
    "Scenario analysis shows that a one-point change in the growth of {topic} shifts "
    "the {end} market size by roughly six per cent.",
    "Buyers increasingly ask suppliers to demonstrate results with data, and contracts "
    "now commonly include service-level and outcome clauses.",
    "Local production and regional hosting have become selection criteria, reflecting "
    "concern about supply continuity and data residency.",
    "Sustainability commitments influence purchasing in {topic}, in particular for "
    "public-sector buyers and listed companies reporting under ESG frameworks.",
    "The competitive assessment scores each supplier on product breadth, geographic "
    "reach, customer base, financial strength and pace of innovation.",
]


def _body_paragraph(rng: random.Random, topic: str, spec: PdfSpec) -> str:
    values = {
        "topic": topic,
        "market": spec.market_name,
        "base": spec.base_year,
        "end": spec.forecast_end_year,
        "currency": spec.currency,
        "cagr": spec.cagr,
    }
    chosen = rng.sample(SENTENCES, k=rng.randint(4, 6))
    return " ".join(sentence.format(**values) for sentence in chosen)


@lru_cache(maxsize=4096)
def _wrap(text: str, font: str, size: float, width: float) -> tuple[str, ...]:
    return tuple(simpleSplit(text, font, size, width))


# --- Figures ------------------------------------------------------------------


def market_series(spec: PdfSpec) -> list[tuple[int, float]]:
    """Market size per year, in millions, through the three stated figures.

    Base and estimated year are as stated; the years after follow the geometric path
    from the estimated to the forecast-year figure.
    """
    base = float(Decimal(spec.base_amount)) / 1e6
    estimated = float(Decimal(spec.estimated_amount)) / 1e6
    forecast = float(Decimal(spec.forecast_amount)) / 1e6
    span = max(1, spec.forecast_end_year - spec.forecast_start_year)
    series = [(spec.base_year, base)] if spec.base_year < spec.forecast_start_year else []
    for year in range(spec.forecast_start_year, spec.forecast_end_year + 1):
        step = (year - spec.forecast_start_year) / span
        series.append((year, estimated * (forecast / estimated) ** step))
    return series


def _segment_rows(spec: PdfSpec, names: tuple[str, ...], years: list[int]):
    """Per segment: its values for `years` and its CAGR; columns add up to the market.

    Shares and growth rates are seeded from the report and segment names, so the same
    report always shows the same split.
    """
    rng = random.Random(f"{spec.product_code}:{'|'.join(names)}")
    shares = [rng.uniform(0.6, 2.4) for _ in names]
    growth = [rng.uniform(-0.035, 0.035) for _ in names]
    market = dict(market_series(spec))
    columns = []
    for year in years:
        raw = [share * (1 + rate) ** (year - years[0]) for share, rate in zip(shares, growth)]
        total = sum(raw)
        columns.append([market[year] * value / total for value in raw])
    rows = []
    for index, name in enumerate(names):
        values = [column[index] for column in columns]
        rows.append((name, values, _cagr(values[0], values[-1], years[-1] - years[0])))
    return rows


def _cagr(start: float, end: float, years: int) -> float:
    return ((end / start) ** (1 / years) - 1) * 100 if start > 0 and years > 0 else 0.0


def _millions(value: float) -> str:
    return f"{value:,.1f}"


# --- Drawing ------------------------------------------------------------------


class _PageWriter:
    """Draws onto one canvas, one page at a time; keeps the running page number."""

    def __init__(self, canvas: Canvas, spec: PdfSpec):
        self.canvas = canvas
        self.spec = spec
        self.page_number = 1
        self.figure_number = 0
        self.table_number = 0

    def finish_page(self, *, decorated: bool = True):
        if decorated:
            self._header_footer()
        self.canvas.showPage()
        self.page_number += 1

    def _header_footer(self):
        canvas = self.canvas
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.6)
        canvas.line(MARGIN_LEFT, PAGE_HEIGHT - 50, PAGE_WIDTH - MARGIN_RIGHT, PAGE_HEIGHT - 50)
        canvas.line(MARGIN_LEFT, 48, PAGE_WIDTH - MARGIN_RIGHT, 48)
        canvas.setFillColor(colors.grey)
        canvas.setFont(SANS, 7.5)
        header = _wrap(self.spec.title, SANS, 7.5, TEXT_WIDTH - 60)[0]
        canvas.drawString(MARGIN_LEFT, PAGE_HEIGHT - 44, header)
        canvas.drawRightString(
            PAGE_WIDTH - MARGIN_RIGHT, PAGE_HEIGHT - 44, self.spec.product_code
        )
        canvas.drawString(
            MARGIN_LEFT, 36, f"\u00a9 {self.spec.published_on[:4]} {self.spec.publisher}"
        )
        canvas.drawRightString(PAGE_WIDTH - MARGIN_RIGHT, 36, str(self.page_number))
        canvas.setFillColor(colors.black)

    def lines(self, lines, y: float, *, font=BODY_FONT, size=BODY_SIZE, leading=BODY_LEADING,
              x: float = MARGIN_LEFT) -> float:
        text = self.canvas.beginText(x, y)
        text.setFont(font, size, leading)
        for line in lines:
            text.textLine(line)
        self.canvas.drawText(text)
        return y - leading * len(lines)

    def paragraph(self, text: str, y: float, *, min_y: float = BOTTOM) -> float:
        """Draw as much of the paragraph as fits above min_y; returns the new y."""
        lines = _wrap(text, BODY_FONT, BODY_SIZE, TEXT_WIDTH)
        room = int((y - min_y) // BODY_LEADING)
        if room < min(MIN_PARAGRAPH_LINES, len(lines)):
            return y
        y = self.lines(lines[:room], y)
        return y - BODY_LEADING * 0.55

    def heading(self, text: str, depth: int, y: float, number: str = "") -> float:
        size = HEADING_SIZES.get(depth, BODY_SIZE)
        label = f"{number} {text}".strip()
        lines = _wrap(label, HEADING_FONT, size, TEXT_WIDTH)
        self.canvas.setFillColor(BRAND if depth <= 2 else colors.black)
        y -= size * (0.6 if depth == 1 else 0.35)
        y = self.lines(lines, y, font=HEADING_FONT, size=size, leading=size * 1.3)
        self.canvas.setFillColor(colors.black)
        if depth == 1:
            self.canvas.setStrokeColor(ACCENT)
            self.canvas.setLineWidth(1.4)
            self.canvas.line(MARGIN_LEFT, y + size * 0.45, MARGIN_LEFT + 90, y + size * 0.45)
        return y - size * 0.5

    def caption(self, text: str, y: float) -> float:
        self.canvas.setFillColor(BRAND)
        y = self.lines(_wrap(text, SANS + "-Oblique", 8.5, TEXT_WIDTH), y,
                       font=SANS + "-Oblique", size=8.5, leading=11)
        self.canvas.setFillColor(colors.black)
        return y - 4

    def table(self, caption: str, header: list[str], rows: list[list[str]], y: float) -> float:
        self.table_number += 1
        y = self.caption(f"Table {self.table_number}. {caption}", y)
        first_width = TEXT_WIDTH * 0.34
        other_width = (TEXT_WIDTH - first_width) / max(1, len(header) - 1)
        row_height = 14
        canvas = self.canvas
        canvas.setFillColor(BRAND)
        canvas.rect(MARGIN_LEFT, y - row_height + 10, TEXT_WIDTH, row_height, stroke=0, fill=1)
        canvas.setFillColor(colors.white)
        canvas.setFont(HEADING_FONT, 7.8)
        self._table_row(header, y, first_width, other_width)
        canvas.setFillColor(colors.black)
        canvas.setFont(SANS, 7.8)
        for index, row in enumerate(rows):
            y -= row_height
            if index % 2:
                canvas.setFillColor(colors.HexColor("#eef2f6"))
                canvas.rect(MARGIN_LEFT, y - row_height + 10, TEXT_WIDTH, row_height, stroke=0,
                            fill=1)
                canvas.setFillColor(colors.black)
            self._table_row(row, y, first_width, other_width)
        canvas.setStrokeColor(RULE)
        canvas.line(MARGIN_LEFT, y - 5, MARGIN_LEFT + TEXT_WIDTH, y - 5)
        return y - row_height - 8

    def _table_row(self, cells: list[str], y: float, first_width: float, other_width: float):
        label = _wrap(cells[0], SANS, 7.8, first_width - 6)[0]
        self.canvas.drawString(MARGIN_LEFT + 4, y, label)
        for column, cell in enumerate(cells[1:]):
            right = MARGIN_LEFT + first_width + other_width * (column + 1) - 4
            self.canvas.drawRightString(right, y, cell)

    def bar_chart(self, caption: str, labels: list[str], series: list[list[float]],
                  legend: list[str], y: float) -> float:
        self.figure_number += 1
        y = self.caption(f"Figure {self.figure_number}. {caption}", y)
        drawing = Drawing(TEXT_WIDTH, CHART_HEIGHT)
        chart = VerticalBarChart()
        chart.x, chart.y = 46, 34
        chart.width, chart.height = TEXT_WIDTH - 60, CHART_HEIGHT - 56
        chart.data = series
        chart.categoryAxis.categoryNames = [label[:18] for label in labels]
        chart.categoryAxis.labels.fontName = SANS
        chart.categoryAxis.labels.fontSize = 6.5
        chart.categoryAxis.labels.angle = 25 if len(labels) > 6 else 0
        chart.categoryAxis.labels.boxAnchor = "ne" if len(labels) > 6 else "n"
        chart.valueAxis.labels.fontName = SANS
        chart.valueAxis.labels.fontSize = 6.5
        chart.valueAxis.valueMin = 0
        chart.barSpacing = 1
        chart.groupSpacing = 6
        palette = [BRAND, ACCENT, colors.HexColor("#6b8fb5")]
        for index in range(len(series)):
            chart.bars[index].fillColor = palette[index % len(palette)]
            chart.bars[index].strokeColor = None
        drawing.add(chart)
        for index, name in enumerate(legend):
            x, colour = 50 + index * 120, palette[index % len(palette)]
            drawing.add(Rect(x, CHART_HEIGHT - 13, 7, 7, fillColor=colour, strokeColor=None))
            drawing.add(String(x + 10, CHART_HEIGHT - 12, name, fontName=SANS, fontSize=7,
                               fillColor=colour))
        renderPDF.draw(drawing, self.canvas, MARGIN_LEFT, y - CHART_HEIGHT)
        return y - CHART_HEIGHT - 10


def _cover(writer: _PageWriter, *, label: str):
    spec, canvas = writer.spec, writer.canvas
    canvas.setFillColor(BRAND)
    canvas.rect(0, PAGE_HEIGHT - 330, PAGE_WIDTH, 330, stroke=0, fill=1)
    canvas.setFillColor(ACCENT)
    canvas.rect(0, PAGE_HEIGHT - 336, PAGE_WIDTH, 6, stroke=0, fill=1)
    canvas.setFillColor(colors.white)
    canvas.setFont(SANS, 10)
    canvas.drawString(MARGIN_LEFT, PAGE_HEIGHT - 70, spec.publisher.upper())
    canvas.drawRightString(PAGE_WIDTH - MARGIN_RIGHT, PAGE_HEIGHT - 70, label)
    lines = _wrap(spec.title, HEADING_FONT, 22, TEXT_WIDTH)
    writer.lines(lines, PAGE_HEIGHT - 130, font=HEADING_FONT, size=22, leading=28)
    canvas.setFillColor(colors.black)
    facts = [
        ("Product code", spec.product_code),
        ("Published", spec.published_on),
        ("Pages", str(spec.pages)),
        ("Base year", str(spec.base_year)),
        ("Forecast period", f"{spec.forecast_start_year}-{spec.forecast_end_year}"),
        ("Currency", spec.currency),
    ]
    y = PAGE_HEIGHT - 390
    for name, value in facts:
        canvas.setFont(SANS, 10)
        canvas.setFillColor(colors.grey)
        canvas.drawString(MARGIN_LEFT, y, name)
        canvas.setFillColor(colors.black)
        canvas.setFont(HEADING_FONT, 10)
        canvas.drawString(MARGIN_LEFT + 120, y, value)
        y -= 20
    writer.finish_page(decorated=False)


def _notice(writer: _PageWriter):
    spec = writer.spec
    y = writer.heading("Copyright and licence", 1, TOP)
    paragraphs = [
        f"\u00a9 {spec.published_on[:4]} {spec.publisher}. All rights reserved. This report is "
        "licensed, not sold. Each copy is stamped with the licensee, the licence type and "
        "the order number; the licence purchased determines who may read, print and share it.",
        "No part of this report may be reproduced, stored in a retrieval system or "
        "transmitted in any form without the publisher's prior written permission, except "
        "as the licence allows.",
        "The information in this report was obtained from sources believed to be reliable. "
        "The publisher gives no warranty as to its accuracy or completeness and accepts no "
        "liability for decisions made on the basis of it.",
    ]
    for text in paragraphs:
        y = writer.paragraph(text, y)
    writer.finish_page()


def _plan_chapters(spec: PdfSpec, content_pages: int) -> list[tuple[int, list[int]]]:
    """Split content pages among top-level TOC entries, in proportion to their size.

    Returns, per chapter, its page count and the TOC indexes it covers.
    """
    chapters: list[list[int]] = []
    for index, (depth, _title) in enumerate(spec.toc):
        if depth == 1 or not chapters:
            chapters.append([])
        chapters[-1].append(index)
    if content_pages < len(chapters):
        raise ValueError(
            f"{spec.product_code}: {spec.pages} pages cannot hold {len(chapters)} chapters"
        )
    spare = content_pages - len(chapters)
    total = sum(len(chapter) for chapter in chapters)
    exact = [spare * len(chapter) / total for chapter in chapters]
    counts = [1 + math.floor(share) for share in exact]
    # Largest remainder: hand out what rounding down left over.
    leftover = content_pages - sum(counts)
    by_remainder = sorted(range(len(chapters)), key=lambda i: exact[i] - math.floor(exact[i]),
                          reverse=True)
    for index in by_remainder[:leftover]:
        counts[index] += 1
    return list(zip(counts, chapters))


def _numbering(toc) -> list[str]:
    counters = [0, 0, 0, 0]
    numbers = []
    for depth, _title in toc:
        depth = max(1, min(depth, 4))
        counters[depth - 1] += 1
        for deeper in range(depth, 4):
            counters[deeper] = 0
        numbers.append(".".join(str(counter) for counter in counters[:depth]))
    return numbers


def _toc_pages(writer: _PageWriter, spec: PdfSpec, numbers, page_of_entry, *, limit=None):
    entries = list(enumerate(spec.toc))[:limit]
    per_page = TOC_LINES_PER_PAGE
    pages = [entries[i : i + per_page] for i in range(0, len(entries), per_page)]
    for page_index, page_entries in enumerate(pages):
        y = TOP
        if page_index == 0:
            y = writer.heading("Table of Contents", 1, y)
        canvas = writer.canvas
        for index, (depth, title) in page_entries:
            indent = (depth - 1) * 16
            font = HEADING_FONT if depth == 1 else SANS
            size = 9.5 if depth == 1 else 8.8
            label = _wrap(f"{numbers[index]}. {title}", font, size, TEXT_WIDTH - indent - 50)[0]
            canvas.setFont(font, size)
            canvas.drawString(MARGIN_LEFT + indent, y, label)
            if page_of_entry:
                canvas.drawRightString(PAGE_WIDTH - MARGIN_RIGHT, y, str(page_of_entry[index]))
            y -= TOC_LEADING
        writer.finish_page()


def _dimension_for(spec: PdfSpec, title: str):
    for name, segments in spec.dimensions:
        if title.lower().endswith(f"by {name}".lower()) and segments:
            return name, segments
    return None


def _figure_blocks(writer: _PageWriter, spec: PdfSpec, title: str):
    """Tables and charts a chapter carries, as callables drawing at y."""
    years = [spec.base_year, spec.forecast_start_year,
             spec.forecast_start_year + 2, spec.forecast_start_year + 4, spec.forecast_end_year]
    years = sorted(set(year for year in years if year <= spec.forecast_end_year))
    unit = f"{spec.currency} million"
    if title.lower().startswith("executive summary"):
        series = market_series(spec)

        def chart(y):
            return writer.bar_chart(
                f"{spec.market_name} market size, {series[0][0]}-{series[-1][0]} ({unit})",
                [str(year) for year, _ in series], [[value for _, value in series]],
                ["Market size"], y)

        return [chart]
    dimension = _dimension_for(spec, title)
    if not dimension:
        return []
    name, segments = dimension
    rows = _segment_rows(spec, segments, years)

    def table(y):
        body = [[segment, *(_millions(v) for v in values), f"{growth:.2f}%"]
                for segment, values, growth in rows]
        totals = [sum(values[i] for _, values, _ in rows) for i in range(len(years))]
        total_cagr = _cagr(totals[0], totals[-1], years[-1] - years[0])
        body.append(["Total", *(_millions(v) for v in totals), f"{total_cagr:.2f}%"])
        return writer.table(f"{spec.market_name} market size, by {name}, {years[0]}-{years[-1]} "
                            f"({unit})", ["Segment", *map(str, years), "CAGR"], body, y)

    def chart(y):
        return writer.bar_chart(
            f"{spec.market_name} market, by {name}: {years[0]} vs {years[-1]} ({unit})",
            [segment for segment, _, _ in rows],
            [[values[0] for _, values, _ in rows], [values[-1] for _, values, _ in rows]],
            [str(years[0]), str(years[-1])], y)

    return [table, chart]


def _paragraph_pool(spec: PdfSpec) -> list[str]:
    rng = random.Random(f"{spec.product_code}:pool")
    pool = list(spec.summary)
    pool += [_body_paragraph(rng, f"the {spec.market_name} market", spec)
             for _ in range(24)]
    rng.shuffle(pool)
    return pool


def build_master_pdf(spec: PdfSpec) -> bytes:
    """The full report: exactly spec.pages pages."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1, pageCompression=1)
    canvas.setTitle(spec.title)
    canvas.setAuthor(spec.publisher)
    canvas.setSubject(f"Product {spec.product_code}")
    writer = _PageWriter(canvas, spec)

    numbers = _numbering(spec.toc)
    toc_page_count = math.ceil(len(spec.toc) / TOC_LINES_PER_PAGE)
    first_content_page = 3 + toc_page_count
    chapters = _plan_chapters(spec, spec.pages - first_content_page + 1)

    # Which page each TOC entry starts on (needed before the TOC is drawn).
    page_of_entry: dict[int, int] = {}
    starts: dict[int, list[int]] = {}
    page = first_content_page
    for page_count, indexes in chapters:
        for position, index in enumerate(indexes):
            entry_page = page + position * page_count // len(indexes)
            page_of_entry[index] = entry_page
            starts.setdefault(entry_page, []).append(index)
        page += page_count

    _cover(writer, label="MARKET RESEARCH REPORT")
    _notice(writer)
    _toc_pages(writer, spec, numbers, page_of_entry)

    pool = _paragraph_pool(spec)
    pool_index = 0
    market_topic = f"the {spec.market_name} market"
    page = first_content_page
    for page_count, indexes in chapters:
        chapter_title = spec.toc[indexes[0]][1]
        figures = _figure_blocks(writer, spec, chapter_title)
        dimension = _dimension_for(spec, chapter_title)
        for _ in range(page_count):
            rng = random.Random(f"{spec.product_code}:page:{page}")
            y = TOP
            entries_here = starts.get(page, [])
            share = (TOP - BOTTOM) / max(1, len(entries_here))
            for index in entries_here:
                depth, title = spec.toc[index]
                # A segment is a topic of its own; other headings speak of the market.
                topic = title if depth > 1 and dimension else market_topic
                if depth <= 2:
                    canvas.bookmarkPage(f"toc{index}")
                    canvas.addOutlineEntry(f"{numbers[index]} {title}", f"toc{index}",
                                           level=depth - 1)
                limit = max(BOTTOM, y - share)
                y = writer.heading(title, depth, y, numbers[index])
                y = writer.paragraph(_body_paragraph(rng, topic, spec), y, min_y=limit)
            # One figure per page while the chapter has any left, if it fits.
            if figures and y - CHART_HEIGHT - 40 > BOTTOM:
                y = figures.pop(0)(y - 6)
            while y - BODY_LEADING * MIN_PARAGRAPH_LINES > BOTTOM:
                y = writer.paragraph(pool[pool_index % len(pool)], y)
                pool_index += 1
            writer.finish_page()
            page += 1
    canvas.save()
    return buffer.getvalue()


def build_sample_pdf(spec: PdfSpec) -> bytes:
    """An eight-page extract: cover, contents excerpt, summary, a table and a chart."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1, pageCompression=1)
    canvas.setTitle(f"{spec.title} (sample)")
    canvas.setAuthor(spec.publisher)
    writer = _PageWriter(canvas, spec)
    numbers = _numbering(spec.toc)

    _cover(writer, label="SAMPLE PAGES")
    _toc_pages(writer, spec, numbers, None, limit=TOC_LINES_PER_PAGE * 2)

    # The summary takes what the contents excerpt left; figures and "about" close it.
    text = list(spec.summary) + _paragraph_pool(spec)
    for page_index in range(SAMPLE_PAGES - writer.page_number - 1):
        y = TOP
        if page_index == 0:
            y = writer.heading("Executive Summary", 1, y)
        while text and y - BODY_LEADING * MIN_PARAGRAPH_LINES > BOTTOM:
            y = writer.paragraph(text.pop(0), y)
        writer.finish_page()

    blocks = _figure_blocks(writer, spec, "Executive Summary")
    if spec.dimensions:
        blocks += _figure_blocks(writer, spec, f"by {spec.dimensions[0][0]}")
    y = writer.heading("Sample figures and tables", 1, TOP)
    for block in blocks[:2]:
        y = block(y - 6)
    writer.finish_page()

    y = writer.heading("About the full report", 1, TOP)
    y = writer.paragraph(
        f"The full report runs to {spec.pages} pages with {len(spec.toc)} sections, market "
        f"sizing from {spec.base_year} and forecasts for {spec.forecast_start_year}-"
        f"{spec.forecast_end_year}. It is delivered as a licensed PDF stamped with the "
        "buyer's name and licence.", y)
    writer.finish_page()
    canvas.save()
    return buffer.getvalue()


@contextmanager
def _binary_streams():
    """Write compressed streams as binary rather than ASCII85 while building.

    Without reportlab's optional C accelerator, ASCII85 encoding in pure Python is
    about a third of the build time, and it makes files 25% larger.
    """
    previous = rl_config.useA85
    rl_config.useA85 = 0
    try:
        yield
    finally:
        rl_config.useA85 = previous


def render(job: tuple[str, PdfSpec]) -> bytes:
    """("master" | "sample", spec) -> PDF bytes; a picklable entry point for workers."""
    kind, spec = job
    with _binary_streams():
        return build_master_pdf(spec) if kind == "master" else build_sample_pdf(spec)
