"""A report's product page, prepared when the listing is saved.

What a product page shows of the report (summary, key figures, segmentation, table of
contents, look inside, FAQ, the SEO head and JSON-LD) changes only when an editor
changes the report, so it is rendered then, once per language, and stored beside it
(PreparedPage), as the search text is. A request reads one row and fills the slots
left in it with what changes per request or per catalogue version: the prices in the
buyer's currency (reports/pricing.py) and the related reports (reports/catalogue_memo.py).

Every edit of what the page shows raises the report's ``page_revision``: the services
that make the edit (refresh_listing, save_outline, the sample pages, a category or
publisher renamed) build the pages again at once, or leave them to the next request
(bulk writers: the feed import, seed_catalog). A row of an older revision, or built
with other templates, translations or settings (its fingerprint), is never shown: it
is built again first. ``manage.py prepare_report_pages`` builds the missing ones.
"""

import dataclasses
import functools
import hashlib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import F
from django.http import Http404
from django.template.loader import get_template, render_to_string
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import override

from reports import cards, catalogue_memo, page_cache, pricing, selectors, seo
from reports.models import LicenseOption, PreparedPage, Report, is_visible
from reports.outline import outline_tree
from reports.templatetags.prices import price_context

# Raise when what is stored changes shape or meaning.
FORMAT = 1
PAGE_TEMPLATE = "reports/report_detail.html"
OUTLINE_TEMPLATE = "reports/report_outline.html"
# The templates a prepared page is rendered from: a change to any of them (a deploy)
# makes every stored page stale.
PREPARED_TEMPLATES = (
    PAGE_TEMPLATE,
    OUTLINE_TEMPLATE,
    "reports/report_faq.html",
    "includes/key_statistics.html",
    "includes/delivery_promise.html",
    "includes/price_from.html",
    "includes/price.html",
    "includes/licence_comparison.html",
    "includes/license_table.html",
)
# Comments, so a slot left unfilled shows nothing.
PRICED_SLOTS = ("price_from", "licence_compare", "licence_box")
SLOTS = (*PRICED_SLOTS, "related")
SLOT_MARKS = {name: mark_safe(f"<!--product-page-slot:{name}-->") for name in SLOTS}


# --- Staleness -----------------------------------------------------------------------


@functools.cache
def _code_fingerprint() -> str:
    """The templates, compiled translations and head fields of this process, hashed once."""
    digest = hashlib.sha256(str(FORMAT).encode())
    # The stored head is PageHead's fields: another set of fields is another format.
    digest.update(repr([field.name for field in dataclasses.fields(seo.PageHead)]).encode())
    for name in PREPARED_TEMPLATES:
        origin = get_template(name).origin.name
        digest.update(Path(origin).read_bytes())
    # Contents, not times: every host of a deploy agrees on them.
    for path in sorted(Path(settings.BASE_DIR, "locale").glob("*/LC_MESSAGES/django.mo")):
        digest.update(path.parent.parent.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def fingerprint(language: str) -> str:
    """What a page in this language was built with besides the report: templates,
    translations, the languages it falls back to, the shop's currencies, exchange rates,
    tax wording and address."""
    parts = (
        _code_fingerprint(),
        selectors.shown_languages(language),
        settings.SHOP_CURRENCIES,
        settings.SHOP_DEFAULT_CURRENCIES,
        settings.SHOP_EXCHANGE_RATES,
        settings.INVOICE_TAX_RATE,
        settings.INVOICE_TAX_LABEL,
        settings.SITE_URL,
        settings.SHOP_NAME,
        [code for code, _name in settings.LANGUAGES],  # the names are lazy translations
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


# --- Building ------------------------------------------------------------------------


@dataclass
class Prepared:
    """A product page as stored (PreparedPage's fields)."""

    title: str
    description: str
    html: str
    head: dict
    data: dict


def prepare(report: Report) -> Prepared:
    """The page of a report loaded by selectors (visible_report, report_for_preview) in
    the active language: no query but the outline's two."""
    language = get_language()
    license_options = list(report.license_options.all())
    categories = list(report.categories.all())
    sample_pages = list(report.sample_pages.all())
    # The FAQ lists the licences in the order the language's buyers see them.
    chosen = pricing.choose_options(license_options, pricing.default_currency(language))
    shown_language = report.shown_language
    question_url = _contact_url(report.product_code, "question")
    sample_url = _contact_url(report.product_code, "sample")
    outline = selectors.report_outline(report.pk)
    outline_html = render_to_string(
        OUTLINE_TEMPLATE,
        {
            "toc_open": outline.toc[: selectors.TOC_PREVIEW_ENTRIES],
            "toc_more": outline.toc[selectors.TOC_PREVIEW_ENTRIES :],
            "segments": outline_tree(outline.segments),
            "shown_language": shown_language,
            "has_sample": bool(sample_pages),
            "sample_url": sample_url,
        },
    )
    context = {
        "report": report,
        "key_statistics": list(report.key_statistics.all()),
        "license_options": chosen,
        "sample_pages": sample_pages,
        "outline": {
            "html": mark_safe(outline_html),
            "has_segments": bool(outline.segments),
            "has_toc": bool(outline.toc),
        },
        "categories": [{"slug": category.slug, "name": str(category)} for category in categories],
        "shown_language": shown_language,
        "question_url": question_url,
        "sample_url": sample_url,
        "slots": SLOT_MARKS,
    }
    description = seo.description_of(report)
    path = report.get_absolute_url()
    product = seo.product_data(
        report=report,
        license_options=license_options,
        categories=categories,
        url=seo.absolute_url(path),
        description=description,
    )
    head = seo.page_head(
        path=path, title=report.title, description=description, og_type="product", data=product
    )
    prepared = Prepared(
        title=report.title,
        description=description,
        html=render_to_string(PAGE_TEMPLATE, context),
        head=vars(head),
        data={
            "slug": report.slug,
            "options": [
                [option.pk, option.license_type, str(option.price), option.currency]
                for option in license_options
            ],
            "delivered_on_order": report.delivered_on_order,
            "is_purchasable": report.is_purchasable,
            "delivery_days": report.delivery_days,
            "publisher_id": report.publisher_id,
            "categories": [[category.pk, category.parent_id] for category in categories],
        },
    )
    # The prices as most buyers of this language see them (its default currency);
    # buyers who chose another currency get theirs rendered per request.
    currency = pricing.default_currency(language)
    prepared.data["priced"] = {currency: _priced_slots(prepared.data, report.pk, currency)}
    return prepared


def _contact_url(product_code: str, kind: str) -> str:
    # The contact form with the report and the kind preset, the same for every visitor.
    return f"{reverse('inquiries:contact')}?{urlencode({'report': product_code, 'kind': kind})}"


def _store(report_id: int, revision: int, language: str, prepared: Prepared) -> None:
    PreparedPage.objects.bulk_create(
        [
            PreparedPage(
                report_id=report_id,
                language_code=language,
                revision=revision,
                fingerprint=fingerprint(language),
                **vars(prepared),
            )
        ],
        update_conflicts=True,
        unique_fields=["report", "language_code"],
        update_fields=["revision", "fingerprint", "title", "description", "html", "head", "data"],
    )


def prepare_pages(*, report_id: int) -> int:
    """Raise a report's page revision and build its page in every language now.

    For an edit of one report (admin, outline, sample pages): the first request after
    it reads the new page. Returns the new revision.
    """
    Report.objects.filter(pk=report_id).update(page_revision=F("page_revision") + 1)
    revision = Report.objects.filter(pk=report_id).values_list("page_revision", flat=True).first()
    if revision is None:
        return 0
    for language, _name in settings.LANGUAGES:
        with override(language):
            report = selectors.report_for_preview_by_id(report_id)
            if report.shown_language is None:
                # Nothing to show in this language yet (a draft with a Chinese title
                # only): no page, and none of an older text either.
                PreparedPage.objects.filter(report_id=report_id, language_code=language).delete()
                continue
            _store(report_id, revision, language, prepare(report))
    return revision


def pages_changed(reports) -> int:
    """Raise the page revision of many reports (a queryset), built on their next request:
    for bulk writers and for edits shown on many pages (a category renamed)."""
    return reports.update(page_revision=F("page_revision") + 1)


def prepare_missing(*, progress=None) -> int:
    """Build every page that is missing or stale, in every language; how many."""
    revisions = dict(Report.objects.order_by("pk").values_list("pk", "page_revision"))
    built = 0
    for language, _name in settings.LANGUAGES:
        current = fingerprint(language)
        stored = {
            report_id: (revision, built_with)
            for report_id, revision, built_with in PreparedPage.objects.filter(
                language_code=language
            ).values_list("report_id", "revision", "fingerprint")
        }
        with override(language):
            for report_id, revision in revisions.items():
                if stored.get(report_id) == (revision, current):
                    continue
                report = selectors.report_for_preview_by_id(report_id)
                if report is None or report.shown_language is None:  # deleted, or no text
                    continue
                _store(report_id, revision, language, prepare(report))
                built += 1
                if progress:
                    progress(built)
    return built


# --- Serving -------------------------------------------------------------------------


def stored_content(product_code: str) -> page_cache.CatalogueContent:
    """A published report's page in the active language: one query when its prepared
    page is current, and the prepared page built (and stored) when it is not."""
    language = get_language()
    row = selectors.prepared_row(product_code, language)
    if row is not None:
        if not is_visible(row.status, row.publish_at):
            raise Http404(_("There is no published report with this product code."))
        if row.revision == row.page_revision and row.fingerprint == fingerprint(language):
            prepared = Prepared(row.title, row.description, row.html, row.head, row.data)
            return content(prepared, report_id=row.report_id)
    # Never prepared (a bulk load), or stale: built from the report now, and kept.
    revision = Report.objects.filter(product_code=product_code).values_list(
        "page_revision", flat=True
    ).first()
    report = selectors.visible_report(product_code)
    if report is None:
        raise Http404(_("There is no published report with this product code."))
    prepared = prepare(report)
    # The revision read first: an edit meanwhile raised it, so this row is built again.
    _store(report.pk, revision, language, prepared)
    return content(prepared, report_id=report.pk)


def content(prepared: Prepared, *, report_id: int) -> page_cache.CatalogueContent:
    """The page's content: the prepared HTML with this request's slots filled."""
    data = prepared.data
    currency = pricing.active_currency()
    priced = data["priced"].get(currency)
    if priced is None:  # a currency the page was not prepared for: rendered now
        priced = _priced_slots(data, report_id, currency)
    html = prepared.html
    for name, value in zip(PRICED_SLOTS, priced):
        html = html.replace(SLOT_MARKS[name], value, 1)
    html = html.replace(SLOT_MARKS["related"], _related_html(data, report_id, currency), 1)
    return page_cache.CatalogueContent(
        title=prepared.title,
        meta_description=prepared.description,
        html=html,
        head=seo.PageHead(**prepared.head),
        facts={"slug": data["slug"]},
    )


@dataclass(frozen=True)
class _Licensing:
    """What the licence box reads of a report."""

    delivered_on_order: bool
    is_purchasable: bool
    delivery_days: int


def _priced_slots(data: dict, report_id: int, currency: str) -> list[str]:
    """The price from, the licence comparison and the licence box for a buyer of
    ``currency`` (PRICED_SLOTS, in order)."""
    options = [
        LicenseOption(
            pk=pk, report_id=report_id, license_type=kind, price=Decimal(price), currency=code
        )
        for pk, kind, price, code in data["options"]
    ]
    with pricing.rendering_in(currency):
        chosen = pricing.choose_options(options, currency)
        price_from = compare = ""
        if chosen:
            lowest = pricing.lowest_option(options, currency)
            price_from = render_to_string("includes/price_from.html", price_context(lowest))
            compare = render_to_string("includes/licence_comparison.html", {"options": chosen})
        licensing = _Licensing(
            delivered_on_order=data["delivered_on_order"],
            is_purchasable=data["is_purchasable"],
            delivery_days=data["delivery_days"],
        )
        box = render_to_string(
            "includes/license_table.html",
            {
                "report": licensing,
                "license_options": chosen,
                "prices_include_tax": settings.INVOICE_TAX_RATE > 0,
                "tax_label": settings.INVOICE_TAX_LABEL,
                "tax_rate": settings.INVOICE_TAX_RATE,
                # Shared content: page_cache swaps in each buyer's own token.
                "csrf_token": page_cache.CSRF_PLACEHOLDER,
            },
        )
    return [price_from, compare, box]


def _related_html(data: dict, report_id: int, currency: str) -> str:
    """The related reports with their prices, kept per catalogue version, language and
    currency: they change with other reports, never with this one's edits alone."""

    def build():
        related = selectors.related_cards(
            report_id, data["publisher_id"], [tuple(pair) for pair in data["categories"]]
        )
        shown = cards.rendered(related)
        if not shown:
            return ""
        return format_html(
            '<section class="home-section related" aria-labelledby="related-heading">\n'
            '  <h2 id="related-heading">{}</h2>\n'
            '  <div class="report-grid">\n    {}\n  </div>\n</section>\n',
            _("Related reports"),
            mark_safe("".join(shown)),
        )

    return catalogue_memo.memoised(("related_html", report_id, currency), build)
