"""Reads of the catalogue for the public pages.

Every query here prefetches exactly the translations a page shows (the active
language and its fallback), so a page costs the same number of queries whatever
the size of the catalogue.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Exists, Max, Min, OuterRef, Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import get_language
from parler import appsettings as parler_settings

from reports import page_cache, pricing
from reports.models import (
    Category,
    LicenseOption,
    Publisher,
    Report,
    ReportStatus,
    Segment,
    TocEntry,
)
from reports.services import normalise_search_text

SORTS = {
    "newest": ("-published_on", "-id"),
    "price_asc": ("price_from", "id"),
    "price_desc": ("-price_from", "-id"),
}
DEFAULT_SORT = "newest"
RELATED_REPORTS = 4
TOC_PREVIEW_ENTRIES = 12


def shown_languages(language: str | None = None) -> list[str]:
    """The active language and the ones its pages fall back to, in order (parler's
    fallbacks: English for simplified Chinese; ZH_HANT_FALLBACKS for traditional)."""
    language = language or get_language() or settings.LANGUAGE_CODE
    fallbacks = parler_settings.PARLER_LANGUAGES.get_fallback_languages(language)
    return [language, *(code for code in fallbacks if code != language)]


def translations_of(model, language: str | None = None) -> Prefetch:
    """The translations a public page shows: its language and the fallbacks."""
    translation_model = model._parler_meta.root_model
    translations = translation_model.objects.filter(language_code__in=shown_languages(language))
    if model is Report:
        # A machine-converted draft waits for an editor; the page falls back meanwhile.
        translations = translations.filter(machine_converted=False)
    return Prefetch("translations", queryset=translations)


def report_cards(queryset: QuerySet | None = None) -> QuerySet:
    """Reports as the catalogue shows them: with publisher and shown translations."""
    queryset = Report.objects.published() if queryset is None else queryset
    return queryset.select_related("publisher").prefetch_related(translations_of(Report))


@dataclass(frozen=True)
class CatalogueQuery:
    q: str = ""
    category_ids: tuple[int, ...] = ()
    publisher_id: int | None = None
    sort: str = DEFAULT_SORT


def search_reports(query: CatalogueQuery) -> QuerySet:
    """Published reports matching a catalogue query, in display order."""
    reports = Report.objects.published()
    terms = normalise_search_text(query.q).split(" ") if query.q else []
    for term in terms:
        # search_text holds every language, so Chinese substrings match as well.
        reports = reports.filter(search_text__contains=term)
    if query.category_ids:
        in_category = Report.categories.through.objects.filter(
            report_id=OuterRef("pk"), category_id__in=query.category_ids
        )
        reports = reports.filter(Exists(in_category))
    if query.publisher_id is not None:
        reports = reports.filter(publisher_id=query.publisher_id)
    return report_cards(reports).order_by(*SORTS.get(query.sort, SORTS[DEFAULT_SORT]))


def category_tree() -> list[Category]:
    """Top-level categories with their children, translated (four queries)."""
    children = Prefetch(
        "children",
        queryset=Category.objects.prefetch_related(translations_of(Category)),
    )
    return list(
        Category.objects.filter(parent__isnull=True).prefetch_related(
            translations_of(Category), children
        )
    )


def publishers() -> list[Publisher]:
    return list(Publisher.objects.all())


def visible_report(product_code: str) -> Report | None:
    """One published report with everything its page shows, or None."""
    reports = Report.objects.published().filter(product_code=product_code)
    return _first_with_page_contents(reports)


def report_for_preview(product_code: str) -> Report | None:
    """One report in any status (draft, scheduled, archived) as its page shows it.

    For editors' previews only: never call it for a public page.
    """
    return _first_with_page_contents(Report.objects.filter(product_code=product_code))


def _first_with_page_contents(reports: QuerySet) -> Report | None:
    return (
        reports.select_related("publisher")
        .prefetch_related(
            translations_of(Report),
            "key_statistics",
            "license_options",
            Prefetch(
                "toc_entries",
                queryset=TocEntry.objects.prefetch_related(translations_of(TocEntry)),
            ),
            Prefetch(
                "segments",
                queryset=Segment.objects.prefetch_related(translations_of(Segment)),
            ),
            Prefetch(
                "categories",
                queryset=Category.objects.prefetch_related(translations_of(Category)),
            ),
        )
        .first()
    )


def related_reports(report: Report, limit: int = RELATED_REPORTS) -> list[Report]:
    """Other published reports sharing a category with this one, newest first."""
    category_ids = [category.pk for category in report.categories.all()]
    if not category_ids:
        return []
    shares_category = Report.categories.through.objects.filter(
        report_id=OuterRef("pk"), category_id__in=category_ids
    )
    reports = Report.objects.published().filter(Exists(shares_category)).exclude(pk=report.pk)
    return list(report_cards(reports).order_by(*SORTS[DEFAULT_SORT])[:limit])


def newest_reports(limit: int) -> list[Report]:
    return list(report_cards().order_by(*SORTS[DEFAULT_SORT])[:limit])


def sitemap_reports() -> QuerySet:
    """Published reports as (product_code, slug, updated_at) rows, in a stable order.

    Rows, not model instances: a sitemap file reads thousands of them.
    """
    return (
        Report.objects.published()
        .order_by("id")
        .values_list("product_code", "slug", "updated_at", named=True)
    )


def latest_catalogue_update():
    """When a published report last changed; None for an empty catalogue."""
    return Report.objects.published().aggregate(latest=Max("updated_at"))["latest"]


def seconds_until_next_publication() -> int:
    """How long the visible catalogue stays as it is, unless an editor changes it."""
    now = timezone.now()
    next_at = Report.objects.filter(
        status__in=[ReportStatus.PUBLISHED, ReportStatus.SCHEDULED], publish_at__gt=now
    ).aggregate(next_at=Min("publish_at"))["next_at"]
    return page_cache.seconds_until(next_at)


class CardPrices:
    """The "From" prices of a page's report cards in the buyer's currency.

    The stored ``price_from`` is the cheapest licence in the first of SHOP_CURRENCIES the
    report is priced in (services.lowest_price), which is exactly what a buyer of that
    currency sees. The other reports' licences are read in one query, when the first
    card asks (so never on a cached page, and not at all for a page of such reports).
    """

    def __init__(self, reports, currency: str):
        self.currency = currency
        self._stored = {report.pk: report for report in reports}
        self._lookup_ids = [
            report.pk for report in reports if report.price_currency != currency
        ]
        self._options = None

    def covers(self, report_id: int) -> bool:
        return report_id in self._stored

    def lowest(self, report_id: int) -> LicenseOption | None:
        report = self._stored[report_id]
        if report.price_currency == self.currency:
            return LicenseOption(price=report.price_from, currency=report.price_currency)
        if self._options is None:
            self._options = {}
            rows = LicenseOption.objects.filter(report_id__in=self._lookup_ids).order_by("id")
            for option in rows:
                self._options.setdefault(option.report_id, []).append(option)
        return pricing.lowest_option(self._options.get(report_id, []), self.currency)
