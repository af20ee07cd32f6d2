"""Small factories for tests: real rows in both languages, deterministic values.

Every function takes keyword arguments only and returns saved objects. Anything
not given gets a unique, readable default (product codes, slugs and names carry a
sequence number), so tests state only what they are about::

    report = make_report(product_code="1994249", title_en="Continuing Medical Education Market")
    draft = make_report(status=ReportStatus.DRAFT, title_zh=None)      # English only
    cheap = make_report(licence_prices={LicenseType.SINGLE_USER: "99"}, key_statistics=[])

Reports are created with the figures of product 1994249 (key statistics) and four
licence options unless told otherwise, and ``services.refresh_listing`` has filled
their ``search_text`` / ``price_from`` when they are returned (their product pages are
built on first request unless ``prepare_pages=True``).
"""

import itertools
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils.text import slugify

from reports import services
from reports.models import (
    Category,
    DeliveryMode,
    KeyStatistic,
    KeyStatisticKind,
    LicenseOption,
    LicenseType,
    Publisher,
    Report,
    ReportFormat,
    ReportStatus,
    Segment,
    TocEntry,
)

__all__ = [
    "AUTO",
    "DEFAULT_KEY_STATISTICS",
    "DEFAULT_LICENCE_PRICES",
    "make_category",
    "make_publisher",
    "make_report",
    "minimal_pdf",
    "multi_page_pdf",
]


class _Auto:
    """Marker for "make up a value": distinct from None, which means "leave it out"."""

    def __repr__(self):
        return "AUTO"


AUTO = _Auto()

_numbers = itertools.count(1)

# The licence prices and key figures of product 1994249.
DEFAULT_LICENCE_PRICES: dict[str, Decimal] = {
    LicenseType.SINGLE_USER: Decimal("3939.00"),
    LicenseType.MULTI_USER: Decimal("4249.00"),
    LicenseType.SITE: Decimal("5759.00"),
    LicenseType.ENTERPRISE: Decimal("6969.00"),
}
DEFAULT_KEY_STATISTICS: tuple[dict, ...] = (
    {"kind": KeyStatisticKind.BASE_YEAR, "year": 2025, "amount": Decimal("9310000000")},
    {"kind": KeyStatisticKind.ESTIMATED_YEAR, "year": 2026, "amount": Decimal("10040000000")},
    {"kind": KeyStatisticKind.FORECAST_YEAR, "year": 2032, "amount": Decimal("17700000000")},
    {"kind": KeyStatisticKind.CAGR, "percentage": Decimal("9.61")},
)
# Licence types in the order a plain list of prices is assigned to them.
LICENCE_TYPE_ORDER = [
    LicenseType.SINGLE_USER,
    LicenseType.MULTI_USER,
    LicenseType.SITE,
    LicenseType.ENTERPRISE,
]


def _next_number() -> int:
    return next(_numbers)


def minimal_pdf(text: str = "Test report") -> bytes:
    """A one-page PDF that PDF readers accept; enough for storage and upload tests."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    return pdf_from_objects(objects)


def pdf_from_objects(objects: list[bytes], version: bytes = b"1.4") -> bytes:
    """A PDF file of these object bodies (numbered from 1, the catalogue first), with
    its cross-reference table: for hand-made test files, good or hostile."""
    out = bytearray(b"%PDF-" + version + b"\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def multi_page_pdf(pages: int, text: str = "Test report") -> bytes:
    """A PDF of ``pages`` pages, each showing ``text`` and its page number."""
    font = pages * 2 + 3  # object numbers: catalog 1, pages 2, then page/content pairs
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>"
        % (b" ".join(b"%d 0 R" % (3 + 2 * index) for index in range(pages)), pages),
    ]
    for index in range(pages):
        stream = f"BT /F1 12 Tf 72 720 Td ({text} {index + 1}) Tj ET".encode("latin-1")
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
            b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (4 + 2 * index, font)
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    return pdf_from_objects(objects)


def make_publisher(
    *, name: str | None = None, slug: str | None = None, website: str = ""
) -> Publisher:
    """A publisher; ``name`` defaults to "Publisher <n>", ``slug`` to the slugified name."""
    name = name or f"Publisher {_next_number()}"
    return Publisher.objects.create(name=name, slug=slug or slugify(name), website=website)


def make_category(
    *,
    slug: str | None = None,
    name_en: str | None | _Auto = AUTO,
    name_zh: str | None | _Auto = AUTO,
    parent: Category | None = None,
    position: int = 0,
) -> Category:
    """A category named in English and Chinese; pass ``name_zh=None`` for English only."""
    number = _next_number()
    if name_en is AUTO:
        name_en = f"Category {number}"
    if name_zh is AUTO:
        name_zh = f"类别 {number}"
    if not (name_en or name_zh):
        raise ValueError("A category needs a name in at least one language.")
    category = Category(slug=slug or f"category-{number}", parent=parent, position=position)
    _set_translations(category, en={"name": name_en}, zh={"name": name_zh})
    category.save()
    category.set_current_language("en")
    return category


def make_report(
    *,
    product_code: str | None = None,
    title_en: str | None | _Auto = AUTO,
    title_zh: str | None | _Auto = AUTO,
    summary_en: str = "<p>An English summary of the market.</p>",
    summary_zh: str = "<p>市场的中文摘要。</p>",
    meta_description_en: str = "",
    meta_description_zh: str = "",
    slug: str | None = None,
    publisher: Publisher | None = None,
    categories: Iterable[Category] = (),
    status: str = ReportStatus.PUBLISHED,
    publish_at=None,
    published_on: date | None = None,
    pages: int = 180,
    formats: str = ReportFormat.PDF_EXCEL,
    delivery_mode: str = DeliveryMode.DOWNLOAD,
    delivery_days: int = 0,
    base_year: int | None = 2025,
    forecast_start_year: int | None = 2026,
    forecast_end_year: int | None = 2032,
    key_statistics: Iterable[Mapping] | _Auto = AUTO,
    licence_prices: Mapping[str, object] | Sequence[object] | _Auto = AUTO,
    licence_currency: str = "USD",
    toc: Iterable[tuple] = (),
    segments: Iterable[tuple] = (),
    master_pdf: bytes | None | _Auto = AUTO,
    sample_pdf: bytes | None = None,
    refresh: bool = True,
    prepare_pages: bool = False,
) -> Report:
    """A report with its translations, key statistics, licence options and outlines.

    - ``title_en`` / ``title_zh``: AUTO makes one up ("Test Market <n> ..." /
      "测试市场 <n> ..."); None leaves that translation out (at least one is needed).
      The summaries and meta descriptions belong to the translation of their language.
    - ``publisher``: a new publisher when not given. ``categories``: added as given.
    - ``key_statistics``: AUTO gives the four figures of product 1994249
      (``DEFAULT_KEY_STATISTICS``); otherwise dicts of ``KeyStatistic`` fields
      (``currency`` defaults to USD for amounts, ``position`` to the order given);
      an empty list gives none.
    - ``licence_prices``: AUTO gives ``DEFAULT_LICENCE_PRICES``; a mapping of
      ``LicenseType`` to price, or a list of prices for single user, multi-user,
      site and enterprise in that order; empty gives none. Prices may be str, int
      or Decimal; all options use ``licence_currency``.
    - ``toc`` / ``segments``: tuples ``(depth, text_en)`` or ``(depth, text_en, text_zh)``,
      positioned in the order given.
    - ``master_pdf`` / ``sample_pdf``: file content (see ``minimal_pdf()``) stored in
      the private storage. AUTO gives a master (``minimal_pdf()``), as every report
      sold for immediate download must have; None leaves it out.
    - ``delivery_mode`` / ``delivery_days``: how a paid order is delivered
      (``DeliveryMode``); "on order" needs at least one promised business day.
    - ``refresh``: run ``services.refresh_listing`` so ``search_text`` and
      ``price_from`` are filled as after an edit in the admin.
    - ``prepare_pages``: also build the product page in every language now, as an edit
      in the admin does. By default the page is left to be built on its first request,
      as after a bulk load (the same page; building three languages for every report
      would cost most tests far more than they use).

    Returns the report with English as its current language.
    """
    number = _next_number()
    product_code = product_code or f"T{number:06d}"
    if title_en is AUTO:
        title_en = f"Test Market {number} - Global Forecast 2026-2032"
    if title_zh is AUTO:
        title_zh = f"测试市场 {number} - 2026-2032年全球预测"
    if not (title_en or title_zh):
        raise ValueError("A report needs a title in at least one language.")

    report = Report(
        product_code=product_code,
        slug=slug or slugify(title_en or "") or f"report-{product_code.lower()}",
        publisher=publisher or make_publisher(),
        status=status,
        publish_at=publish_at,
        published_on=published_on or date(2025, 11, 1),
        pages=pages,
        formats=formats,
        delivery_mode=delivery_mode,
        delivery_days=delivery_days,
        base_year=base_year,
        forecast_start_year=forecast_start_year,
        forecast_end_year=forecast_end_year,
    )
    _set_translations(
        report,
        en={"title": title_en, "summary": summary_en, "meta_description": meta_description_en},
        zh={"title": title_zh, "summary": summary_zh, "meta_description": meta_description_zh},
    )
    if master_pdf is AUTO:
        master_pdf = minimal_pdf(f"Master of {product_code}")
    if master_pdf is not None:
        report.master_pdf.save(f"{product_code}.pdf", ContentFile(master_pdf), save=False)
    if sample_pdf is not None:
        report.sample_pdf.save(f"{product_code}-sample.pdf", ContentFile(sample_pdf), save=False)
    report.save()
    report.categories.add(*categories)

    statistics = DEFAULT_KEY_STATISTICS if key_statistics is AUTO else key_statistics
    KeyStatistic.objects.bulk_create(
        KeyStatistic(report=report, **_key_statistic_fields(position, fields))
        for position, fields in enumerate(statistics, start=1)
    )
    LicenseOption.objects.bulk_create(
        LicenseOption(
            report=report, license_type=license_type, price=price, currency=licence_currency
        )
        for license_type, price in _licence_prices(licence_prices).items()
    )
    _make_outline(TocEntry, report, toc, field="title")
    _make_outline(Segment, report, segments, field="name")

    if refresh:
        refreshed = services.refresh_listing(report_id=report.pk, prepare_pages=prepare_pages)
        report.search_text = refreshed.search_text
        report.price_from = refreshed.price_from
        report.price_currency = refreshed.price_currency
    report.set_current_language("en")
    return report


def _set_translations(obj, *, en: dict, zh: dict) -> None:
    """Fill the English and Chinese translations of an unsaved object; saved with it.

    The first value of each dict is the required field: when it is None, that
    language is left out.
    """
    for language, values in (("en", en), ("zh-hans", zh)):
        if next(iter(values.values())) is None:
            continue
        obj.set_current_language(language)
        for field, value in values.items():
            setattr(obj, field, value or "")


def _key_statistic_fields(position: int, fields: Mapping) -> dict:
    fields = {"position": position, **fields}
    if fields.get("amount") is not None:
        fields["amount"] = Decimal(str(fields["amount"]))
        fields.setdefault("currency", "USD")
    if fields.get("percentage") is not None:
        fields["percentage"] = Decimal(str(fields["percentage"]))
    return fields


def _licence_prices(licence_prices) -> dict[str, Decimal]:
    if licence_prices is AUTO:
        return dict(DEFAULT_LICENCE_PRICES)
    if isinstance(licence_prices, Mapping):
        items = licence_prices.items()
    else:
        prices = list(licence_prices)
        if len(prices) > len(LICENCE_TYPE_ORDER):
            raise ValueError(f"At most {len(LICENCE_TYPE_ORDER)} licence prices, one per type.")
        items = zip(LICENCE_TYPE_ORDER, prices, strict=False)
    return {str(license_type): Decimal(str(price)) for license_type, price in items}


def _make_outline(model, report: Report, lines: Iterable[tuple], *, field: str) -> None:
    for position, line in enumerate(lines, start=1):
        depth, text_en, text_zh = (*line, None)[:3]
        entry = model(report=report, position=position, depth=depth)
        _set_translations(entry, en={field: text_en}, zh={field: text_zh})
        entry.save()
