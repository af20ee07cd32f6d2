"""One row (decode, plan, write in its own transaction) and the whole feed."""

import logging
from collections.abc import Callable, Iterable
from pathlib import Path

from django.db import DatabaseError, connection, reset_queries, transaction
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from reports import importing as package
from reports import services
from reports.models import (
    Category,
    KeyStatistic,
    LicenseOption,
    Publisher,
    Report,
    TocEntry,
)
from reports.importing.common import (
    FieldError,
    ImportSummary,
    Outcome,
    ReportTranslation,
    RowErrors,
    RowInvalid,
    RowResult,
    TocTranslation,
)
from reports.importing.read import Feed, RawRow
from reports.importing.decode import DECODERS
from reports.importing.plan import ImportOptions, plan_report, validate_plan
from reports.importing.write import write_plan

logger = logging.getLogger(__name__)


# --- One row, and the whole feed ------------------------------------------------------


def import_row(raw: RawRow, decode, options: ImportOptions, seen: dict[str, str]) -> RowResult:
    """Decode, check and write one row in its own transaction; never raises for bad data.

    ``seen`` maps the product codes of earlier rows to their labels: a report given
    twice is most likely a mistake, and the later row would silently win. A row that
    breaks the importer itself is logged and reported as failed, and the feed goes on.
    """
    try:
        return _import_row(raw, decode, options, seen)
    except Exception:
        logger.exception("feed row %s (%s) broke the import", raw.label, raw.product_code_hint)
        return RowResult(raw.label, raw.product_code_hint, Outcome.FAILED, errors=[FieldError(
            None, _("This row could not be imported because of an error in the importer; "
                    "it has been logged. The other rows were imported."))])


def _import_row(raw: RawRow, decode, options: ImportOptions, seen: dict[str, str]) -> RowResult:
    item, errors = decode(raw)
    code = item.product_code if item else raw.product_code_hint
    if item and code in seen:
        errors.add("product_code", _("This report was given already (%(row)s); a feed gives "
                                     "each report once.") % {"row": seen[code]})
    elif item:
        seen[code] = raw.label
    if errors:
        return _failed(raw, code, errors)
    stored_files: list = []
    try:
        with transaction.atomic():
            plan = plan_report(item, options, errors)
            validate_plan(plan, errors)
            if errors:
                raise RowInvalid(errors.items)
            if plan.changed and not options.dry_run:
                write_plan(plan, stored_files)
                services.refresh_listing(report_id=plan.report.pk)
            elif plan.changed:
                # A dry run writes too, so the database has its say (constraints,
                # locks), and then takes it all back.
                write_plan(plan, stored_files=None)
                transaction.set_rollback(True)
    except RowInvalid:
        return _failed(raw, code, errors)
    except DatabaseError as error:
        _remove_files(stored_files)
        errors.add(None, _("The database refused the row: %(reason)s")
                   % {"reason": Truncator(str(error).strip()).chars(300)})
        return _failed(raw, code, errors)
    except BaseException:
        _remove_files(stored_files)
        raise
    outcome = (Outcome.CREATED if plan.is_new
               else Outcome.UPDATED if plan.changed else Outcome.UNCHANGED)
    changes = [] if plan.is_new else _unique(errors.names.label(key) for key in plan.changes)
    return RowResult(raw.label, code, outcome, changes=changes, notes=plan.notes)


def _unique(names: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(names))


def _failed(raw: RawRow, code: str, errors: RowErrors) -> RowResult:
    return RowResult(raw.label, code, Outcome.FAILED, errors=list(errors.items))


def _remove_files(stored_files: list) -> None:
    """Files stored for a row whose transaction was rolled back would be orphans."""
    for storage, name in stored_files:
        storage.delete(name)


def import_feed(
    feed: Feed,
    *,
    dry_run: bool = False,
    publish: bool = False,
    base_dir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportSummary:
    """Upsert every row of ``feed`` by product code, each row in its own transaction.

    Idempotent: a second run of the same feed writes nothing and counts every row
    as unchanged. A failed row writes nothing and the others are kept. A dry run
    reports the same outcomes and errors and leaves the database as it was. Each
    written row has its listing refreshed (search text, price from), which marks
    the cached catalogue pages stale.
    """
    options = ImportOptions(dry_run=dry_run, publish=publish, base_dir=base_dir,
                            category_ids=dict(Category.objects.values_list("slug", "id")))
    summary = ImportSummary(dry_run=dry_run, publish=publish)
    decode, seen = DECODERS[feed.format], {}
    # The trigram search index stays in place. Dropping it for a large load and
    # building it once at the end, as seed_catalog does, gained nothing here (rows are
    # committed one by one and GIN's pending list keeps each update cheap; bench/
    # README.md), while searches on the live site would scan the table meanwhile.
    for done, raw in enumerate(feed.rows, start=1):
        summary.rows.append(import_row(raw, decode, options, seen))
        reset_queries()  # with DEBUG on, Django would keep every statement
        if progress:
            progress(done, len(feed.rows))
    if not dry_run and len(feed.rows) >= package.ANALYZE_THRESHOLD:
        analyze_catalogue_tables()
    return summary


def analyze_catalogue_tables() -> None:
    """Refresh PostgreSQL's statistics of every table a feed writes (others: nothing).

    Without them, after a large first import, PostgreSQL reads a report's table of
    contents by scanning every stored TOC line: 270 ms a row at 10,000 reports instead
    of well under 1 ms (bench/README.md). Autovacuum catches up in time; the
    catalogue's pages and the next import should not have to wait for it.
    """
    if connection.vendor != "postgresql":
        return
    models = (Report, ReportTranslation, Report.categories.through, KeyStatistic,
              LicenseOption, TocEntry, TocTranslation, Publisher)
    tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in models)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")
