"""Step 1, read: a JSON or CSV file becomes rows of raw values, each with a label an
editor can find. A file that cannot be read at all raises FeedError."""

import csv
import io
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.utils.translation import gettext as _

from reports import feed_guards
from reports.importing.common import CSV_REQUIRED_COLUMNS, FeedError, csv_columns


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
    known = csv_columns()
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
