"""One row (decode, plan, write in its own transaction) and the whole feed."""

import gc
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.db import DatabaseError, connection, reset_queries, transaction
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from reports import importing as package
from reports import services
from reports.vocabulary import rebuild_search_words
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
from reports.importing.plan import ImportOptions, Plan, plan_report, validate_plan
from reports.importing.stored import locked_reports
from reports.importing.write import (
    can_write_together,
    write_new_publisher,
    write_new_reports,
    write_plan,
)

logger = logging.getLogger(__name__)


# --- One row, and the whole feed ------------------------------------------------------


@dataclass
class Chunk:
    """Rows imported in one transaction (see import_feed)."""

    stored: dict  # product code → stored report, locked (locked_reports)
    new_publishers: dict = field(default_factory=dict)  # id → name, stored by its rows
    new_plans: list = field(default_factory=list)  # inserted together at the end
    kept_files: list = field(default_factory=list)  # stored by its rows


class ChunkBroken(Exception):
    """A row's checks hit a database error outside any savepoint of its own: the
    chunk's transaction cannot go on, so its rows are imported one by one."""


def import_row(raw: RawRow, decode, options: ImportOptions, seen: dict[str, str],
               chunk: Chunk | None = None) -> RowResult:
    """Decode, check and write one row in its own transaction (a savepoint inside the
    ``chunk``'s); never raises for bad data.

    ``seen`` maps the product codes of earlier rows to their labels: a report given
    twice is most likely a mistake, and the later row would silently win. A row that
    breaks the importer itself is logged and reported as failed, and the feed goes on.
    In a chunk, a checked new report without files is left to the chunk to insert
    with the others (write_new_reports).
    """
    try:
        return _import_row(raw, decode, options, seen, chunk)
    except ChunkBroken:
        raise
    except Exception:
        logger.exception("feed row %s (%s) broke the import", raw.label, raw.product_code_hint)
        return RowResult(raw.label, raw.product_code_hint, Outcome.FAILED, errors=[FieldError(
            None, _("This row could not be imported because of an error in the importer; "
                    "it has been logged. The other rows were imported."))])


def _import_row(raw: RawRow, decode, options: ImportOptions, seen: dict[str, str],
                chunk: Chunk | None) -> RowResult:
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
        if chunk is None:
            with transaction.atomic():  # locks the stored report for this row
                plan = _checked_plan(item, options, errors, None)
                _write_row(plan, options, stored_files)
        else:
            # The chunk locked its stored reports already, and checking a row only
            # reads: a savepoint (two round trips) is opened only for a row that
            # writes now. New reports wait for the chunk's INSERTs.
            # A dry run writes its chunk as the import would, and the chunk's
            # transaction takes it all back (_import_chunk).
            try:
                plan = _checked_plan(item, options, errors, chunk.stored)
            except DatabaseError as error:
                raise ChunkBroken from error
            if can_write_together(plan):
                if plan.new_publisher is not None:
                    # Stored now, in the row's savepoint, so that the report can go
                    # in with the chunk's others and the next rows find it.
                    with transaction.atomic():
                        write_new_publisher(plan)
                    _remember_new_publisher(plan, options, chunk)
                chunk.new_plans.append(plan)
            elif plan.changed:
                with transaction.atomic():
                    _write_row(plan, options, stored_files, in_chunk=True)
                _remember_new_publisher(plan, options, chunk)
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
    if chunk is not None:
        chunk.kept_files += stored_files
    outcome = (Outcome.CREATED if plan.is_new
               else Outcome.UPDATED if plan.changed else Outcome.UNCHANGED)
    changes = [] if plan.is_new else _unique(errors.names.label(key) for key in plan.changes)
    return RowResult(raw.label, code, outcome, changes=changes, notes=plan.notes)


def _checked_plan(item, options: ImportOptions, errors: RowErrors, stored) -> Plan:
    plan = plan_report(item, options, errors, stored)
    validate_plan(plan, errors)
    if errors:
        raise RowInvalid(errors.items)
    return plan


def _write_row(plan: Plan, options: ImportOptions, stored_files: list, *,
               in_chunk: bool = False) -> None:
    """Write a checked plan inside the row's own transaction or savepoint."""
    if not plan.changed:
        return
    if options.dry_run:
        # A dry run writes too, so the database has its say (constraints, locks),
        # and then takes it all back: a row of its own now, a chunk's row with the
        # chunk. No file is stored, no listing refreshed, no cached page touched.
        write_plan(plan, stored_files=None)
        if not in_chunk:
            transaction.set_rollback(True)
        return
    write_plan(plan, stored_files)
    if plan.is_new:  # its listing was filled before the INSERT
        services.catalogue_changed_by_this_transaction()
    else:
        # Its product page is built on its next request, not per row.
        services.refresh_listing(report_id=plan.report.pk, prepare_pages=False)


def _remember_new_publisher(plan: Plan, options: ImportOptions, chunk: Chunk) -> None:
    """The chunk's next rows naming the publisher a row created find it without a
    query (forgotten again should the chunk not commit, or a dry run's be rolled
    back: see _import_chunk)."""
    publisher = plan.new_publisher
    if publisher is not None and publisher.pk is not None:
        options.publisher_ids[publisher.name.lower()] = publisher.pk
        options.publisher_names[publisher.pk] = publisher.name
        chunk.new_publishers[publisher.pk] = publisher.name


def _unique(names: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(names))


def _failed(raw: RawRow, code: str, errors: RowErrors) -> RowResult:
    return RowResult(raw.label, code, Outcome.FAILED, errors=list(errors.items))


def _remove_files(stored_files: list) -> None:
    """Files stored for a row whose transaction was rolled back would be orphans."""
    for storage, name in stored_files:
        storage.delete(name)


# Rows committed together: one COMMIT (a flush of the write-ahead log) per chunk
# instead of one per row. Each row keeps its own savepoint, so a row with an error
# still writes nothing and the rows around it are kept (bench/README.md).
CHUNK_ROWS = 100


def import_feed(
    feed: Feed,
    *,
    dry_run: bool = False,
    publish: bool = False,
    base_dir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportSummary:
    """Upsert every row of ``feed`` by product code; a row with an error writes nothing.

    Rows are committed in chunks of CHUNK_ROWS, each row in a savepoint of its own: a
    failed row is rolled back alone and the others are kept. Should a chunk fail to
    commit, its rows are imported again one transaction each, so the outcome is the
    same as row by row. Idempotent: a second run of the same feed writes nothing and
    counts every row as unchanged. A dry run reports the same outcomes and errors and
    leaves the database as it was. Each written row has its listing refreshed (search
    text, price from); the cached catalogue pages are marked stale once, at the end.
    """
    options = ImportOptions(dry_run=dry_run, publish=publish, base_dir=base_dir,
                            category_ids=dict(Category.objects.values_list("slug", "id")))
    summary = ImportSummary(dry_run=dry_run, publish=publish)
    decode, seen = DECODERS[feed.format], {}
    rows = feed.rows
    # The trigram search index stays in place. Dropping it for a large load and
    # building it once at the end, as seed_catalog does, gained nothing here (GIN's
    # pending list keeps each insert cheap; bench/README.md), while searches on the
    # live site would scan the table meanwhile.
    with services.one_catalogue_change(), _feed_left_out_of_collections():
        for start in range(0, len(rows), CHUNK_ROWS):
            summary.rows += _import_chunk(rows[start:start + CHUNK_ROWS], decode, options, seen)
            reset_queries()  # with DEBUG on, Django would keep every statement
            if progress:
                for done in range(start + 1, min(start + CHUNK_ROWS, len(rows)) + 1):
                    progress(done, len(rows))
    if not dry_run and len(rows) >= package.ANALYZE_THRESHOLD:
        analyze_catalogue_tables()
    if not dry_run and (summary.count("created") or summary.count("updated")):
        # Rows are written in bulk, past refresh_listing(): "did you mean" learns the
        # imported titles' words here, once per import.
        rebuild_search_words()
    return summary


@contextmanager
def _feed_left_out_of_collections() -> Iterator[None]:
    """The objects alive when the import starts (the parsed feed: millions for 10,000
    rows) are left out of the garbage collector's passes until it ends.

    Each row makes many short-lived objects, and each full collection scanned the
    whole feed again; they are not garbage (the feed is read until the end), so
    nothing is kept longer than it would be. gc.freeze() is process-wide: what other
    threads hold at that moment is left out of the passes too, until the end.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _import_chunk(rows: list[RawRow], decode, options: ImportOptions,
                  seen: dict[str, str]) -> list[RowResult]:
    """Rows in one transaction, each in its own savepoint, new reports inserted together
    at the end; should that or the commit fail, row by row, one transaction each."""
    seen_before, publishers_before = dict(seen), dict(options.publisher_ids)
    chunk = None
    try:
        with transaction.atomic():
            chunk = Chunk(stored=locked_reports([raw.product_code_hint for raw in rows]))
            results = [import_row(raw, decode, options, seen, chunk) for raw in rows]
            if chunk.new_plans:
                write_new_reports(chunk.new_plans)
                if not options.dry_run:
                    services.catalogue_changed_by_this_transaction()
            if options.dry_run:
                # Written as the import would write them, so that the database has
                # its say; then the whole chunk is taken back, the publishers it
                # created too: the next chunk creates them again, without a note.
                transaction.set_rollback(True)
                options.noted_publishers |= {name.lower() for name in chunk.new_publishers.values()}
                options.publisher_ids = {name: publisher_id for name, publisher_id
                                         in options.publisher_ids.items()
                                         if publisher_id not in chunk.new_publishers}
        return results
    except Exception:
        # Every row passed its own checks, so the database refused the reports inserted
        # together, or the commit (rare): nothing of the chunk is stored. Each row
        # gets its own transaction and so its own answer.
        logger.warning("a chunk of %d feed rows did not commit; importing them one by one",
                       len(rows), exc_info=True)
        if chunk is not None:
            _remove_files(chunk.kept_files)
        seen.clear()
        seen.update(seen_before)
        options.publisher_ids = publishers_before
        return [import_row(raw, decode, options, seen) for raw in rows]
    except BaseException:
        if chunk is not None:
            _remove_files(chunk.kept_files)
        raise


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
