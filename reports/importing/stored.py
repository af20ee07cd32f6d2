"""What a feed row is compared with: the stored reports, locked, with everything a row
can change (a chunk's in one set of queries), their tables of contents as plain values."""

from dataclasses import dataclass

from django.db.models import Prefetch

from reports.models import Category, Report
from reports.importing.common import TocTranslation


@dataclass
class TocLine:
    depth: int
    titles: dict[str, str]  # language → title


def _reports_to_plan():
    """Stored reports with everything a feed row can change, locked until commit."""
    return Report.objects.select_for_update(of=("self",)).prefetch_related(
        "translations",
        Prefetch("categories", queryset=Category.objects.only("id")),
        "key_statistics",
        "license_options",
    )


def locked_report(product_code: str) -> Report | None:
    """The stored report with everything a feed row can change, locked for this row."""
    return _reports_to_plan().filter(product_code=product_code).first()


def locked_reports(product_codes: list[str]) -> dict[str, Report | None]:
    """The stored reports of a chunk's rows, locked, in one set of queries: every code
    asked for is a key, None when there is no such report (a row to create). Their
    tables of contents come with them, in one more query (stored_toc)."""
    found = {report.product_code: report
             for report in _reports_to_plan().filter(product_code__in=product_codes)}
    if found:
        tocs = _stored_tocs([report.pk for report in found.values()])
        for report in found.values():
            report._stored_toc_lines = tocs.get(report.pk, [])
    return {code: found.get(code) for code in product_codes}


def _stored_tocs(report_ids: list[int]) -> dict[int, list[TocLine]]:
    """Report id → its table of contents as plain values: one query, no model objects
    (a TOC is most of what a row holds, and most rows of a re-import are unchanged)."""
    rows = (
        TocTranslation.objects.filter(master__report__in=report_ids)
        .order_by("master__report_id", "master__position", "master_id")
        .values_list("master__report_id", "master_id", "master__depth", "language_code",
                     "title")
    )
    tocs: dict[int, dict[int, TocLine]] = {}
    for report_id, entry_id, depth, language, title in rows:
        lines = tocs.setdefault(report_id, {})
        lines.setdefault(entry_id, TocLine(depth, {})).titles[language] = title
    return {report_id: list(lines.values()) for report_id, lines in tocs.items()}


def stored_toc(report: Report) -> list[TocLine]:
    """The stored table of contents: as locked_reports() read it with the report (like
    a prefetch), or now."""
    lines = getattr(report, "_stored_toc_lines", None)
    if lines is None:
        lines = _stored_tocs([report.pk]).get(report.pk, [])
    return lines


def translations_by_language(instance) -> dict:
    return {translation.language_code: translation for translation in instance.translations.all()}
