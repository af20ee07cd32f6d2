"""Build the demo catalogue: idempotent upserts of everything a listing shows.

`seed_demo()` may run any number of times. Rows are matched on natural keys
(category and publisher slug, product code, licence type, outline position,
translation language) and written only when a value differs, so a second run
changes nothing and creates no rows. PDFs are named after a fingerprint of what they
show; one that already exists under its name is not generated again.
"""

import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from html import escape
from multiprocessing import get_context
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from reports import formatting
from reports.chinese import to_traditional
from reports.demo import data, pdf
from reports.demo.listing import read_listing
from reports.demo.outlines import OutlineLine, build_toc, segmentation_lines
from reports.demo.specs import DemoReport
from reports.models import (
    Category,
    KeyStatistic,
    KeyStatisticKind,
    LicenseOption,
    Publisher,
    Report,
    ReportStatus,
    Segment,
    TocEntry,
)
from reports.services import refresh_listing
from reports.storage import private_storage

DEMO_DIR = Path(__file__).resolve().parent
META_DESCRIPTION_LENGTH = 300
# Demo reports written in traditional Chinese as well.
TRADITIONAL_DEMO_REPORTS = {"1994249"}


@dataclass
class SeedSummary:
    """What a run did, per kind of row: created / updated / deleted / unchanged."""

    counts: dict[str, Counter] = field(default_factory=dict)
    pdfs_generated: int = 0
    pdfs_kept: int = 0
    pdf_seconds: float = 0.0

    def add(self, kind: str, outcome: str, number: int = 1):
        if number:
            self.counts.setdefault(kind, Counter())[outcome] += number

    def lines(self) -> list[str]:
        lines = []
        for kind, counter in self.counts.items():
            parts = [f"{counter[o]} {o}" for o in ("created", "updated", "deleted", "unchanged")
                     if counter[o]]
            lines.append(f"{kind}: {', '.join(parts)}")
        lines.append(
            f"PDFs: {self.pdfs_generated} generated ({self.pdf_seconds:.1f} s), "
            f"{self.pdfs_kept} unchanged"
        )
        return lines


# --- The demo reports as data -------------------------------------------------


def _meta_description(paragraph: str) -> str:
    if len(paragraph) <= META_DESCRIPTION_LENGTH:
        return paragraph
    return paragraph[: META_DESCRIPTION_LENGTH - 1].rsplit(" ", 1)[0] + "…"


def report_1994249() -> DemoReport:
    """Product 1994249: titles, summaries and figures parsed from the reseller's page."""
    listing = read_listing(DEMO_DIR / data.LISTING_1994249)
    if listing.product_code != data.CME_1994249["product_code"]:
        raise ValueError(f"The listing is for product {listing.product_code}, not 1994249.")
    return DemoReport(
        title_en=listing.title_en,
        title_zh=listing.title_zh,
        summary_en=tuple(listing.summary_en),
        summary_zh=tuple(listing.summary_zh),
        meta_en=_meta_description(listing.summary_en[0]),
        meta_zh=_meta_description(listing.summary_zh[0]),
        statistics=tuple(listing.statistics),
        opening_generated=False,
        **data.CME_1994249,
    )


def demo_reports() -> list[DemoReport]:
    """Every demo report, 1994249 first."""
    return [report_1994249(), *data.OTHER_REPORTS]


def opening_paragraph(report: DemoReport, language: str) -> str:
    """ "The X Market was valued at USD 9.31 billion in 2025 …" in either language."""
    base = report.statistic(KeyStatisticKind.BASE_YEAR)
    estimated = report.statistic(KeyStatisticKind.ESTIMATED_YEAR)
    forecast = report.statistic(KeyStatisticKind.FORECAST_YEAR)
    cagr = formatting.format_percentage(report.statistic(KeyStatisticKind.CAGR).percentage)

    def money(statistic):
        return formatting.format_money_amount(statistic.amount, statistic.currency, language)

    if formatting.is_chinese(language):
        return (
            f"{base.year}年{report.market.zh}市场价值为{money(base)}，预计到{estimated.year}年"
            f"将增长至{money(estimated)}，复合年增长率为{cagr}，到{forecast.year}年将达到"
            f"{money(forecast)}。"
        )
    return (
        f"The {report.market.en} Market was valued at {money(base)} in {base.year} and is "
        f"projected to grow to {money(estimated)} in {estimated.year}, with a CAGR of {cagr}, "
        f"reaching {money(forecast)} by {forecast.year}."
    )


def summary_paragraphs(report: DemoReport, language: str) -> list[str]:
    paragraphs = list(report.summary_zh if formatting.is_chinese(language) else report.summary_en)
    if report.opening_generated:
        paragraphs.insert(0, opening_paragraph(report, language))
    return paragraphs


def summary_html(paragraphs: list[str]) -> str:
    return "\n".join(f"<p>{escape(paragraph, quote=False)}</p>" for paragraph in paragraphs)


def toc_lines(report: DemoReport) -> list[OutlineLine]:
    return build_toc(
        market=report.market,
        dimensions=list(report.dimensions),
        companies=list(report.companies),
        base_year=report.base_year,
        figures=report.figures,
        tables=report.tables,
        detailed=report.detailed_toc,
    )


def pdf_spec(report: DemoReport) -> pdf.PdfSpec:
    base = report.statistic(KeyStatisticKind.BASE_YEAR)
    estimated = report.statistic(KeyStatisticKind.ESTIMATED_YEAR)
    return pdf.PdfSpec(
        product_code=report.product_code,
        title=report.title_en,
        market_name=report.market.en,
        publisher=_publisher_specs()[report.publisher].name,
        published_on=report.published_on.isoformat(),
        pages=report.pages,
        base_year=report.base_year,
        forecast_start_year=report.forecast[0],
        forecast_end_year=report.forecast[1],
        currency=base.currency,
        base_amount=str(base.amount),
        estimated_amount=str(estimated.amount),
        forecast_amount=str(report.statistic(KeyStatisticKind.FORECAST_YEAR).amount),
        cagr=str(report.statistic(KeyStatisticKind.CAGR).percentage),
        summary=tuple(summary_paragraphs(report, "en")),
        toc=tuple((line.depth, line.en) for line in toc_lines(report)),
        dimensions=tuple(
            (dimension.en, tuple(segment.en for segment in dimension.children))
            for dimension in report.dimensions
        ),
    )


def _publisher_specs():
    return {spec.slug: spec for spec in data.PUBLISHERS}


# --- Upserts ------------------------------------------------------------------


def _translation_model(model):
    return model._parler_meta.root_model


def _sync_translations(instance, values: dict[str, dict[str, str]], summary: SeedSummary,
                       kind: str):
    """Create or update one translation row per language; untouched when equal."""
    translation_model = _translation_model(type(instance))
    existing = {t.language_code: t for t in translation_model.objects.filter(master=instance)}
    for language, fields in values.items():
        translation = existing.get(language)
        if translation is None:
            translation_model.objects.create(master=instance, language_code=language, **fields)
            summary.add(kind, "created")
            continue
        changed = [name for name, value in fields.items() if getattr(translation, name) != value]
        if changed:
            for name in changed:
                setattr(translation, name, fields[name])
            translation.save(update_fields=changed)
            summary.add(kind, "updated")
        else:
            summary.add(kind, "unchanged")


def _upsert(model, lookup: dict, values: dict, summary: SeedSummary, kind: str):
    """get-or-create on `lookup`, then save only the fields of `values` that differ."""
    instance = model.objects.filter(**lookup).first()
    if instance is None:
        instance = model(**lookup, **values)
        instance.save()
        summary.add(kind, "created")
        return instance
    changed = [name for name, value in values.items() if getattr(instance, name) != value]
    if changed:
        for name in changed:
            setattr(instance, name, values[name])
        if any(f.name == "updated_at" for f in model._meta.concrete_fields):
            changed.append("updated_at")
        instance.save(update_fields=changed)
        summary.add(kind, "updated")
    else:
        summary.add(kind, "unchanged")
    return instance


def ensure_categories(summary: SeedSummary) -> dict[str, Category]:
    """The demo category tree, by slug; parents are listed before their children."""
    categories: dict[str, Category] = {}
    for position, spec in enumerate(data.CATEGORIES):
        parent = categories[spec.parent] if spec.parent else None
        category = _upsert(
            Category, {"slug": spec.slug},
            {"parent_id": parent.pk if parent else None, "position": position},
            summary, "categories",
        )
        _sync_translations(
            category,
            {"en": {"name": spec.en}, "zh-hans": {"name": spec.zh},
             "zh-hant": {"name": to_traditional(spec.zh)}},
            summary, "category translations",
        )
        categories[spec.slug] = category
    return categories


def ensure_publishers(summary: SeedSummary) -> dict[str, Publisher]:
    return {
        spec.slug: _upsert(Publisher, {"slug": spec.slug},
                           {"name": spec.name, "website": spec.website}, summary, "publishers")
        for spec in data.PUBLISHERS
    }


def _sync_outline(report: Report, model, text_field: str, lines: list[OutlineLine],
                  summary: SeedSummary, kind: str, *, traditional: bool = False):
    """Make the report's outline rows equal `lines`, matching rows by position.

    Rows are updated in place; surplus rows are deleted, missing ones bulk-created.
    With `traditional`, each row also gets its traditional Chinese title.
    """
    translation_model = _translation_model(model)
    rows = list(model.objects.filter(report=report).order_by("position", "id")
                .prefetch_related("translations"))
    changed_rows, new_rows = [], []
    new_translations, changed_translations = [], []
    for position, line in enumerate(lines):
        texts = {"en": line.en, "zh-hans": line.zh}
        if traditional:
            texts["zh-hant"] = to_traditional(line.zh)
        if position >= len(rows):
            new_rows.append((model(report=report, position=position, depth=line.depth), texts))
            continue
        row = rows[position]
        row_changed = (row.position, row.depth) != (position, line.depth)
        if row_changed:
            row.position, row.depth = position, line.depth
            changed_rows.append(row)
        existing = {t.language_code: t for t in row.translations.all()}
        for language, text in texts.items():
            translation = existing.get(language)
            if translation is None:
                new_translations.append(translation_model(
                    master=row, language_code=language, **{text_field: text}))
                row_changed = True
            elif getattr(translation, text_field) != text:
                setattr(translation, text_field, text)
                changed_translations.append(translation)
                row_changed = True
        summary.add(kind, "updated" if row_changed else "unchanged")

    surplus = [row.pk for row in rows[len(lines):]]
    if surplus:
        model.objects.filter(pk__in=surplus).delete()
        summary.add(kind, "deleted", len(surplus))
    if changed_rows:
        model.objects.bulk_update(changed_rows, ["position", "depth"])
    if changed_translations:
        translation_model.objects.bulk_update(changed_translations, [text_field])
    if new_rows:
        created = model.objects.bulk_create([row for row, _ in new_rows])
        for row, (_, texts) in zip(created, new_rows):
            new_translations += [
                translation_model(master=row, language_code=language, **{text_field: text})
                for language, text in texts.items()
            ]
        summary.add(kind, "created", len(created))
    if new_translations:
        translation_model.objects.bulk_create(new_translations)


def _sync_statistics(report: Report, demo: DemoReport, summary: SeedSummary):
    rows = list(KeyStatistic.objects.filter(report=report).order_by("position", "id"))
    for position, statistic in enumerate(demo.statistics):
        values = {
            "kind": statistic.kind,
            "year": statistic.year,
            "amount": statistic.amount,
            "currency": statistic.currency,
            "percentage": statistic.percentage,
        }
        if position < len(rows):
            row = rows[position]
            changed = [name for name, value in values.items() if getattr(row, name) != value]
            if changed or row.position != position:
                for name, value in values.items():
                    setattr(row, name, value)
                row.position = position
                row.save()
                summary.add("key statistics", "updated")
            else:
                summary.add("key statistics", "unchanged")
        else:
            KeyStatistic.objects.create(report=report, position=position, **values)
            summary.add("key statistics", "created")
    surplus = [row.pk for row in rows[len(demo.statistics):]]
    if surplus:
        KeyStatistic.objects.filter(pk__in=surplus).delete()
        summary.add("key statistics", "deleted", len(surplus))


def _sync_licences(report: Report, demo: DemoReport, summary: SeedSummary):
    # Matched on licence type and currency (unique per report) so that rows orders may
    # point at keep their ids when a price changes.
    wanted = set()
    for licence in demo.licences:
        option = _upsert(LicenseOption, {"report": report, "license_type": licence.license_type,
                                         "currency": licence.currency},
                         {"price": Decimal(licence.price)}, summary, "licence options")
        wanted.add(option.pk)
    surplus = LicenseOption.objects.filter(report=report).exclude(pk__in=wanted)
    deleted, _ = surplus.delete()
    summary.add("licence options", "deleted", deleted)


def upsert_report(demo: DemoReport, *, publishers, categories, summary: SeedSummary,
                  now=None) -> Report:
    """Write one demo report and everything under it; returns the saved report.

    Visible from the first run on: `publish_at` is set a minute in the past when the
    report is created (or when it is missing or in the future) and kept otherwise.
    """
    now = now or timezone.now()
    values = {
        "slug": slugify(demo.title_en)[:200].strip("-"),
        "publisher_id": publishers[demo.publisher].pk,
        "status": ReportStatus.PUBLISHED,
        "published_on": demo.published_on,
        "pages": demo.pages,
        "formats": demo.formats,
        "delivery_days": demo.delivery_days,
        "base_year": demo.base_year,
        "forecast_start_year": demo.forecast[0],
        "forecast_end_year": demo.forecast[1],
    }
    existing = Report.objects.filter(product_code=demo.product_code).first()
    if existing is None or existing.publish_at is None or existing.publish_at > now:
        values["publish_at"] = now - timedelta(minutes=1)
    report = _upsert(Report, {"product_code": demo.product_code}, values, summary, "reports")

    texts = {
        "en": {
            "title": demo.title_en,
            "summary": summary_html(summary_paragraphs(demo, "en")),
            "meta_description": demo.meta_en[:META_DESCRIPTION_LENGTH],
        },
        "zh-hans": {
            "title": demo.title_zh,
            "summary": summary_html(summary_paragraphs(demo, "zh-hans")),
            "meta_description": demo.meta_zh[:META_DESCRIPTION_LENGTH],
        },
    }
    # The flagship ships in traditional Chinese too, as Taiwan writes it (the reseller's
    # text is a simplified conversion of Taiwan wording: 專案, 資訊, 託管 come back here);
    # the other demo reports show their simplified text on zh-hant pages, saying so.
    traditional = demo.product_code in TRADITIONAL_DEMO_REPORTS
    if traditional:
        texts["zh-hant"] = {name: to_traditional(value) for name, value in texts["zh-hans"].items()}
    _sync_translations(report, texts, summary, "report translations")

    wanted_categories = {categories[slug].pk for slug in demo.categories}
    current_categories = set(report.categories.values_list("pk", flat=True))
    if current_categories != wanted_categories:
        report.categories.set(wanted_categories)
        summary.add("report categories", "updated" if current_categories else "created")
    else:
        summary.add("report categories", "unchanged")

    _sync_statistics(report, demo, summary)
    _sync_licences(report, demo, summary)
    _sync_outline(report, TocEntry, "title", toc_lines(demo), summary, "TOC entries",
                  traditional=traditional)
    _sync_outline(report, Segment, "name", segmentation_lines(list(demo.dimensions)),
                  summary, "segments", traditional=traditional)
    refresh_listing(report_id=report.pk)
    return report


# --- PDFs ---------------------------------------------------------------------


def _pdf_names(spec: pdf.PdfSpec) -> dict[str, str]:
    return {
        "master_pdf": f"masters/{spec.product_code}-{pdf.fingerprint(spec, 'master')}.pdf",
        "sample_pdf": f"samples/{spec.product_code}-{pdf.fingerprint(spec, 'sample')}.pdf",
    }


def attach_pdfs(pairs: list[tuple[Report, DemoReport]], summary: SeedSummary, *,
                workers: int = 1):
    """Point each report's master and sample PDF at files matching its content.

    A file that exists under its fingerprinted name is reused as it is; the others
    are generated (in `workers` processes when more than one) and saved to private
    storage. A previous generated file of the same report is removed when replaced.
    """
    storage = private_storage()
    jobs: list[tuple[Report, str, str, pdf.PdfSpec]] = []
    for report, demo in pairs:
        spec = pdf_spec(demo)
        for field_name, name in _pdf_names(spec).items():
            if storage.exists(name):
                summary.pdfs_kept += 1
                _point_file_field(report, field_name, name, storage)
            else:
                jobs.append((report, field_name, name, spec))
    if not jobs:
        return
    started = time.perf_counter()
    render_jobs = [("master" if field_name == "master_pdf" else "sample", spec)
                   for _, field_name, _, spec in jobs]
    if workers > 1 and len(jobs) > 1:
        # "spawn": the workers import only reports.demo.pdf (no Django) and never
        # share this process's database connection.
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
            contents = list(pool.map(pdf.render, render_jobs))
    else:
        contents = [pdf.render(job) for job in render_jobs]
    for (report, field_name, name, _spec), content in zip(jobs, contents):
        saved_name = storage.save(name, ContentFile(content))
        _point_file_field(report, field_name, saved_name, storage)
        summary.pdfs_generated += 1
    summary.pdf_seconds = time.perf_counter() - started


def _point_file_field(report: Report, field_name: str, name: str, storage):
    previous = getattr(report, field_name).name or ""
    if previous == name:
        return
    Report.objects.filter(pk=report.pk).update(**{field_name: name, "updated_at": timezone.now()})
    setattr(report, field_name, name)
    if field_name == "sample_pdf":
        # Written around Report.save, so no signal: queue the "look inside" pages here.
        from reports.tasks import render_sample_pages

        report_id = report.pk
        transaction.on_commit(lambda: render_sample_pages.delay(report_id))
    # Remove only a file this builder generated for the same report.
    prefix = f"{name.split('/')[0]}/{report.product_code}-"
    if previous.startswith(prefix) and storage.exists(previous):
        storage.delete(previous)


# --- Entry point --------------------------------------------------------------


def seed_demo(*, with_pdfs: bool = True, workers: int = 1) -> SeedSummary:
    """Create or update the whole demo catalogue; safe to run again at any time."""
    summary = SeedSummary()
    demos = demo_reports()
    with transaction.atomic():
        categories = ensure_categories(summary)
        publishers = ensure_publishers(summary)
        now = timezone.now()
        pairs = [
            (upsert_report(demo, publishers=publishers, categories=categories,
                           summary=summary, now=now), demo)
            for demo in demos
        ]
    # Files are written after the rows are committed: a failed generation leaves a
    # consistent catalogue that the next run completes.
    if with_pdfs:
        attach_pdfs(pairs, summary, workers=workers)
    return summary
