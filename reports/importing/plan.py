"""Step 3, plan: the stored report (locked, see ``stored``) is compared with the wanted
state, which is validated with the models' own full_clean plus the feed's rules (a
Plan of what differs). Planning only reads."""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from reports import feed_guards, services
from reports.models import (
    KeyStatistic,
    KeyStatisticKind,
    LicenseOption,
    Publisher,
    Report,
    ReportStatus,
)
from reports.outline import OutlineError, parse_numbered_outline
from reports.pdf_files import validate_report_pdf
from reports.sanitize import clean_summary_html
from reports.importing.common import (
    RowErrors,
    TocTranslation,
    DEFAULT_CURRENCY,
    FILE_FIELDS,
    STATISTIC_YEAR_DEFAULTS,
)
from reports.importing.decode import LicenceInput, ReportInput, StatisticInput
from reports.importing.stored import (
    TocLine,
    locked_report,
    stored_toc,
    translations_by_language,
)


# --- Step 3: working out the changes -------------------------------------------------


@dataclass
class ImportOptions:
    dry_run: bool = False
    publish: bool = False
    # Folder that PDF paths are relative to; None (an upload) refuses PDF paths.
    base_dir: Path | None = None
    now: datetime = field(default_factory=timezone.now)
    category_ids: dict[str, int] = field(default_factory=dict)
    # Publishers found so far, by the name or slug the feed gave: most feeds name a
    # few publishers many times.
    publisher_ids: dict[str, int] = field(default_factory=dict)
    publisher_names: dict[int, str] = field(default_factory=dict)
    # A dry run's publishers "would be created" by an earlier chunk (rolled back): the
    # note is given once, on the first row that names it, as an import gives it.
    noted_publishers: set[str] = field(default_factory=set)


@dataclass
class PdfFile:
    path: Path
    name: str  # storage name, fingerprinted: equal content, equal name
    pages: int


@dataclass
class Plan:
    """What one row changes; built and validated before anything is written."""

    report: Report
    is_new: bool
    report_fields: list[str] = field(default_factory=list)
    new_publisher: Publisher | None = None
    publisher_name: str = ""  # of the publisher the row names (for the search text)
    translations: list = field(default_factory=list)  # ReportTranslation rows to save
    category_ids: set[int] | None = None
    statistics: list[StatisticInput] | None = None
    licences: list[LicenceInput] | None = None
    toc: list[TocLine] | None = None
    files: dict[str, PdfFile] = field(default_factory=dict)
    changes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.is_new or bool(self.changes)

    def change_field(self, name: str, value, *, key: str | None = None) -> None:
        """Set a Report column that differs, and remember it (under the feed's ``key``)."""
        setattr(self.report, name, value)
        self.report_fields.append(name)
        self.changes.append(key or name)


def plan_report(item: ReportInput, options: ImportOptions, errors: RowErrors,
                stored: dict[str, Report | None] | None = None) -> Plan:
    """What the row changes. ``stored``: the chunk's reports from locked_reports(); a
    code not in it is looked up (and locked) now."""
    if stored is not None and item.product_code in stored:
        report = stored[item.product_code]
    else:
        report = locked_report(item.product_code)
    plan = Plan(report=report or Report(product_code=item.product_code), is_new=report is None)
    _plan_publisher(plan, item, options, errors)
    _plan_files(plan, item, options, errors)
    _plan_columns(plan, item, options, errors)
    _plan_translations(plan, item, errors)
    _plan_categories(plan, item, options, errors)
    _plan_statistics(plan, item, errors)
    _plan_licences(plan, item, errors)
    _plan_toc(plan, item, errors)
    _check_listing_complete(plan, errors)
    return plan


# Row changes that decide whether a listed report can be delivered once bought.
DELIVERY_FIELDS = {"status", "delivery_mode", "delivery_days"}


def _check_listing_complete(plan: Plan, errors: RowErrors) -> None:
    """A report buyers see, or will see, has a licence to buy and something to deliver
    (the master PDF, or "delivered on order" with a promised time), as in the admin.

    The delivery check applies to a row that lists the report (new, or a status
    change) or changes how it is delivered. A row that leaves a stored listing's
    status and delivery alone is not refused for a missing master: the shop already
    refuses to sell such a report.
    """
    if plan.report.status not in services.LISTED_STATUSES:
        return
    report = plan.report
    lists_or_changes_delivery = plan.is_new or DELIVERY_FIELDS & set(plan.report_fields)
    if lists_or_changes_delivery and not services.can_be_delivered(
        has_master=bool(report.master_pdf) or "master_pdf" in plan.files,
        delivery_mode=report.delivery_mode,
        delivery_days=report.delivery_days,
    ):
        errors.add("master_pdf", services.NEEDS_MASTER_OR_ON_ORDER)
    if plan.licences is not None:
        count = len(plan.licences)
    else:
        count = 0 if plan.is_new else len(plan.report.license_options.all())
    if count < 1:
        errors.add(("group", "licences"), services.NEEDS_LICENCE_OPTION)


def _plan_publisher(plan: Plan, item: ReportInput, options: ImportOptions, errors) -> None:
    """Found by name (any case) or slug; a new name makes a new publisher."""
    if item.publisher is None:
        if plan.is_new:
            errors.add("publisher", _("A new report needs a publisher."))
        return
    publisher_id = options.publisher_ids.get(item.publisher.lower())
    if publisher_id is None:
        publisher_id, name = (
            Publisher.objects.filter(Q(name__iexact=item.publisher) | Q(slug=item.publisher))
            .values_list("pk", "name")
            .first()
        ) or (None, "")
        if publisher_id is not None:
            options.publisher_names[publisher_id] = name
    if publisher_id is None:
        publisher = Publisher(name=item.publisher, slug=_free_publisher_slug(item.publisher))
        plan.new_publisher = publisher
        plan.publisher_name = publisher.name
        plan.change_field("publisher", publisher)
        if item.publisher.lower() not in options.noted_publishers:
            note = (_("Publisher “%(name)s” would be created.") if options.dry_run
                    else _("Publisher “%(name)s” created."))
            plan.notes.append(note % {"name": item.publisher})
        return
    options.publisher_ids[item.publisher.lower()] = publisher_id
    plan.publisher_name = options.publisher_names[publisher_id]
    if plan.report.publisher_id != publisher_id:
        plan.change_field("publisher_id", publisher_id, key="publisher")


def _free_publisher_slug(name: str) -> str:
    base = slugify(name)[:190].strip("-") or "publisher"
    taken = set(Publisher.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


def _plan_columns(plan: Plan, item: ReportInput, options: ImportOptions, errors) -> None:
    report = plan.report
    values = dict(item.values)
    if "master_pdf" in item.files:
        # The master decides how many pages the listing states: counted when a new
        # file is stored, kept while the same file is named again.
        given = values.pop("pages", None)
        if "master_pdf" in plan.files:
            values["pages"] = plan.files["master_pdf"].pages
            if given not in (None, values["pages"]):
                plan.notes.append(_("pages: %(given)d replaced by the master PDF's %(pages)d.")
                                  % {"given": given, "pages": values["pages"]})
    if plan.is_new:
        if "published_on" not in values:
            errors.add("published_on", _("A new report needs a publication date."))
        values.setdefault("slug", _slug_from_title(item))
    values.update(_publication(plan, item, options, errors))
    for name, value in values.items():
        if getattr(report, name) != value:
            plan.change_field(name, value)
    _check_forecast_years(report, errors)


def _slug_from_title(item: ReportInput) -> str:
    english = item.translations.get(settings.PARLER_DEFAULT_LANGUAGE_CODE, {})
    slug = slugify(english.get("title", ""))[:200].strip("-")
    return slug or f"report-{item.product_code.lower()}"


def _publication(plan: Plan, item: ReportInput, options: ImportOptions, errors) -> dict:
    """Status and publish_at: the feed decides them only when the import may publish.

    Without ``publish`` a new report is a draft and a stored one keeps its status, so
    a feed never publishes or hides a listing by itself. With it, the row's status
    and publish_at apply, under the editors' rules (reports.services): a report not
    listed yet is published now, or scheduled when the row gives a future time; one
    already listed keeps its time, so running the same import again changes nothing.
    """
    report = plan.report
    stored_status = None if plan.is_new else report.status
    if not options.publish:
        gives = (item.status is not None and item.status != report.status) or (
            item.publish_at is not None and item.publish_at != report.publish_at)
        if gives:
            plan.notes.append(_("status and publish_at are applied only when publishing "
                                "(--publish, or the “publish” box)."))
        return {"status": ReportStatus.DRAFT} if plan.is_new else {}
    listed = stored_status in services.LISTED_STATUSES
    # A listed report may have no time (published "since always"): it keeps that too.
    publish_at = item.publish_at or (report.publish_at if listed else options.now)
    future = publish_at is not None and publish_at > options.now
    status = item.status or (ReportStatus.SCHEDULED if future else ReportStatus.PUBLISHED)
    if (status == ReportStatus.SCHEDULED and stored_status == ReportStatus.PUBLISHED
            and publish_at == report.publish_at and not future):
        status = ReportStatus.PUBLISHED  # the schedule came due: that is what it became
    try:
        services.check_transition(stored_status, status)
    except services.PublicationError as error:
        for problem in error.problems:
            errors.add("status", problem)
    moved = status != stored_status or publish_at != report.publish_at
    if status == ReportStatus.SCHEDULED and moved and not future:
        errors.add("publish_at", services.NEEDS_FUTURE_TIME)
    if status == ReportStatus.PUBLISHED and status != stored_status and future:
        errors.add("publish_at", _("This time is in the future: say “scheduled” to publish "
                                   "then, or leave the time out to publish now."))
    return {"status": status, "publish_at": publish_at}


def _check_forecast_years(report: Report, errors: RowErrors) -> None:
    start, end = report.forecast_start_year, report.forecast_end_year
    if start and end and start > end:
        errors.add("forecast_end_year", _("The forecast ends (%(end)d) before it starts "
                                          "(%(start)d).") % {"start": start, "end": end})


def _plan_translations(plan: Plan, item: ReportInput, errors: RowErrors) -> None:
    """Changed texts are set through parler on the report itself, so that saving the
    report saves them together, as one edit (one text-changed time for all languages)."""
    report = plan.report
    stored = {} if plan.is_new else translations_by_language(report)
    for language, texts in item.translations.items():
        if "summary" in texts:
            # Compared as it will be stored: summaries are cleaned on save.
            texts = {**texts, "summary": clean_summary_html(texts["summary"])}
        translation = stored.get(language)
        if translation is None and "title" not in texts:
            errors.add(("translation", language, "title"),
                       _("A translation needs a title; this report has none in this "
                         "language yet."))
            continue
        changed = [name for name, value in texts.items()
                   if translation is None or getattr(translation, name) != value]
        if not changed:
            continue
        report.set_current_language(language)
        for name in changed:
            setattr(report, name, texts[name])
        plan.translations.append(report.get_translation(language))
        plan.changes += [("translation", language, name) for name in changed]
    report.set_current_language(settings.PARLER_DEFAULT_LANGUAGE_CODE)


def _plan_categories(plan: Plan, item: ReportInput, options: ImportOptions, errors) -> None:
    if item.categories is None:
        return
    unknown = [slug for slug in item.categories if slug not in options.category_ids]
    for slug in unknown:
        errors.add("categories", _("There is no category with the slug “%(slug)s”.")
                   % {"slug": slug})
    wanted = {options.category_ids[slug] for slug in item.categories if slug not in unknown}
    stored = set() if plan.is_new else {category.pk for category in plan.report.categories.all()}
    if wanted != stored:
        plan.category_ids = wanted
        plan.changes.append("categories")


def _statistic_values(statistic) -> tuple:
    return (statistic.kind, statistic.year, statistic.amount, statistic.currency or "",
            statistic.percentage)


def _plan_statistics(plan: Plan, item: ReportInput, errors: RowErrors) -> None:
    if item.key_statistics is None:
        return
    wanted = [_with_default_year(statistic, plan.report) for statistic in item.key_statistics]
    kinds = [statistic.kind for statistic in wanted]
    for kind in sorted({kind for kind in kinds if kinds.count(kind) > 1}):
        errors.add(("group", "key_statistics"),
                   _("“%(kind)s” is given more than once; a report has one of each figure.")
                   % {"kind": kind})
    for statistic in wanted:
        _validate_statistic(statistic, errors)
    stored = [] if plan.is_new else list(plan.report.key_statistics.all())
    # Compared in order and by value; the stored position numbers may differ.
    if [_statistic_values(s) for s in stored] != [_statistic_values(s) for s in wanted]:
        plan.statistics = wanted
        plan.changes.append(("group", "key_statistics"))


def _with_default_year(statistic: StatisticInput, report: Report) -> StatisticInput:
    if statistic.kind == KeyStatisticKind.CAGR:
        return StatisticInput(statistic.kind, statistic.year, statistic.amount, None,
                              statistic.percentage)
    year = statistic.year or getattr(report, STATISTIC_YEAR_DEFAULTS[statistic.kind])
    currency = statistic.currency or DEFAULT_CURRENCY
    return StatisticInput(statistic.kind, year, statistic.amount, currency, statistic.percentage)


def _validate_statistic(statistic: StatisticInput, errors: RowErrors) -> None:
    """The kind rules of KeyStatistic, in words; then the model's own field checks."""
    def key(name):
        return ("statistic", statistic.kind, name)

    if statistic.kind == KeyStatisticKind.CAGR:
        if statistic.percentage is None:
            errors.add(key("percentage"), _("The growth rate needs a percentage."))
        if statistic.amount is not None:
            errors.add(key("amount"), _("A growth rate has a percentage, not an amount."))
    else:
        if statistic.amount is None:
            errors.add(key("amount"), _("A market size needs an amount."))
        if statistic.year is None:
            errors.add(key("year"), _("A market size needs a year: give it, or the report's "
                                      "base or forecast year."))
        if statistic.percentage is not None:
            errors.add(key("percentage"), _("A market size has an amount, not a percentage."))
    row = KeyStatistic(kind=statistic.kind, year=statistic.year, amount=statistic.amount,
                       currency=statistic.currency or "", percentage=statistic.percentage)
    try:
        # Fields and their validators. The constraints (the kind rule above, one figure
        # per kind) are checked here in words, and enforced by the database on write:
        # asking it for each figure of each row would cost a query and a savepoint.
        row.full_clean(exclude=["report"], validate_constraints=False)
    except ValidationError as error:
        errors.add_validation(error, key)


def _plan_licences(plan: Plan, item: ReportInput, errors: RowErrors) -> None:
    if item.licences is None:
        return
    wanted = [LicenceInput(l.license_type, l.price, l.currency or DEFAULT_CURRENCY, l.name)
              for l in item.licences]
    # One price per licence and currency (a licence may be priced in several).
    priced = [(licence.license_type, licence.currency) for licence in wanted]
    for license_type, currency in sorted({p for p in priced if priced.count(p) > 1}):
        errors.add(("group", "licences"),
                   _("“%(type)s” in %(currency)s is given more than once; a licence has one "
                     "price per currency.")
                   % {"type": license_type, "currency": currency})
    for licence in wanted:
        if licence.price is None:
            continue
        row = LicenseOption(license_type=licence.license_type, price=licence.price,
                            currency=licence.currency)
        try:
            # The price validator says "more than 0" as the constraint does; one price per
            # type is checked above; the database enforces both on write.
            row.full_clean(exclude=["report"], validate_constraints=False)
        except ValidationError as error:
            errors.add_validation(error, lambda name, p=licence.key_prefix: (*p, name))
    stored = {} if plan.is_new else {
        (option.license_type, option.currency): option.price
        for option in plan.report.license_options.all()
    }
    if stored != {(licence.license_type, licence.currency): licence.price for licence in wanted}:
        plan.licences = wanted
        plan.changes.append(("group", "licences"))


def _plan_toc(plan: Plan, item: ReportInput, errors: RowErrors) -> None:
    if item.toc is None:
        return
    wanted = _toc_lines(item.toc, errors)
    if wanted is None:
        return
    stored = [] if plan.is_new else stored_toc(plan.report)
    if stored != wanted:
        plan.toc = wanted
        plan.changes += [("toc", language) for language in item.toc]


def _toc_lines(outlines: dict[str, str], errors: RowErrors) -> list[TocLine] | None:
    """The numbered outlines of every language, line by line; None when they disagree."""
    english = settings.PARLER_DEFAULT_LANGUAGE_CODE
    if english not in outlines:
        for language in outlines:
            errors.add(("toc", language), _("A table of contents needs its English lines; the "
                                            "other languages are matched to them in order."))
        return None
    max_length = TocTranslation._meta.get_field("title").max_length
    parsed = {}
    for language, text in outlines.items():
        try:
            parsed[language] = parse_numbered_outline(text, max_title_length=max_length)
        except OutlineError as error:
            for message in error.errors:
                errors.add(("toc", language), message)
    if len(parsed) != len(outlines):
        return None
    lines = parsed[english]
    for language, other in parsed.items():
        if not _outline_matches(lines, other, ("toc", language), errors):
            return None
    return [
        TocLine(line.depth, {language: parsed[language][index].title for language in parsed})
        for index, line in enumerate(lines)
    ]


def _outline_matches(english, other, key, errors: RowErrors) -> bool:
    if len(other) != len(english):
        errors.add(key, _("It has %(count)d lines but the English table of contents has "
                          "%(english)d; each English line needs its translation, in the same "
                          "order.") % {"count": len(other), "english": len(english)})
        return False
    for mine, theirs in zip(other, english):
        if mine.number != theirs.number:
            errors.add(key, _("Line %(line)d is numbered %(number)s where the English line is "
                              "%(english)s.") % {"line": mine.line_number, "number": mine.number,
                                                 "english": theirs.number})
            return False
    return True


def _plan_files(plan: Plan, item: ReportInput, options: ImportOptions, errors) -> None:
    for name, relative in item.files.items():
        pdf = _feed_pdf(name, relative, plan.report, options, errors)
        if pdf is not None:
            plan.files[name] = pdf
            plan.report_fields.append(name)
            plan.changes.append(name)


def _feed_pdf(name: str, relative: str, report: Report, options, errors) -> PdfFile | None:
    """The PDF a row names, checked; None when it is bad or already stored as it is."""
    if options.base_dir is None:
        errors.add(name, _("An uploaded feed cannot bring PDF files; import it with "
                           "“manage.py import_reports”, next to its files, or add the PDF in "
                           "the report's page."))
        return None
    base = options.base_dir.resolve()
    shown = feed_guards.printable(relative, limit=200)
    try:
        path = (base / relative).resolve()
        if not path.is_relative_to(base):
            errors.add(name, _("“%(path)s” is outside the feed's folder.") % {"path": shown})
            return None
        if not path.is_file():
            errors.add(name, _("There is no file “%(path)s” next to the feed.") % {"path": shown})
            return None
    except (OSError, ValueError) as error:  # a name too long for the file system, say
        errors.add(name, _("Cannot read “%(path)s”: %(reason)s")
                   % {"path": shown, "reason": getattr(error, "strerror", None) or error})
        return None
    folder = "masters" if name == "master_pdf" else "samples"
    try:
        stored_name = f"{folder}/{report.product_code}-{_fingerprint(path)}.pdf"
        if getattr(report, name).name == stored_name:
            return None  # the same content is stored already
        with path.open("rb") as handle:
            pages = validate_report_pdf(File(handle, name=path.name))
    except OSError as error:
        errors.add(name, _("Cannot read “%(path)s”: %(reason)s")
                   % {"path": shown, "reason": error.strerror or error})
        return None
    except ValidationError as error:
        for message in error.messages:
            errors.add(name, f"{shown}: {message}")
        return None
    return PdfFile(path=path, name=stored_name, pages=pages)


def _fingerprint(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:16]


def validate_plan(plan: Plan, errors: RowErrors) -> None:
    """The models' own checks (fields, choices, constraints) on top of the feed's."""
    if not plan.changed:
        return  # nothing will be written: what is stored stays as it is
    # The publisher was looked up by this import (or is new and checked below): no
    # query to find it again.
    exclude = {"publisher"}
    exclude |= {name for name in ("forecast_start_year", "forecast_end_year")
                if name in errors.fields_with_errors()}
    exclude |= set(FILE_FIELDS)  # checked as PDFs already; the name is ours
    if plan.new_publisher is not None:
        try:
            plan.new_publisher.full_clean()
        except ValidationError as error:
            errors.add_validation(error, lambda name: "publisher")
    try:
        # Unique product code: the row was looked up (and locked) by it already. The
        # check constraints are said in words by Report.clean() (days of a report
        # delivered on order) and _check_forecast_years(), and enforced by the database
        # on write: asking it costs two queries a row.
        plan.report.full_clean(exclude=exclude, validate_unique=False,
                               validate_constraints=False)
    except ValidationError as error:
        errors.add_validation(error, lambda name: name)
    for translation in plan.translations:
        try:
            translation.full_clean(exclude=["master", "language_code"], validate_unique=False)
        except ValidationError as error:
            errors.add_validation(
                error, lambda name, t=translation: ("translation", t.language_code, name))
