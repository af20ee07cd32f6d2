"""Business steps of the catalogue."""

import html
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _

from reports import currencies, page_cache, pricing, product_page
from reports.chinese import to_traditional
from reports.models import (
    DeliveryMode,
    LicenseOption,
    Report,
    ReportStatus,
    Segment,
    TocEntry,
)
from reports.search_index import normalise_search_text
from reports.vocabulary import add_words_of_report


def build_search_text(
    *, product_code: str, publisher_name: str, texts: list[str]
) -> str:
    """The denormalised text a report is found by, in every language it has."""
    # Tags go, entities become characters: "Obstetrics &amp; Gynecology" is found by "&".
    parts = [product_code, publisher_name, *(html.unescape(strip_tags(text)) for text in texts)]
    return normalise_search_text(" \n".join(part for part in parts if part))


def lowest_price(options) -> tuple[Decimal | None, str]:
    """The stored "price from" (sorting, admin): the cheapest licence in the first of
    SHOP_CURRENCIES the report is priced in; prices in two currencies never compare."""
    option = pricing.lowest_option(list(options), currencies.sold_currencies()[0])
    if option is None:
        return None, ""
    return option.price, option.currency


def fill_listing(report: Report, *, publisher_name: str, translations, options) -> None:
    """Set a report's search text and "price from" (not saved) from its translations
    (every language it has) and licence options: what refresh_listing stores, for a
    writer that already holds them (the feed import, for a report it creates)."""
    texts = []
    for translation in translations:
        texts += [translation.title, translation.summary]
    report.search_text = build_search_text(
        product_code=report.product_code, publisher_name=publisher_name, texts=texts
    )
    report.price_from, report.price_currency = lowest_price(options)


@transaction.atomic
def refresh_listing(*, report_id: int, prepare_pages: bool = True) -> Report:
    """Recompute a report's search text and "price from" after an edit, and build its
    product page in every language (reports/product_page.py).

    Idempotent; changes only the denormalised columns and the prepared pages, and
    after commit marks the cached catalogue pages stale. ``prepare_pages=False`` (a
    bulk writer) leaves the pages to be built on their next request.
    """
    report = (
        Report.objects.select_related("publisher")
        .prefetch_related("translations")
        .select_for_update(of=("self",))
        .get(pk=report_id)
    )
    fill_listing(
        report,
        publisher_name=report.publisher.name,
        translations=report.translations.all(),
        options=LicenseOption.objects.filter(report_id=report_id),
    )
    Report.objects.filter(pk=report_id).update(
        search_text=report.search_text,
        price_from=report.price_from,
        price_currency=report.price_currency,
    )
    if prepare_pages:
        product_page.prepare_pages(report_id=report_id)
    else:
        product_page.pages_changed(Report.objects.filter(pk=report_id))
    add_words_of_report(report)  # "did you mean" learns a newly published title's words
    catalogue_changed_by_this_transaction()
    return report


# Set inside one_catalogue_change(): changes are noted there instead of announced.
_batched_change: ContextVar[list[bool] | None] = ContextVar("batched_catalogue_change",
                                                            default=None)


def catalogue_changed() -> None:
    """Every cached catalogue page is rebuilt on its next request."""
    noted = _batched_change.get()
    if noted is not None:
        noted[0] = True
        return
    page_cache.bump_catalogue_version()


def catalogue_changed_by_this_transaction() -> None:
    # Now, so this transaction's own reads see fresh pages, and again after commit,
    # so a page rebuilt from the old rows meanwhile is not kept.
    if _batched_change.get() is not None:
        catalogue_changed()  # announced once, when the batch ends
        return
    catalogue_changed()
    transaction.on_commit(catalogue_changed)


@contextmanager
def one_catalogue_change() -> Iterator[None]:
    """Many edits (a feed import), one invalidation of the cached catalogue pages.

    Inside, catalogue_changed() and catalogue_changed_by_this_transaction() only note
    that something changed; on leaving, if anything did, the catalogue version is
    bumped once (and once more after the enclosing transaction commits, if there is
    one). Leaving by an exception bumps too: the rows committed before it stay. Pages
    rebuilt during the batch from rows it committed may be served until it ends.
    """
    if _batched_change.get() is not None:  # already inside a batch: it announces
        yield
        return
    noted = [False]
    token = _batched_change.set(noted)
    try:
        yield
    finally:
        _batched_change.reset(token)
        if noted[0]:
            page_cache.bump_catalogue_version()
            if connection.in_atomic_block:
                transaction.on_commit(page_cache.bump_catalogue_version)


# --- Publication ---------------------------------------------------------------

# Where a report may go from each status. Nothing leaves "published" but archiving:
# a report buyers have seen (and bought) is withdrawn, never turned back into a draft.
STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    ReportStatus.DRAFT: frozenset({ReportStatus.SCHEDULED, ReportStatus.PUBLISHED}),
    ReportStatus.SCHEDULED: frozenset({ReportStatus.DRAFT, ReportStatus.PUBLISHED}),
    ReportStatus.PUBLISHED: frozenset({ReportStatus.ARCHIVED}),
    ReportStatus.ARCHIVED: frozenset({ReportStatus.DRAFT, ReportStatus.PUBLISHED}),
}
# A new report starts in any of these (a feed or an editor may publish at once).
INITIAL_STATUSES = frozenset(
    {ReportStatus.DRAFT, ReportStatus.SCHEDULED, ReportStatus.PUBLISHED}
)
# Statuses in which buyers see, or will see, the report: it must be complete.
LISTED_STATUSES = frozenset({ReportStatus.SCHEDULED, ReportStatus.PUBLISHED})

NEEDS_ENGLISH_TITLE = _(
    "A report needs an English title before it can be scheduled or published."
)
NEEDS_LICENCE_OPTION = _(
    "A report needs at least one licence option before it can be scheduled or published."
)
NEEDS_MASTER_OR_ON_ORDER = _(
    "A report needs its master PDF before it can be scheduled or published, or the "
    "delivery “delivered on order” with a promised number of business days: buyers "
    "must never pay for a file that does not exist."
)
NEEDS_FUTURE_TIME = _("A scheduled report needs a publish time in the future.")
PUBLISHED_IN_FUTURE = _(
    "This time is in the future: choose “Scheduled” to publish then, or clear the time "
    "to publish now."
)


class PublicationError(ValueError):
    """A status change that is not allowed; ``problems`` says why, for the editor."""

    def __init__(self, problems: list[str]):
        self.problems = [str(problem) for problem in problems]
        super().__init__(" ".join(self.problems))


def allowed_statuses(current: str | None) -> frozenset[str]:
    """The statuses a report in ``current`` may be given (itself included); None: a new report."""
    if current is None:
        return INITIAL_STATUSES
    return STATUS_TRANSITIONS[current] | {current}


def check_transition(current: str | None, new: str) -> None:
    """PublicationError unless STATUS_TRANSITIONS allows the move (None: a new report)."""
    if new in allowed_statuses(current):
        return
    names = {"new": str(ReportStatus(new).label).lower()}
    if current is None:
        problem = _("A new report cannot start as %(new)s.") % names
    else:
        names["current"] = str(ReportStatus(current).label).lower()
        problem = _("A report that is %(current)s cannot become %(new)s.") % names
    raise PublicationError([problem])


def can_be_delivered(*, has_master: bool, delivery_mode: str, delivery_days: int | None) -> bool:
    """Whether a paid order could be fulfilled: the master now, or a promise to deliver later."""
    if has_master:
        return True
    return delivery_mode == DeliveryMode.ON_ORDER and (delivery_days or 0) >= 1


def publication_problems(
    *,
    english_title: str,
    licence_option_count: int,
    has_master: bool,
    delivery_mode: str,
    delivery_days: int | None,
) -> list[str]:
    """What a report lacks before buyers may see it: an empty list when it is complete.

    Complete means an English title, a licence option, and something to deliver:
    the master PDF, or "delivered on order" with a promised time.
    """
    problems = []
    if not (english_title or "").strip():
        problems.append(NEEDS_ENGLISH_TITLE)
    if licence_option_count < 1:
        problems.append(NEEDS_LICENCE_OPTION)
    if not can_be_delivered(
        has_master=has_master, delivery_mode=delivery_mode, delivery_days=delivery_days
    ):
        problems.append(NEEDS_MASTER_OR_ON_ORDER)
    return problems


def publish_time_problem(*, status: str, publish_at: datetime | None, now: datetime):
    """What is wrong with a publish time for this status, or None.

    Scheduling needs a time to come; "published" with a time to come would hide
    the report until then, which is what "scheduled" is for.
    """
    if status == ReportStatus.SCHEDULED and (publish_at is None or publish_at <= now):
        return NEEDS_FUTURE_TIME
    if status == ReportStatus.PUBLISHED and publish_at is not None and publish_at > now:
        return PUBLISHED_IN_FUTURE
    return None


def publish_time_on_entering(
    status: str, *, publish_at: datetime | None, now: datetime
) -> datetime | None:
    """The publish time to store when a report enters ``status``: published now, if none."""
    if status == ReportStatus.PUBLISHED and publish_at is None:
        return now
    return publish_at


def english_title(report: Report) -> str:
    return report.safe_translation_getter(
        "title", language_code=settings.PARLER_DEFAULT_LANGUAGE_CODE, default=""
    )


def _locked_report(report_id: int) -> Report:
    return Report.objects.select_for_update(of=("self",)).get(pk=report_id)


def _check_publishable(report: Report) -> None:
    problems = publication_problems(
        english_title=english_title(report),
        licence_option_count=report.license_options.count(),
        has_master=report.has_master,
        delivery_mode=report.delivery_mode,
        delivery_days=report.delivery_days,
    )
    if problems:
        raise PublicationError(problems)


@transaction.atomic
def publish_now(*, report_id: int, now: datetime | None = None) -> Report:
    """Make a report visible to buyers from now on.

    Refuses (PublicationError) a report without an English title, a licence
    option, or anything to deliver (neither a master PDF nor "delivered on
    order"), or one whose status may not become published. A publish time in the
    future (or none) becomes now. Idempotent for a report already visible; marks
    the catalogue changed.
    """
    now = now or timezone.now()
    report = _locked_report(report_id)
    if report.status == ReportStatus.PUBLISHED and report.is_visible(now):
        return report
    check_transition(report.status, ReportStatus.PUBLISHED)
    _check_publishable(report)
    report.status = ReportStatus.PUBLISHED
    if report.publish_at is None or report.publish_at > now:
        report.publish_at = now  # now, not at the time it was scheduled for
    report.save(update_fields=["status", "publish_at", "updated_at"])
    catalogue_changed_by_this_transaction()
    return report


@transaction.atomic
def archive_report(*, report_id: int) -> Report:
    """Withdraw a published report from the catalogue; orders and links to it stay.

    Idempotent for an archived report; PublicationError for a draft or a scheduled
    one (there is nothing to withdraw: set it back to draft instead).
    """
    report = _locked_report(report_id)
    check_transition(report.status, ReportStatus.ARCHIVED)
    if report.status != ReportStatus.ARCHIVED:
        report.status = ReportStatus.ARCHIVED
        report.save(update_fields=["status", "updated_at"])
        catalogue_changed_by_this_transaction()
    return report


def publish_due_reports(*, now: datetime | None = None) -> int:
    """Turn scheduled reports whose time has come into published ones; how many.

    Buyers already see a due scheduled report (``Report.objects.published()``),
    so this only tidies the status for editors and lists. Idempotent: a second
    run finds nothing due. Marks the catalogue changed when it changed something.
    """
    now = now or timezone.now()
    published = Report.objects.filter(
        status=ReportStatus.SCHEDULED, publish_at__lte=now
    ).update(status=ReportStatus.PUBLISHED, updated_at=now)
    if published:
        catalogue_changed_by_this_transaction()
    return published


def category_changed(*, category_id: int) -> None:
    """A category renamed, moved or about to be deleted: the product pages of its
    reports (breadcrumb, JSON-LD, related reports) are built again on their next request."""
    product_page.pages_changed(Report.objects.filter(categories__id=category_id))
    catalogue_changed_by_this_transaction()


def publisher_changed(*, publisher_id: int) -> None:
    """A publisher renamed: its reports' product pages are built again on their next request."""
    product_page.pages_changed(Report.objects.filter(publisher_id=publisher_id))
    catalogue_changed_by_this_transaction()


# --- Translations ----------------------------------------------------------------


def mark_translation_reviewed(
    *, report_id: int, language_code: str, now: datetime | None = None
) -> bool:
    """Record that an editor checked this translation against the current English text.

    It is then no longer shown as behind, until the English changes again.
    Returns False when the report has no translation in that language.
    """
    translations = Report._parler_meta.root_model.objects
    updated = translations.filter(master_id=report_id, language_code=language_code).update(
        reviewed_at=now or timezone.now(), machine_converted=False
    )
    if updated:
        # A reviewed draft now shows to buyers (built on the next request, or by the
        # refresh_listing() that follows in the admin).
        product_page.pages_changed(Report.objects.filter(pk=report_id))
        catalogue_changed_by_this_transaction()
    return bool(updated)


TRADITIONAL, SIMPLIFIED = "zh-hant", "zh-hans"


@transaction.atomic
def draft_traditional_translation(*, report_id: int) -> bool:
    """Convert a report's simplified Chinese text into a traditional Chinese draft.

    Title, summary and meta description become a zh-hant translation marked
    machine-converted, which buyers do not see until an editor reviews it (until
    then a zh-hant page shows the fallback, saying so); TOC entries and segments
    without a traditional title get the converted one. A traditional text an editor
    wrote or reviewed is never overwritten. Returns whether a draft was written.
    """
    report = Report.objects.select_for_update().get(pk=report_id)
    translations = {item.language_code: item for item in report.translations.all()}
    simplified, traditional = translations.get(SIMPLIFIED), translations.get(TRADITIONAL)
    if simplified is None or (traditional is not None and not traditional.machine_converted):
        return False
    fields = {
        name: to_traditional(getattr(simplified, name))
        for name in ("title", "summary", "meta_description")
    }
    report.set_current_language(TRADITIONAL)
    for name, value in fields.items():
        setattr(report, name, value)
    report.save_translations()
    Report._parler_meta.root_model.objects.filter(
        master_id=report_id, language_code=TRADITIONAL
    ).update(machine_converted=True, reviewed_at=None)
    for model, field in ((TocEntry, "title"), (Segment, "name")):
        _draft_traditional_titles(model, field, report_id)
    refresh_listing(report_id=report_id)  # search text; and the cached pages go stale
    return True


def _draft_traditional_titles(model, field: str, report_id: int) -> None:
    translation_model = model._parler_meta.root_model
    rows = translation_model.objects.filter(master__report_id=report_id)
    done = set(rows.filter(language_code=TRADITIONAL).values_list("master_id", flat=True))
    translation_model.objects.bulk_create(
        translation_model(
            master_id=row.master_id, language_code=TRADITIONAL,
            **{field: to_traditional(getattr(row, field))},
        )
        for row in rows.filter(language_code=SIMPLIFIED)
        if row.master_id not in done
    )
