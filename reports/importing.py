"""Report feeds (JSON or CSV) upserted into the catalogue, one transaction per row.

A feed goes through three steps (the format is described in docs/feed-format.md):

1. **read** (``read_feed_file`` / ``read_feed_bytes``): the file becomes rows of raw
   values, each with a label an editor can find ("line 4", "report 3 (1994249)").
   A file that cannot be read at all (not UTF-8, not JSON, a CSV header with unknown
   or missing columns) raises ``FeedError``: nothing is imported.
2. **decode**: a row's raw values become typed values (``ReportInput``); every bad
   value is reported under the name the feed gives the field ("price_site",
   "translations.zh-hans.title").
3. **write** (``import_feed``): in the row's own transaction the report is looked up
   by product code and locked, the wanted state is compared with the stored one,
   validated with the models' own ``full_clean`` plus the feed's rules, and only what
   differs is written, through the ORM so that save signals run. A row with any error
   writes nothing; the rows before and after it are kept. A dry run takes the same
   path and rolls each row back, so it finds the same errors, database ones included.

Re-importing a feed writes nothing: equal values are not saved, ``updated_at`` stays.
"""

import csv
import hashlib
import io
import json
import logging
import re
from collections.abc import Callable, Iterable
from functools import cache
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files import File
from django.db import DatabaseError, connection, reset_queries, transaction
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.text import Truncator, slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from reports import feed_guards, services
from reports.models import (
    Category,
    DeliveryMode,
    KeyStatistic,
    KeyStatisticKind,
    LicenseOption,
    LicenseType,
    Publisher,
    Report,
    ReportFormat,
    ReportStatus,
    TocEntry,
)
from reports.outline import OutlineError, parse_numbered_outline
from reports.pdf_files import validate_report_pdf
from reports.sanitize import clean_summary_html

ReportTranslation = Report._parler_meta.root_model
TocTranslation = TocEntry._parler_meta.root_model

logger = logging.getLogger(__name__)

# From this many rows on, the catalogue tables' planner statistics are refreshed after
# the import (PostgreSQL); see analyze_catalogue_tables().
ANALYZE_THRESHOLD = 1000
DEFAULT_CURRENCY = "USD"
TRANSLATED_FIELDS = ("title", "summary", "meta_description")
FILE_FIELDS = ("master_pdf", "sample_pdf")
# Report columns a row may give as they are, with the parser for each.
SCALAR_FIELDS = (
    "slug",
    "published_on",
    "pages",
    "formats",
    "delivery_mode",
    "delivery_days",
    "base_year",
    "forecast_start_year",
    "forecast_end_year",
)
# Where a market size takes its year from when the row does not give one.
STATISTIC_YEAR_DEFAULTS = {
    KeyStatisticKind.BASE_YEAR: "base_year",
    KeyStatisticKind.ESTIMATED_YEAR: "forecast_start_year",
    KeyStatisticKind.FORECAST_YEAR: "forecast_end_year",
}
SCALE_WORDS = {
    "thousand": Decimal(10) ** 3,
    "million": Decimal(10) ** 6,
    "billion": Decimal(10) ** 9,
    "trillion": Decimal(10) ** 12,
}
_NUMBER = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")
_AMOUNT = re.compile(r"^(?P<number>\S+?)\s*(?P<scale>[A-Za-z]+)?$")
_INTEGER = re.compile(r"^[+-]?\d+$")
_LIST_SEPARATORS = re.compile(r"[,;|\s]+")


def feed_languages() -> list[str]:
    """The languages a feed may carry: the shop's, English first."""
    return [code for code, _name in settings.LANGUAGES]


def column_suffix(language: str) -> str:
    """ "zh-hans" → "zh_hans", as CSV column names spell a language."""
    return language.replace("-", "_")


# --- Results -------------------------------------------------------------------------


class FeedError(Exception):
    """The feed cannot be read at all (file, encoding, syntax or CSV header)."""


class Outcome:
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    FAILED = "failed"
    ALL = (CREATED, UPDATED, UNCHANGED, FAILED)


OUTCOME_LABELS = {
    Outcome.CREATED: pgettext_lazy("import outcome", "created"),
    Outcome.UPDATED: pgettext_lazy("import outcome", "updated"),
    Outcome.UNCHANGED: pgettext_lazy("import outcome", "unchanged"),
    Outcome.FAILED: pgettext_lazy("import outcome", "failed"),
}
DRY_RUN_OUTCOME_LABELS = {
    Outcome.CREATED: gettext_lazy("would be created"),
    Outcome.UPDATED: gettext_lazy("would be updated"),
    Outcome.UNCHANGED: pgettext_lazy("import outcome", "unchanged"),
    Outcome.FAILED: pgettext_lazy("import outcome", "failed"),
}


@dataclass(frozen=True)
class FieldError:
    field: str | None  # as the feed names it; None for the row as a whole
    message: str

    def __str__(self):
        return f"{self.field}: {self.message}" if self.field else self.message


@dataclass
class RowResult:
    label: str  # "line 4" or "report 3", in the editor's language
    product_code: str
    outcome: str
    changes: list[str] = field(default_factory=list)  # feed names of what (would have) changed
    errors: list[FieldError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def outcome_label(self, dry_run: bool) -> str:
        labels = DRY_RUN_OUTCOME_LABELS if dry_run else OUTCOME_LABELS
        return str(labels[self.outcome])


@dataclass
class ImportSummary:
    dry_run: bool
    publish: bool
    rows: list[RowResult] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for row in self.rows if row.outcome == outcome)

    @property
    def failed(self) -> int:
        return self.count(Outcome.FAILED)

    def counts(self) -> dict[str, int]:
        return {outcome: self.count(outcome) for outcome in Outcome.ALL}

    def text(self) -> str:
        """One sentence with the four counts, worded for a real or a dry run."""
        counts = self.counts()
        if self.dry_run:
            return _(
                "Dry run, nothing was written: %(created)d would be created, %(updated)d "
                "would be updated, %(unchanged)d unchanged, %(failed)d failed."
            ) % counts
        return _(
            "%(created)d created, %(updated)d updated, %(unchanged)d unchanged, "
            "%(failed)d failed."
        ) % counts


class RowInvalid(Exception):
    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(map(str, errors)))


# --- Field names: how each format names a field in messages --------------------------
#
# The importer works with neutral keys: a plain string for a report column
# ("slug"), or a tuple: ("translation", language, field), ("statistic", kind,
# attribute), ("licence", licence type, attribute), ("toc", language), and
# ("group", "key_statistics" | "licences") for a list as a whole.


@cache
def _csv_columns() -> dict[str, object]:
    """Every CSV column and the neutral key it fills."""
    columns: dict[str, object] = {
        "product_code": "product_code",
        "publisher": "publisher",
        "categories": "categories",
        "status": "status",
        "publish_at": "publish_at",
        "currency": "currency",
        **{name: name for name in SCALAR_FIELDS},
        **{name: name for name in FILE_FIELDS},
    }
    for language in feed_languages():
        for name in TRANSLATED_FIELDS:
            columns[f"{name}_{column_suffix(language)}"] = ("translation", language, name)
        columns[f"toc_{column_suffix(language)}"] = ("toc", language)
    for kind in STATISTIC_YEAR_DEFAULTS:
        columns[f"{kind}_size"] = ("statistic", kind, "amount")
        columns[f"{kind}_size_year"] = ("statistic", kind, "year")
    columns["cagr"] = ("statistic", KeyStatisticKind.CAGR, "percentage")
    for license_type in LicenseType.values:
        columns[f"price_{license_type}"] = ("licence", license_type, "price")
    return columns


CSV_REQUIRED_COLUMNS = ("product_code", "title_en")


@cache
def _csv_column_of_key() -> dict[object, str]:
    return {key: column for column, key in _csv_columns().items()}


class CsvNames:
    def __init__(self):
        self._columns = _csv_column_of_key()

    def label(self, key) -> str | None:
        if key is None:
            return None
        if key in self._columns:
            return self._columns[key]
        if isinstance(key, tuple) and key[0] in ("statistic", "licence") and key[2] == "currency":
            return "currency"
        if isinstance(key, tuple) and key[0] == "group":
            return key[1]
        return str(key[-1]) if isinstance(key, tuple) else str(key)


class JsonNames:
    def __init__(self):
        # Position (from 1) of each key statistic / licence in its list, for messages.
        self.items: dict[tuple, int] = {}

    def label(self, key) -> str | None:
        if key is None or isinstance(key, str):
            return key
        kind = key[0]
        if kind == "translation":
            return f"translations.{key[1]}.{key[2]}"
        if kind == "toc":
            return f"toc.{key[1]}"
        if kind == "group":
            return key[1]
        group = "key_statistics" if kind == "statistic" else "licences"
        number = self.items.get((kind, key[1]), "?")
        return f"{group}[{number}].{key[2]}"


class RowErrors:
    """The errors of one row, named as its feed names the fields."""

    def __init__(self, names):
        self.names = names
        self.items: list[FieldError] = []

    def __bool__(self):
        return bool(self.items)

    def add(self, key, message) -> None:
        self.items.append(FieldError(self.names.label(key), str(message)))

    def add_validation(self, error: ValidationError, key_of: Callable[[str], object]) -> None:
        """A model's ValidationError, each field mapped to its feed key by ``key_of``."""
        for name, messages in error.message_dict.items():
            key = None if name == NON_FIELD_ERRORS else key_of(name)
            for message in messages:
                self.add(key, message)

    def fields_with_errors(self) -> set[str]:
        return {item.field for item in self.items if item.field}


# --- Step 1: reading a feed -------------------------------------------------------------


@dataclass
class RawRow:
    label: str
    values: dict  # JSON: the object as parsed; CSV: column → cell text
    product_code_hint: str = ""
    extra_cells: int = 0  # CSV: cells beyond the header's columns


@dataclass
class Feed:
    format: str  # "json" or "csv"
    rows: list[RawRow]


FORMATS = ("json", "csv")


def format_from_name(name: str) -> str:
    suffix = Path(name).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise FeedError(
            _("Cannot tell the format of “%(name)s”: name the file .json or .csv.")
            % {"name": Path(name).name}
        )
    return suffix


def read_feed_file(path: Path, *, format: str | None = None) -> Feed:
    """The rows of a feed file; FeedError when it cannot be read."""
    format = format or format_from_name(path.name)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise FeedError(
            _("Cannot read %(path)s: %(reason)s")
            % {"path": path, "reason": error.strerror or error}
        ) from error
    return read_feed_bytes(data, format=format)


def read_feed_bytes(data: bytes, *, format: str) -> Feed:
    text, not_utf8 = _decode_text(data)
    if format == "json":
        return Feed("json", _json_rows(text, not_utf8))
    if format == "csv":
        return Feed("csv", _csv_rows(text, not_utf8))
    raise FeedError(_("Unknown feed format “%(format)s”: use json or csv.") % {"format": format})


def _decode_text(data: bytes) -> tuple[str, FeedError | None]:
    """The feed's text, and the error to raise if its structure is not UTF-8.

    Bytes that are not UTF-8 are kept as lone surrogates (surrogateescape): in a
    header or in JSON syntax they make the whole feed unreadable, in a row's values
    they fail that row only (feed_guards.unstorable_texts).
    """
    try:
        # utf-8-sig drops the byte order mark Excel puts before "CSV UTF-8" files.
        text, not_utf8 = data.decode("utf-8-sig"), None
    except UnicodeDecodeError as error:
        text = data.decode("utf-8-sig", errors="surrogateescape")
        not_utf8 = FeedError(
            _(
                "The feed is not UTF-8 text (byte %(position)d). Save it as UTF-8; in Excel "
                "choose “CSV UTF-8 (comma delimited)”."
            )
            % {"position": error.start + 1}
        )
    if not text.strip():
        raise FeedError(_("The feed is empty."))
    return text, not_utf8


def _reject_constant(name):
    raise ValueError(f"{name} is not a number JSON allows")


def _json_integer(digits: str) -> int | Decimal:
    # Python refuses to turn more than 4,300 digits into an int, which would make the
    # whole feed unreadable; as a Decimal the row's own checks refuse it.
    return int(digits) if len(digits) <= 100 else Decimal(digits)


def _parse_json(text: str):
    # Decimal, not float: prices and market sizes keep the digits they were given.
    return json.loads(text, parse_float=Decimal, parse_int=_json_integer,
                      parse_constant=_reject_constant)


def _json_rows(text: str, not_utf8: FeedError | None = None) -> list[RawRow]:
    try:
        document = _parse_json(text)
    except RecursionError as error:
        # Some value is nested deeper than the parser can go: read the reports one
        # by one, so that only the deep one fails.
        items = feed_guards.json_reports_one_by_one(text, _parse_json)
        if items is None:
            raise FeedError(_("The feed is nested too deeply to be read, and no list of "
                              "reports was found in it.")) from error
        return [_json_row(number, item) for number, item in enumerate(items, start=1)]
    except ValueError as error:
        if not_utf8 is not None:
            raise not_utf8 from error
        raise FeedError(_("The feed is not valid JSON: %(reason)s") % {"reason": error}) from error
    if isinstance(document, dict) and isinstance(document.get("reports"), list):
        items = document["reports"]
    elif isinstance(document, list):
        items = document
    else:
        raise FeedError(
            _('A JSON feed is an object with a list of reports, {"reports": [...]}, or that list.')
        )
    return [_json_row(number, item) for number, item in enumerate(items, start=1)]


def _json_row(number: int, item) -> RawRow:
    code = ""
    if isinstance(item, dict) and isinstance(item.get("product_code"), (str, int)):
        code = str(item["product_code"]).strip()
    elif isinstance(item, feed_guards.Unreadable):
        code = item.product_code
    label = _("report %(number)d") % {"number": number}
    return RawRow(label=label, values=item, product_code_hint=feed_guards.printable(code))


def _csv_rows(text: str, not_utf8: FeedError | None = None) -> list[RawRow]:
    reader = csv.reader(io.StringIO(text, newline=""), dialect=_csv_dialect(text))
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as error:
        raise FeedError(_("The CSV file has no header row.")) from error
    if not_utf8 is not None and any(feed_guards.text_problem(name) for name in header):
        raise not_utf8
    columns = _check_csv_header(header)
    rows, start = [], reader.line_num + 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                rows.append(_csv_row(start, columns, cells))
            start = reader.line_num + 1
    except csv.Error as error:
        raise FeedError(
            _("The CSV file cannot be read after line %(line)d: %(reason)s")
            % {"line": reader.line_num, "reason": error}
        ) from error
    return rows


def _csv_dialect(text: str):
    """Comma, semicolon (Excel in many European locales) or tab: the header decides."""
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)

    class Dialect(csv.excel):
        pass

    Dialect.delimiter = delimiter
    return Dialect


def normalise_column(name: str) -> str:
    """ "Title ZH-Hans " → "title_zh_hans": spreadsheet headers vary in case and spacing."""
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def _check_csv_header(header: list[str]) -> list[str]:
    """The header's column names, normalised; an unnamed column ("", as spreadsheets
    leave after the last one) is kept as "" and its cells are ignored."""
    columns = [normalise_column(name) for name in header]
    known = _csv_columns()
    unknown = [name for name, column in zip(header, columns) if column and column not in known]
    if unknown:
        raise FeedError(
            _("Unknown columns in the CSV header: %(columns)s. See docs/feed-format.md for the "
              "column names.")
            % {"columns": ", ".join(f"“{feed_guards.printable(name)}”" for name in unknown)}
        )
    duplicates = sorted({column for column in columns if column and columns.count(column) > 1})
    if duplicates:
        raise FeedError(
            _("Columns given twice in the CSV header: %(columns)s.")
            % {"columns": ", ".join(duplicates)}
        )
    missing = [column for column in CSV_REQUIRED_COLUMNS if column not in columns]
    if missing:
        raise FeedError(
            _("The CSV header lacks the required columns: %(columns)s.")
            % {"columns": ", ".join(missing)}
        )
    return columns


def _csv_row(line: int, columns: list[str], cells: list[str]) -> RawRow:
    label = _("line %(line)d") % {"line": line}
    values = {column: cell for column, cell in zip(columns, cells) if column}
    return RawRow(label=label, values=values,
                  product_code_hint=feed_guards.printable(values.get("product_code", "").strip()),
                  extra_cells=max(0, len(cells) - len(columns)))


# --- Step 2: decoding values ---------------------------------------------------------


@dataclass(frozen=True)
class StatisticInput:
    kind: str
    year: int | None = None
    amount: Decimal | None = None
    currency: str | None = None
    percentage: Decimal | None = None


@dataclass(frozen=True)
class LicenceInput:
    license_type: str
    price: Decimal | None
    currency: str | None = None


@dataclass
class ReportInput:
    """A decoded row: only what the row gives (absent = keep the stored value)."""

    product_code: str
    values: dict = field(default_factory=dict)  # SCALAR_FIELDS given
    publisher: str | None = None
    categories: list[str] | None = None
    status: str | None = None
    publish_at: datetime | None = None
    currency: str | None = None
    translations: dict[str, dict[str, str]] = field(default_factory=dict)
    key_statistics: list[StatisticInput] | None = None
    licences: list[LicenceInput] | None = None
    toc: dict[str, str] | None = None
    files: dict[str, str] = field(default_factory=dict)


class _Values:
    """Parsers for raw feed values: None for "not given", an error for a bad value."""

    def __init__(self, errors: RowErrors):
        self.errors = errors

    def text(self, raw, key):
        if raw is None:
            return None
        if isinstance(raw, bool) or not isinstance(raw, (str, int, Decimal)):
            self.errors.add(key, _("Give text here."))
            return None
        # Spreadsheets write Windows line ends inside cells.
        value = str(raw).replace("\r\n", "\n").replace("\r", "\n").strip()
        return value or None

    def integer(self, raw, key):
        value = self._scalar(raw, key)
        if value is None:
            return None
        if isinstance(value, Decimal) and value == value.to_integral_value():
            return int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, str) and _INTEGER.match(value) and len(value) <= 100:
            return int(value)  # (Python refuses more than 4,300 digits)
        self.errors.add(key, _("“%(value)s” is not a whole number.") % {"value": value})
        return None

    def number(self, raw, key, *, scale_words=False, percent=False):
        """A Decimal; "1,234.5" is accepted, and "9.31 billion" where a size is meant."""
        value = self._scalar(raw, key)
        if value is None:
            return None
        text, scale = str(value), Decimal(1)
        if isinstance(value, str):
            text = value[:-1].strip() if percent and value.endswith("%") else value
            match = _AMOUNT.match(text)
            if match and match["scale"] and scale_words:
                scale = SCALE_WORDS.get(match["scale"].lower())
                text = match["number"]
            if scale is None or not _NUMBER.match(text):
                self.errors.add(key, self._not_a_number(value, scale_words))
                return None
        try:
            return _two_places(Decimal(text.replace(",", "")) * scale)
        except InvalidOperation:  # beyond Decimal's precision, e.g. 1e40
            self.errors.add(key, self._not_a_number(value, scale_words))
            return None

    @staticmethod
    def _not_a_number(value, scale_words: bool) -> str:
        if scale_words:
            return _("“%(value)s” is not an amount such as 9310000000 or 9.31 billion.") % {
                "value": value}
        return _("“%(value)s” is not a number.") % {"value": value}

    def day(self, raw, key):
        value = self.text(raw, key)
        if value is None:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.errors.add(key, _("“%(value)s” is not a date such as 2026-10-20.")
                            % {"value": value})
            return None

    def moment(self, raw, key):
        value = self.text(raw, key)
        if value is None:
            return None
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            moment = None
        if moment is None or timezone.is_naive(moment):
            self.errors.add(
                key,
                _("“%(value)s” is not a time with a time zone, such as 2026-10-20T08:00:00+08:00.")
                % {"value": value},
            )
            return None
        return moment

    def choice(self, raw, key, choices):
        value = self.text(raw, key)
        if value is None:
            return None
        value = value.lower()
        if value not in choices:
            self.errors.add(
                key,
                _("“%(value)s” is not one of: %(choices)s.")
                % {"value": value, "choices": ", ".join(choices)},
            )
            return None
        return value

    def currency(self, raw, key):
        value = self.text(raw, key)
        return value.upper() if value else None

    def slugs(self, raw, key):
        if raw is None:
            return None
        if isinstance(raw, list) and all(isinstance(item, str) for item in raw):
            return [item.strip() for item in raw if item.strip()]
        if isinstance(raw, str):
            return [item for item in _LIST_SEPARATORS.split(raw.strip()) if item] or None
        self.errors.add(key, _("Give a list of category slugs."))
        return None

    def _scalar(self, raw, key):
        if raw is None:
            return None
        if isinstance(raw, bool) or not isinstance(raw, (str, int, Decimal)):
            self.errors.add(key, _("Give a number here."))
            return None
        if isinstance(raw, str):
            return raw.strip() or None
        return raw


def _two_places(value: Decimal) -> Decimal:
    """9.31 × 10⁹ is 9310000000.00, not 9310000000.0000: the model allows two decimals."""
    rounded = value.quantize(Decimal("0.01"))
    return rounded if rounded == value else value


def _decode_common(get, parse: _Values, errors: RowErrors) -> ReportInput | None:
    """The report columns both formats name the same way; ``get(name)`` reads one."""
    code = parse.text(get("product_code"), "product_code")
    if code is None:
        errors.add("product_code", _("A product code is required: it is how reports are matched."))
        return None
    try:
        code = Report._meta.get_field("product_code").clean(code, None)
    except ValidationError as error:
        for message in error.messages:
            errors.add("product_code", message)
        return None
    item = ReportInput(product_code=code)
    item.publisher = parse.text(get("publisher"), "publisher")
    item.categories = parse.slugs(get("categories"), "categories")
    item.status = parse.choice(get("status"), "status", ReportStatus.values)
    item.publish_at = parse.moment(get("publish_at"), "publish_at")
    item.currency = parse.currency(get("currency"), "currency")
    parsers = {
        "slug": parse.text,
        "published_on": parse.day,
        "pages": parse.integer,
        "formats": lambda raw, key: parse.choice(raw, key, ReportFormat.values),
        "delivery_mode": lambda raw, key: parse.choice(raw, key, DeliveryMode.values),
        "delivery_days": parse.integer,
        "base_year": parse.integer,
        "forecast_start_year": parse.integer,
        "forecast_end_year": parse.integer,
    }
    for name, parser in parsers.items():
        value = parser(get(name), name)
        if value is not None:
            item.values[name] = value
    for name in FILE_FIELDS:
        value = parse.text(get(name), name)
        if value is not None:
            item.files[name] = value
    return item


def _require_english_title(item: ReportInput, errors: RowErrors) -> None:
    english = settings.PARLER_DEFAULT_LANGUAGE_CODE
    if not item.translations.get(english, {}).get("title"):
        errors.add(("translation", english, "title"), _("The English title is required."))


def decode_csv_row(raw: RawRow) -> tuple[ReportInput | None, RowErrors]:
    errors = RowErrors(CsvNames())
    values = raw.values
    if _refuse_unstorable_text(values, errors, lambda path: str(path[0]) if path else None):
        return None, errors
    if raw.extra_cells:
        errors.add(None, _("The row has %(count)d more cells than the header has columns.")
                   % {"count": raw.extra_cells})
    parse = _Values(errors)
    item = _decode_common(values.get, parse, errors)
    if item is None:
        return None, errors
    for language in feed_languages():
        texts = {
            name: parse.text(values.get(f"{name}_{column_suffix(language)}"),
                             ("translation", language, name))
            for name in TRANSLATED_FIELDS
        }
        texts = {name: value for name, value in texts.items() if value is not None}
        if texts:
            item.translations[language] = texts
        outline = parse.text(values.get(f"toc_{column_suffix(language)}"), ("toc", language))
        if outline is not None:
            item.toc = {**(item.toc or {}), language: outline}
    item.key_statistics = _csv_statistics(values, item.currency, parse)
    item.licences = _csv_licences(values, item.currency, parse)
    _require_english_title(item, errors)
    return item, errors


def _csv_statistics(values: dict, currency, parse: _Values) -> list[StatisticInput] | None:
    """The key figure columns; None when every one is empty (the stored figures stay)."""
    statistics = []
    for kind in STATISTIC_YEAR_DEFAULTS:
        amount = parse.number(values.get(f"{kind}_size"), ("statistic", kind, "amount"),
                              scale_words=True)
        year = parse.integer(values.get(f"{kind}_size_year"), ("statistic", kind, "year"))
        if amount is not None or year is not None:
            statistics.append(StatisticInput(kind, year=year, amount=amount, currency=currency))
    cagr = parse.number(values.get("cagr"), ("statistic", KeyStatisticKind.CAGR, "percentage"),
                        percent=True)
    if cagr is not None:
        statistics.append(StatisticInput(KeyStatisticKind.CAGR, percentage=cagr))
    return statistics or None


def _csv_licences(values: dict, currency, parse: _Values) -> list[LicenceInput] | None:
    licences = []
    for license_type in LicenseType.values:
        price = parse.number(values.get(f"price_{license_type}"),
                             ("licence", license_type, "price"))
        if price is not None:
            licences.append(LicenceInput(license_type, price, currency))
    return licences or None


JSON_FIELDS = frozenset(
    {"product_code", "publisher", "categories", "status", "publish_at", "currency",
     "translations", "key_statistics", "licences", "toc", *SCALAR_FIELDS, *FILE_FIELDS}
)
JSON_STATISTIC_FIELDS = frozenset({"kind", "year", "amount", "currency", "percentage"})
JSON_LICENCE_FIELDS = frozenset({"license_type", "price", "currency"})


def decode_json_row(raw: RawRow) -> tuple[ReportInput | None, RowErrors]:
    names = JsonNames()
    errors = RowErrors(names)
    values = raw.values
    if isinstance(values, feed_guards.Unreadable):
        errors.add(None, values.reason)
        return None, errors
    if _refuse_unstorable_text(values, errors, feed_guards.json_path_label):
        return None, errors
    if not isinstance(values, dict):
        errors.add(None, _("Each report is a JSON object with named fields."))
        return None, errors
    _reject_unknown(values, JSON_FIELDS, errors, prefix="")
    parse = _Values(errors)
    item = _decode_common(values.get, parse, errors)
    if item is None:
        return None, errors
    item.translations = _json_translations(values.get("translations"), parse, errors)
    item.toc = _json_toc(values.get("toc"), parse, errors)
    item.key_statistics = _json_statistics(values.get("key_statistics"), item.currency, parse,
                                           names, errors)
    item.licences = _json_licences(values.get("licences"), item.currency, parse, names, errors)
    _require_english_title(item, errors)
    return item, errors


def _refuse_unstorable_text(values, errors: RowErrors, label) -> bool:
    """Report every text no database column can hold (NUL, not UTF-8); True if any."""
    found = False
    for name, problem in feed_guards.unstorable_texts(values, label):
        errors.add(name or None, problem)
        found = True
    return found


def _reject_unknown(values: dict, allowed, errors: RowErrors, *, prefix: str) -> None:
    for name in values:
        if name not in allowed:
            errors.add(f"{prefix}{name}", _("Unknown field; see docs/feed-format.md."))


def _json_object(raw, key, errors: RowErrors) -> dict | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        errors.add(key, _("Give a JSON object here."))
        return None
    return raw


def _json_list(raw, key, errors: RowErrors) -> list | None:
    if raw is None:
        return None
    if not isinstance(raw, list):
        errors.add(key, _("Give a JSON list here."))
        return None
    return raw


def _json_translations(raw, parse: _Values, errors: RowErrors) -> dict[str, dict[str, str]]:
    translations = {}
    for language, texts in (_json_object(raw, "translations", errors) or {}).items():
        if language not in feed_languages():
            errors.add(f"translations.{language}",
                       _("Unknown language; use one of: %(languages)s.")
                       % {"languages": ", ".join(feed_languages())})
            continue
        texts = _json_object(texts, f"translations.{language}", errors) or {}
        _reject_unknown(texts, TRANSLATED_FIELDS, errors, prefix=f"translations.{language}.")
        decoded = {
            name: parse.text(texts.get(name), ("translation", language, name))
            for name in TRANSLATED_FIELDS
        }
        decoded = {name: value for name, value in decoded.items() if value is not None}
        if decoded:
            translations[language] = decoded
    return translations


def _json_toc(raw, parse: _Values, errors: RowErrors) -> dict[str, str] | None:
    outlines = {}
    for language, text in (_json_object(raw, "toc", errors) or {}).items():
        if language not in feed_languages():
            errors.add(f"toc.{language}", _("Unknown language; use one of: %(languages)s.")
                       % {"languages": ", ".join(feed_languages())})
            continue
        if isinstance(text, list):  # one line per item is accepted too
            text = "\n".join(str(line) for line in text)
        value = parse.text(text, ("toc", language))
        if value is not None:
            outlines[language] = value
    return outlines or None


def _json_statistics(raw, currency, parse, names: JsonNames, errors) -> list | None:
    items = _json_list(raw, "key_statistics", errors)
    if items is None:
        return None
    statistics = []
    for number, entry in enumerate(items, start=1):
        prefix = f"key_statistics[{number}]"
        entry = _json_object(entry, prefix, errors)
        if entry is None:
            continue
        _reject_unknown(entry, JSON_STATISTIC_FIELDS, errors, prefix=f"{prefix}.")
        kind = parse.choice(entry.get("kind"), f"{prefix}.kind", KeyStatisticKind.values)
        if kind is None:
            if entry.get("kind") is None:
                errors.add(f"{prefix}.kind", _("Say which figure this is."))
            continue
        names.items.setdefault(("statistic", kind), number)
        statistics.append(StatisticInput(
            kind,
            year=parse.integer(entry.get("year"), ("statistic", kind, "year")),
            amount=parse.number(entry.get("amount"), ("statistic", kind, "amount"),
                                scale_words=True),
            currency=parse.currency(entry.get("currency"), ("statistic", kind, "currency"))
            or currency,
            percentage=parse.number(entry.get("percentage"), ("statistic", kind, "percentage"),
                                    percent=True),
        ))
    return statistics


def _json_licences(raw, currency, parse, names: JsonNames, errors) -> list | None:
    items = _json_list(raw, "licences", errors)
    if items is None:
        return None
    licences = []
    for number, entry in enumerate(items, start=1):
        prefix = f"licences[{number}]"
        entry = _json_object(entry, prefix, errors)
        if entry is None:
            continue
        _reject_unknown(entry, JSON_LICENCE_FIELDS, errors, prefix=f"{prefix}.")
        license_type = parse.choice(entry.get("license_type"), f"{prefix}.license_type",
                                    LicenseType.values)
        if license_type is None:
            if entry.get("license_type") is None:
                errors.add(f"{prefix}.license_type", _("Say which licence this price is for."))
            continue
        names.items.setdefault(("licence", license_type), number)
        price = parse.number(entry.get("price"), ("licence", license_type, "price"))
        if price is None and entry.get("price") is None:
            errors.add(("licence", license_type, "price"), _("A licence needs a price."))
        licences.append(LicenceInput(
            license_type,
            price,
            parse.currency(entry.get("currency"), ("licence", license_type, "currency"))
            or currency,
        ))
    return licences


DECODERS = {"json": decode_json_row, "csv": decode_csv_row}


# --- Step 3: working out and writing the changes -------------------------------------


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


@dataclass
class _PdfFile:
    path: Path
    name: str  # storage name, fingerprinted: equal content, equal name
    pages: int


@dataclass
class _TocLine:
    depth: int
    titles: dict[str, str]  # language → title


@dataclass
class _Plan:
    """What one row changes; built and validated before anything is written."""

    report: Report
    is_new: bool
    report_fields: list[str] = field(default_factory=list)
    new_publisher: Publisher | None = None
    translations: list = field(default_factory=list)  # ReportTranslation rows to save
    category_ids: set[int] | None = None
    statistics: list[StatisticInput] | None = None
    licences: list[LicenceInput] | None = None
    toc: list[_TocLine] | None = None
    files: dict[str, _PdfFile] = field(default_factory=dict)
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


def _locked_report(product_code: str) -> Report | None:
    """The stored report with everything a feed row can change, locked for this row."""
    return (
        Report.objects.select_for_update(of=("self",))
        .filter(product_code=product_code)
        .prefetch_related(
            "translations",
            Prefetch("categories", queryset=Category.objects.only("id")),
            "key_statistics",
            "license_options",
        )
        .first()
    )


def _stored_toc(report: Report) -> list[_TocLine]:
    """The stored table of contents as plain values: one query, no model objects (a
    TOC is most of what a row holds, and most rows of a re-import are unchanged)."""
    rows = (
        TocTranslation.objects.filter(master__report=report)
        .order_by("master__position", "master_id")
        .values_list("master_id", "master__depth", "language_code", "title")
    )
    lines: dict[int, _TocLine] = {}
    for entry_id, depth, language, title in rows:
        lines.setdefault(entry_id, _TocLine(depth, {})).titles[language] = title
    return list(lines.values())


def _translations_by_language(instance) -> dict:
    return {translation.language_code: translation for translation in instance.translations.all()}


def _plan_report(item: ReportInput, options: ImportOptions, errors: RowErrors) -> _Plan:
    report = _locked_report(item.product_code)
    plan = _Plan(report=report or Report(product_code=item.product_code), is_new=report is None)
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


def _check_listing_complete(plan: _Plan, errors: RowErrors) -> None:
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


def _plan_publisher(plan: _Plan, item: ReportInput, options: ImportOptions, errors) -> None:
    """Found by name (any case) or slug; a new name makes a new publisher."""
    if item.publisher is None:
        if plan.is_new:
            errors.add("publisher", _("A new report needs a publisher."))
        return
    publisher_id = options.publisher_ids.get(item.publisher.lower())
    if publisher_id is None:
        publisher_id = (
            Publisher.objects.filter(Q(name__iexact=item.publisher) | Q(slug=item.publisher))
            .values_list("pk", flat=True)
            .first()
        )
    if publisher_id is None:
        publisher = Publisher(name=item.publisher, slug=_free_publisher_slug(item.publisher))
        plan.new_publisher = publisher
        plan.change_field("publisher", publisher)
        note = (_("Publisher “%(name)s” would be created.") if options.dry_run
                else _("Publisher “%(name)s” created."))
        plan.notes.append(note % {"name": item.publisher})
        return
    options.publisher_ids[item.publisher.lower()] = publisher_id
    if plan.report.publisher_id != publisher_id:
        plan.change_field("publisher_id", publisher_id, key="publisher")


def _free_publisher_slug(name: str) -> str:
    base = slugify(name)[:190].strip("-") or "publisher"
    taken = set(Publisher.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


def _plan_columns(plan: _Plan, item: ReportInput, options: ImportOptions, errors) -> None:
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


def _publication(plan: _Plan, item: ReportInput, options: ImportOptions, errors) -> dict:
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


def _plan_translations(plan: _Plan, item: ReportInput, errors: RowErrors) -> None:
    """Changed texts are set through parler on the report itself, so that saving the
    report saves them together, as one edit (one text-changed time for all languages)."""
    report = plan.report
    stored = {} if plan.is_new else _translations_by_language(report)
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


def _plan_categories(plan: _Plan, item: ReportInput, options: ImportOptions, errors) -> None:
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


def _plan_statistics(plan: _Plan, item: ReportInput, errors: RowErrors) -> None:
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


def _plan_licences(plan: _Plan, item: ReportInput, errors: RowErrors) -> None:
    if item.licences is None:
        return
    wanted = [LicenceInput(l.license_type, l.price, l.currency or DEFAULT_CURRENCY)
              for l in item.licences]
    types = [licence.license_type for licence in wanted]
    for license_type in sorted({t for t in types if types.count(t) > 1}):
        errors.add(("group", "licences"),
                   _("“%(type)s” is given more than once; a report has one price per licence.")
                   % {"type": license_type})
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
            errors.add_validation(error, lambda name, t=licence.license_type: ("licence", t, name))
    stored = {} if plan.is_new else {
        option.license_type: (option.price, option.currency)
        for option in plan.report.license_options.all()
    }
    if stored != {licence.license_type: (licence.price, licence.currency) for licence in wanted}:
        plan.licences = wanted
        plan.changes.append(("group", "licences"))


def _plan_toc(plan: _Plan, item: ReportInput, errors: RowErrors) -> None:
    if item.toc is None:
        return
    wanted = _toc_lines(item.toc, errors)
    if wanted is None:
        return
    stored = [] if plan.is_new else _stored_toc(plan.report)
    if stored != wanted:
        plan.toc = wanted
        plan.changes += [("toc", language) for language in item.toc]


def _toc_lines(outlines: dict[str, str], errors: RowErrors) -> list[_TocLine] | None:
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
        _TocLine(line.depth, {language: parsed[language][index].title for language in parsed})
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


def _plan_files(plan: _Plan, item: ReportInput, options: ImportOptions, errors) -> None:
    for name, relative in item.files.items():
        pdf = _feed_pdf(name, relative, plan.report, options, errors)
        if pdf is not None:
            plan.files[name] = pdf
            plan.report_fields.append(name)
            plan.changes.append(name)


def _feed_pdf(name: str, relative: str, report: Report, options, errors) -> _PdfFile | None:
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
    return _PdfFile(path=path, name=stored_name, pages=pages)


def _fingerprint(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:16]


def _validate_report(plan: _Plan, errors: RowErrors) -> None:
    """The models' own checks (fields, choices, constraints) on top of the feed's."""
    if not plan.changed:
        return  # nothing will be written: what is stored stays as it is
    exclude = {"publisher"} if plan.new_publisher else set()
    exclude |= {name for name in ("forecast_start_year", "forecast_end_year")
                if name in errors.fields_with_errors()}
    exclude |= set(FILE_FIELDS)  # checked as PDFs already; the name is ours
    if plan.new_publisher is not None:
        try:
            plan.new_publisher.full_clean()
        except ValidationError as error:
            errors.add_validation(error, lambda name: "publisher")
    try:
        # Unique product code: the row was looked up (and locked) by it already.
        plan.report.full_clean(exclude=exclude, validate_unique=False)
    except ValidationError as error:
        errors.add_validation(error, lambda name: name)
    for translation in plan.translations:
        try:
            translation.full_clean(exclude=["master", "language_code"], validate_unique=False)
        except ValidationError as error:
            errors.add_validation(
                error, lambda name, t=translation: ("translation", t.language_code, name))


# --- Writing -----------------------------------------------------------------------


def _write(plan: _Plan, stored_files: list | None) -> None:
    """Save what the plan changes. ``stored_files`` None (a dry run): no file is stored."""
    report = plan.report
    if plan.new_publisher is not None:
        plan.new_publisher.save()
        report.publisher = plan.new_publisher
    for name, pdf in plan.files.items():
        stored = pdf.name if stored_files is None else _store_pdf(report, name, pdf, stored_files)
        setattr(report, name, stored)
    # Saves the changed translations too (parler), after the report row.
    if plan.is_new:
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


def _stored(plan: _Plan, related_name: str) -> list:
    """A stored report's rows as prefetched when it was locked; none for a new one."""
    return [] if plan.is_new else list(getattr(plan.report, related_name).all())


def _store_pdf(report: Report, name: str, pdf: _PdfFile, stored_files: list) -> str:
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
    # Matched on licence type, so that order lines pointing at an option keep it.
    stored = {row.license_type: row for row in rows}
    surplus = [row.pk for license_type, row in stored.items()
               if license_type not in {licence.license_type for licence in wanted}]
    if surplus:
        LicenseOption.objects.filter(pk__in=surplus).delete()
    new_rows = []
    for licence in wanted:
        row = stored.get(licence.license_type)
        if row is None:
            new_rows.append(LicenseOption(report=report, license_type=licence.license_type,
                                          price=licence.price, currency=licence.currency))
        elif (row.price, row.currency) != (licence.price, licence.currency):
            row.price, row.currency = licence.price, licence.currency
            row.save()
    LicenseOption.objects.bulk_create(new_rows)


def _write_toc(report: Report, wanted: list[_TocLine], entries: list) -> None:
    """Entries updated in place by position, missing ones added, surplus ones deleted."""
    surplus = [entry.pk for entry in entries[len(wanted):]]
    if surplus:
        TocEntry.objects.filter(pk__in=surplus).delete()
    for position, (entry, line) in enumerate(zip(entries, wanted), start=1):
        _update_toc_entry(entry, position, line)
    _create_toc_entries(report, wanted[len(entries):], first_position=len(entries) + 1)


def _create_toc_entries(report: Report, lines: list[_TocLine], *, first_position: int) -> None:
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


def _update_toc_entry(entry: TocEntry, position: int, line: _TocLine) -> None:
    if (entry.position, entry.depth) != (position, line.depth):
        entry.position, entry.depth = position, line.depth
        entry.save(update_fields=["position", "depth"])
    stored = _translations_by_language(entry)
    for language, title in line.titles.items():
        translation = stored.pop(language, None)
        if translation is None:
            TocTranslation(master=entry, language_code=language, title=title).save()
        elif translation.title != title:
            translation.title = title
            translation.save()
    for translation in stored.values():  # a language the feed no longer gives
        translation.delete()


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
            plan = _plan_report(item, options, errors)
            _validate_report(plan, errors)
            if errors:
                raise RowInvalid(errors.items)
            if plan.changed and not options.dry_run:
                _write(plan, stored_files)
                services.refresh_listing(report_id=plan.report.pk)
            elif plan.changed:
                # A dry run writes too, so the database has its say (constraints,
                # locks), and then takes it all back.
                _write(plan, stored_files=None)
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
    if not dry_run and len(feed.rows) >= ANALYZE_THRESHOLD:
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
