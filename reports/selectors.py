"""Reads of the catalogue for the public pages (and the editors' workload counts).

Every query here prefetches exactly the translations a page shows (the active
language and its fallback), so a page costs the same number of queries whatever
the size of the catalogue.
"""

import functools
import json
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import StrIndex
from django.utils import timezone
from django.utils.translation import get_language
from parler import appsettings as parler_settings

from reports import cards, catalogue_memo, page_cache, pricing, search_index, statements
from reports.models import (
    Category,
    DeliveryMode,
    LicenseOption,
    PreparedPage,
    Publisher,
    Report,
    ReportStatus,
    SamplePage,
    Segment,
    TocEntry,
)
from reports.search_index import normalise_search_text

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


def search_reports(query: CatalogueQuery, *, in_display_order: bool = False) -> QuerySet:
    """Published reports matching a catalogue query, in display order.

    Every word must be a substring of the report's search_text (a LIKE decides, on
    every database; on PostgreSQL a word of two Chinese characters is decided by the
    column of character pairs, which holds it exactly when search_text does). On
    PostgreSQL the indexes narrow the rows first (see reports/search_index.py).
    ``in_display_order`` is for words that match more than a thousand reports: the
    condition is then written so that no search index applies, and the planner walks
    the display-order index and stops after one page instead of collecting every
    match to sort it.
    """
    reports = Report.objects.published()
    terms = normalise_search_text(query.q).split(" ") if query.q else []
    has_grams = search_index.has_search_grams()
    for number, term in enumerate(terms):
        # search_text holds every language, so Chinese substrings match as well.
        if has_grams and not in_display_order and search_index.is_cjk_pair(term):
            # Two Chinese characters: a report has the pair in search_grams exactly
            # when search_text contains it, so the pairs' index decides (below) and
            # no LIKE reads the text (a LIKE on Chinese text costs several times the
            # index lookup: bench/README.md).
            continue
        if in_display_order and has_grams:
            # The same substring test as strpos(): no index applies, and PostgreSQL
            # guesses a third of the rows match (for LIKE it guesses a few), so it
            # walks the display-order index and stops after a page.
            found_at = f"search_at_{number}"
            reports = reports.alias(**{found_at: StrIndex("search_text", Value(term))})
            reports = reports.filter(**{f"{found_at}__gt": 0})
        else:
            reports = reports.filter(search_text__contains=term)
    grams = [gram for term in terms for gram in search_index.cjk_bigrams(term)]
    if grams and not in_display_order and has_grams:
        reports = reports.filter(
            RawSQL(
                f'"{Report._meta.db_table}"."search_grams" @> %s::text[]',
                (grams,),
                output_field=BooleanField(),
            )
        )
    if query.category_ids:
        in_category = Report.categories.through.objects.filter(
            report_id=OuterRef("pk"), category_id__in=query.category_ids
        )
        reports = reports.filter(Exists(in_category))
    if query.publisher_id is not None:
        reports = reports.filter(publisher_id=query.publisher_id)
    return report_cards(reports).order_by(*SORTS.get(query.sort, SORTS[DEFAULT_SORT]))


@dataclass(frozen=True)
class CategoryItem:
    """A category as the sidebar and the home page show it."""

    pk: int
    slug: str
    name: str
    parent_id: int | None
    children: tuple["CategoryItem", ...] = ()

    def __str__(self):
        return self.name


@dataclass(frozen=True)
class PublisherItem:
    pk: int
    slug: str
    name: str


def category_tree() -> list[CategoryItem]:
    """Top-level categories with their children, translated; kept per catalogue version."""
    return catalogue_memo.memoised(("category_tree",), _category_tree)


def _category_tree() -> list[CategoryItem]:
    children = Prefetch(
        "children",
        queryset=Category.objects.prefetch_related(translations_of(Category)),
    )
    tree = Category.objects.filter(parent__isnull=True).prefetch_related(
        translations_of(Category), children
    )
    return [
        CategoryItem(
            pk=category.pk,
            slug=category.slug,
            name=str(category),
            parent_id=None,
            children=tuple(
                CategoryItem(pk=child.pk, slug=child.slug, name=str(child), parent_id=category.pk)
                for child in category.children.all()
            ),
        )
        for category in tree
    ]


def publishers() -> list[PublisherItem]:
    return catalogue_memo.memoised(
        ("publishers",),
        lambda: [
            PublisherItem(*row) for row in Publisher.objects.values_list("pk", "slug", "name")
        ],
    )


def visible_report(product_code: str) -> Report | None:
    """One published report with everything its page shows, or None."""
    reports = Report.objects.published().filter(product_code=product_code)
    return _first_with_page_contents(reports)


def report_for_preview(product_code: str) -> Report | None:
    """One report in any status (draft, scheduled, archived) as its page shows it.

    For editors' previews only: never call it for a public page.
    """
    return _first_with_page_contents(Report.objects.filter(product_code=product_code))


@dataclass(frozen=True)
class PreparedRow:
    """A report's prepared product page in one language, with what decides whether it
    may be shown (reports/product_page.py)."""

    report_id: int
    status: str
    publish_at: object
    page_revision: int
    revision: int
    fingerprint: str
    title: str
    description: str
    html: str
    head: dict
    data: dict


@functools.cache
def _prepared_row_sql() -> str:
    page, report = PreparedPage._meta.db_table, Report._meta.db_table
    return (
        f'SELECT p."report_id", r."status", r."publish_at", r."page_revision", p."revision", '
        f'p."fingerprint", p."title", p."description", p."html", p."head", p."data" '
        f'FROM "{page}" p JOIN "{report}" r ON r."id" = p."report_id" '
        f'WHERE r."product_code" = %s AND p."language_code" = %s'
    )


def prepared_row(product_code: str, language: str) -> PreparedRow | None:
    """The prepared page of a report (in any status) in a language, or None.

    Read on every product page, so in plain SQL: the ORM spends four times as long
    putting this query together as PostgreSQL spends answering it.
    """
    # One statement for every product page: prepared (reports/statements.py).
    with statements.catalogue_cursor(connection.alias) as cursor:
        cursor.execute(_prepared_row_sql(), [product_code, language])
        row = cursor.fetchone()
    if row is None:
        return None
    report_id, status, publish_at, *fields, head, data = row
    # Written without the ORM, so converted as it would: SQLite (the embedded default)
    # gives a datetime as naive UTC text.
    convert = getattr(connection.ops, "convert_datetimefield_value", None)
    if convert is not None:
        publish_at = convert(publish_at, None, connection)
    # jsonb arrives as text or as decoded values, depending on the driver's setup.
    head = json.loads(head) if isinstance(head, str) else head
    data = json.loads(data) if isinstance(data, str) else data
    return PreparedRow(report_id, status, publish_at, *fields, head, data)


def report_for_preview_by_id(report_id: int) -> Report | None:
    """report_for_preview() by id: for building a report's product page in any status."""
    return _first_with_page_contents(Report.objects.filter(pk=report_id))


def _first_with_page_contents(reports: QuerySet) -> Report | None:
    # The outline (TOC, segmentation) is read apart, as rows: see report_outline().
    return (
        reports.select_related("publisher")
        .prefetch_related(
            translations_of(Report),
            "key_statistics",
            "license_options",
            "sample_pages",
            Prefetch(
                "categories",
                queryset=Category.objects.prefetch_related(translations_of(Category)),
            ),
        )
        .first()
    )


def visible_sample_page(product_code: str, number: int, digest: str) -> SamplePage | None:
    """A "look inside" page of a published report, if the digest is its current one."""
    return SamplePage.objects.filter(
        report__in=Report.objects.published().filter(product_code=product_code),
        number=number,
        digest=digest,
    ).first()


@dataclass(frozen=True)
class OutlineLine:
    """A line of a report's TOC or segmentation, in the active language or its fallback."""

    depth: int
    title: str

    @property
    def name(self) -> str:  # segments are named, TOC entries titled
        return self.title


@dataclass(frozen=True)
class ReportOutline:
    toc: list[OutlineLine]
    segments: list[OutlineLine]


def report_outline(report_id: int) -> ReportOutline:
    """A report's TOC and segmentation as lines: two queries, no model instances."""
    return ReportOutline(
        toc=_outline_lines(TocEntry, report_id, "title"),
        segments=_outline_lines(Segment, report_id, "name"),
    )


def _outline_lines(model, report_id: int, field: str) -> list[OutlineLine]:
    languages = shown_languages()
    rank = {code: position for position, code in enumerate(languages)}
    rows = (
        model._parler_meta.root_model.objects.filter(
            master__report_id=report_id, language_code__in=languages
        )
        .order_by("master__position", "master_id")
        .values_list("master_id", "master__depth", "language_code", field)
    )
    lines: dict[int, tuple[int, int, str]] = {}  # in display order (dicts keep it)
    for master_id, depth, code, text in rows:
        current = lines.get(master_id)
        if current is None or rank[code] < current[1]:
            lines[master_id] = (depth, rank[code], text)
    return [OutlineLine(depth=depth, title=text) for depth, _rank, text in lines.values()]


def related_reports(report: Report, limit: int = RELATED_REPORTS) -> list:
    """Cards of other published reports like this one, kept per catalogue version.

    Those sharing a category first, then those in a parent category (or a sibling
    of it), then the publisher's, then the newest, so the section is never empty
    while the catalogue has other reports. Newest first within each. Reads
    report.categories.all() (prefetched by visible_report).
    """
    categories = [(category.pk, category.parent_id) for category in report.categories.all()]
    return related_cards(report.pk, report.publisher_id, categories, limit)


def related_cards(
    report_id: int, publisher_id: int, categories: list, limit: int = RELATED_REPORTS
) -> list:
    """related_reports() from ids: categories are (id, parent id) pairs."""
    return catalogue_memo.memoised(
        ("related", report_id, limit),
        lambda: cards.card_rows(_related_rows(report_id, publisher_id, categories, limit)),
    )


def _related_rows(report_id: int, publisher_id: int, categories: list, limit: int):
    """The related reports' card rows, closest first, in one query.

    One branch per closeness (a shared category, a parent's or sibling's category, the
    publisher, any), each the newest few of its kind, so PostgreSQL walks the newest
    first index and stops early instead of ranking the whole catalogue. Every branch
    before the one that fills the list held fewer than ``limit`` reports, so twice
    ``limit`` rows from each are enough to leave out the ones shown already.
    """
    category_ids = [pk for pk, _parent_id in categories]
    parent_ids = [parent_id for _pk, parent_id in categories if parent_id]
    through = Report.categories.through.objects
    conditions = []
    if category_ids:
        same = through.filter(report_id=OuterRef("pk"), category_id__in=category_ids)
        conditions.append(Q(Exists(same)))
    if parent_ids:
        family = through.filter(
            Q(category_id__in=parent_ids) | Q(category__parent_id__in=parent_ids),
            report_id=OuterRef("pk"),
        )
        conditions.append(Q(Exists(family)))
    conditions += [Q(publisher_id=publisher_id), Q()]
    others = Report.objects.published().exclude(pk=report_id)
    branches = [
        others.filter(condition)
        .order_by(*SORTS[DEFAULT_SORT])
        .values(*cards.ROW_FIELDS, closeness=Value(closeness, output_field=IntegerField()))[
            : 2 * limit
        ]
        for closeness, condition in enumerate(conditions)
    ]
    if connection.features.supports_slicing_ordering_in_compound:
        rows = branches[0].union(*branches[1:], all=True)
    else:  # SQLite (a local run): no LIMIT inside a UNION, one query per branch
        rows = [row for branch in branches for row in branch]
    ranked = sorted(rows, key=lambda row: (row["closeness"], _newest_key(row)))
    shown: dict[int, dict] = {}
    for row in ranked:
        if row["id"] not in shown:
            row.pop("closeness")
            shown[row["id"]] = row
            if len(shown) == limit:
                break
    return list(shown.values())


def _newest_key(row: dict) -> tuple:
    # SORTS["newest"]: the latest publication date first, then the highest id.
    return (-(row["published_on"].toordinal() if row["published_on"] else 0), -row["id"])


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
    return page_cache.seconds_until(_next_publication_at())


def seconds_until_next_visible_change() -> float:
    """Seconds until the next scheduled publication; infinity when none is scheduled."""
    next_at = _next_publication_at()
    if next_at is None:
        return float("inf")
    return page_cache.seconds_until(next_at)


def _next_publication_at():
    now = timezone.now()
    return Report.objects.filter(
        status__in=[ReportStatus.PUBLISHED, ReportStatus.SCHEDULED], publish_at__gt=now
    ).aggregate(next_at=Min("publish_at"))["next_at"]


@dataclass(frozen=True)
class EditorWorkload:
    drafts: int
    scheduled: int
    without_master: int  # no master PDF and not sold "delivered on order"
    behind: dict[str, int]  # language → reports whose translation is out of date


def editor_workload() -> EditorWorkload:
    """What waits for the editors, counted in 1 + one query per translated language."""
    counts = Report.objects.aggregate(
        drafts=Count("pk", filter=Q(status=ReportStatus.DRAFT)),
        scheduled=Count("pk", filter=Q(status=ReportStatus.SCHEDULED)),
        without_master=Count(
            "pk", filter=Q(master_pdf="") & ~Q(delivery_mode=DeliveryMode.ON_ORDER)
        ),
    )
    behind = {
        code: Report.objects.translation_behind_english(code).count()
        for code, _name in settings.LANGUAGES
        if code != settings.PARLER_DEFAULT_LANGUAGE_CODE
    }
    return EditorWorkload(behind=behind, **counts)


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
