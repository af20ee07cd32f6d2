"""Step 4, write: only what a plan found different is saved, through the ORM so that
save signals run. New reports of a chunk are inserted together (write_new_reports),
with the save signals sent for each row as a save would send them."""

from django.core.files import File
from django.db import connection
from django.db.models.signals import post_save, pre_save
from django.utils import timezone

from reports import services
from reports.models import KeyStatistic, LicenseOption, Report, TocEntry
from reports.importing.common import ReportTranslation, TocTranslation
from reports.importing.decode import LicenceInput, StatisticInput
from reports.importing.inserts import insert_outline, insert_values
from reports.importing.plan import PdfFile, Plan
from reports.importing.stored import TocLine, translations_by_language


# --- Step 4: writing ----------------------------------------------------------------


def write_plan(plan: Plan, stored_files: list | None) -> None:
    """Save what the plan changes. ``stored_files`` None (a dry run): no file is stored."""
    report = plan.report
    write_new_publisher(plan)
    for name, pdf in plan.files.items():
        stored = pdf.name if stored_files is None else _store_pdf(report, name, pdf, stored_files)
        setattr(report, name, stored)
    # Saves the changed translations too (parler), after the report row.
    if plan.is_new:
        # Everything the listing is built from is in the plan: no refresh_listing()
        # (four queries) after the INSERT.
        services.fill_listing(report, publisher_name=plan.publisher_name,
                              translations=plan.translations, options=plan.licences or [])
        report.save()
    elif plan.changes:
        # Children and translations count as an edit of the listing too.
        report.save(update_fields=sorted({*plan.report_fields, "updated_at"}))
    if plan.category_ids is not None and plan.is_new:
        report.categories.add(*plan.category_ids)  # nothing to compare with: one INSERT
    elif plan.category_ids is not None:
        report.categories.set(plan.category_ids)
    if plan.statistics is not None:
        _write_statistics(report, plan.statistics, _stored(plan, "key_statistics"))
    if plan.licences is not None:
        _write_licences(report, plan.licences, _stored(plan, "license_options"))
    if plan.toc is not None:
        entries = [] if plan.is_new else list(
            TocEntry.objects.filter(report=report).prefetch_related("translations"))
        _write_toc(report, plan.toc, entries)


def write_new_publisher(plan: Plan) -> None:
    """Store the publisher the row names when it is new (once) and point the report at it."""
    if plan.new_publisher is None:
        return
    if plan.new_publisher.pk is None:
        plan.new_publisher.save()
    plan.report.publisher = plan.new_publisher


def can_write_together(plan: Plan) -> bool:
    """Whether a plan's report can go into write_new_reports(): a new report with no
    file to store (those go one by one). A publisher it names for the first time is
    stored before, in the row's own savepoint (write_new_publisher)."""
    return plan.is_new and not plan.files


def write_new_reports(plans: list[Plan]) -> None:
    """Insert the new reports of ``plans`` (see can_write_together) and everything they
    hold with one INSERT per table.

    The pre_save and post_save signals of the reports and their translations are sent
    for each row, as save() would send them (summary cleaning, text timestamps), and
    the translations of a report share one edit time, as in Report.save_translations.
    Their listing (search text, price from) is filled before the INSERT.
    """
    if not plans:
        return
    using = connection.alias
    now = timezone.now()
    reports = [plan.report for plan in plans]
    for plan in plans:
        services.fill_listing(plan.report, publisher_name=plan.publisher_name,
                              translations=plan.translations, options=plan.licences or [])
        _send(pre_save, plan.report, using)
    Report.objects.bulk_create(reports)
    translations = []
    for plan in plans:
        plan.report._text_edit_time = now  # read by the translations' pre_save hook
        for translation in plan.translations:
            translation.master = plan.report
            _send(pre_save, translation, using)
            translations.append(translation)
        del plan.report._text_edit_time
    ReportTranslation.objects.bulk_create(translations)
    for report in reports:
        _send(post_save, report, using, created=True)
    for translation in translations:
        _send(post_save, translation, using, created=True)
    # The children as plain values (reports.importing.inserts): no model instances.
    insert_values(Report.categories.through, ("report", "category"), [
        (plan.report.pk, category_id)
        for plan in plans for category_id in sorted(plan.category_ids or ())
    ])
    insert_values(KeyStatistic, STATISTIC_COLUMNS, [
        _statistic_values(plan.report.pk, position, statistic)
        for plan in plans for position, statistic in enumerate(plan.statistics or (), start=1)
    ])
    insert_values(LicenseOption, ("report", "license_type", "price", "currency"), [
        (plan.report.pk, licence.license_type, licence.price, licence.currency)
        for plan in plans for licence in plan.licences or ()
    ])
    insert_outline(TocEntry, [
        (plan.report.pk, position, line.depth, line.titles)
        for plan in plans for position, line in enumerate(plan.toc or (), start=1)
    ])


def _send(signal, instance, using: str, **extra) -> None:
    signal.send(sender=type(instance), instance=instance, raw=False, using=using,
                update_fields=None, **extra)


STATISTIC_COLUMNS = ("report", "kind", "position", "year", "amount", "currency", "percentage")


def _statistic_values(report_id: int, position: int, statistic: StatisticInput) -> tuple:
    return (report_id, statistic.kind, position, statistic.year, statistic.amount,
            statistic.currency or "", statistic.percentage)


def _stored(plan: Plan, related_name: str) -> list:
    """A stored report's rows as prefetched when it was locked; none for a new one."""
    return [] if plan.is_new else list(getattr(plan.report, related_name).all())


def _store_pdf(report: Report, name: str, pdf: PdfFile, stored_files: list) -> str:
    storage = getattr(report, name).storage
    if storage.exists(pdf.name):  # fingerprinted: same name, same content
        return pdf.name
    with pdf.path.open("rb") as handle:
        saved = storage.save(pdf.name, File(handle, name=pdf.path.name))
    stored_files.append((storage, saved))
    return saved


# New figures, prices and TOC entries, and the TOC titles, go in with one bulk INSERT
# each: none of these models has save hooks. The report's own translations, which
# have (summary cleaning, text timestamps), are saved through report.save(). Changed
# rows are saved one by one, surplus ones deleted.


def _write_statistics(report: Report, wanted: list[StatisticInput], rows: list) -> None:
    # Matched on kind (one per report), so an edited figure keeps its row. Surplus
    # kinds go first: the database allows one figure of each kind per report.
    stored = {row.kind: row for row in rows}
    surplus = [row.pk for kind, row in stored.items()
               if kind not in {statistic.kind for statistic in wanted}]
    if surplus:
        KeyStatistic.objects.filter(pk__in=surplus).delete()
    new_rows = []
    for position, statistic in enumerate(wanted, start=1):
        values = {"position": position, "year": statistic.year, "amount": statistic.amount,
                  "currency": statistic.currency or "", "percentage": statistic.percentage}
        row = stored.get(statistic.kind)
        if row is None:
            new_rows.append(KeyStatistic(report=report, kind=statistic.kind, **values))
        elif any(getattr(row, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(row, name, value)
            row.save()
    KeyStatistic.objects.bulk_create(new_rows)


def _write_licences(report: Report, wanted: list[LicenceInput], rows: list) -> None:
    # Matched on licence type and currency, then on type alone (a licence whose
    # currency changed), so that order lines pointing at an option keep it.
    stored = {(row.license_type, row.currency): row for row in rows}
    matched = {}
    for licence in wanted:
        row = stored.pop((licence.license_type, licence.currency), None)
        if row is not None:
            matched[(licence.license_type, licence.currency)] = row
    for licence in wanted:
        key = (licence.license_type, licence.currency)
        if key not in matched:
            same_type = next((k for k in stored if k[0] == licence.license_type), None)
            if same_type is not None:
                matched[key] = stored.pop(same_type)
    if stored:
        LicenseOption.objects.filter(pk__in=[row.pk for row in stored.values()]).delete()
    new_rows = []
    for licence in wanted:
        row = matched.get((licence.license_type, licence.currency))
        if row is None:
            new_rows.append(LicenseOption(report=report, license_type=licence.license_type,
                                          price=licence.price, currency=licence.currency))
        elif (row.price, row.currency) != (licence.price, licence.currency):
            row.price, row.currency = licence.price, licence.currency
            row.save()
    LicenseOption.objects.bulk_create(new_rows)


def _write_toc(report: Report, wanted: list[TocLine], entries: list) -> None:
    """Entries updated in place by position, missing ones added, surplus ones deleted."""
    surplus = [entry.pk for entry in entries[len(wanted):]]
    if surplus:
        TocEntry.objects.filter(pk__in=surplus).delete()
    for position, (entry, line) in enumerate(zip(entries, wanted), start=1):
        _update_toc_entry(entry, position, line)
    _create_toc_entries(report, wanted[len(entries):], first_position=len(entries) + 1)


def _create_toc_entries(report: Report, lines: list[TocLine], *, first_position: int) -> None:
    entries = TocEntry.objects.bulk_create(
        TocEntry(report=report, position=position, depth=line.depth)
        for position, line in enumerate(lines, start=first_position)
    )
    # One INSERT for every title: TOC translations have no save hooks to run (the
    # report's own translations, which do, are saved one by one).
    TocTranslation.objects.bulk_create(
        TocTranslation(master=entry, language_code=language, title=title)
        for entry, line in zip(entries, lines)
        for language, title in line.titles.items()
    )


def _update_toc_entry(entry: TocEntry, position: int, line: TocLine) -> None:
    if (entry.position, entry.depth) != (position, line.depth):
        entry.position, entry.depth = position, line.depth
        entry.save(update_fields=["position", "depth"])
    stored = translations_by_language(entry)
    for language, title in line.titles.items():
        translation = stored.pop(language, None)
        if translation is None:
            TocTranslation(master=entry, language_code=language, title=title).save()
        elif translation.title != title:
            translation.title = title
            translation.save()
    for translation in stored.values():  # a language the feed no longer gives
        translation.delete()
