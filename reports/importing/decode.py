"""Step 2, decode: a row's raw values become typed values (ReportInput); every bad
value is reported under the name the feed gives the field."""

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from reports import feed_guards
from reports.models import (
    DeliveryMode,
    KeyStatisticKind,
    LicenseType,
    Report,
    ReportFormat,
    ReportStatus,
)
from reports.importing.common import (
    CsvNames,
    JsonNames,
    RowErrors,
    column_suffix,
    currency_column_codes,
    feed_languages,
    FILE_FIELDS,
    SCALAR_FIELDS,
    STATISTIC_YEAR_DEFAULTS,
    TRANSLATED_FIELDS,
)
from reports.importing.read import RawRow

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
# The values each choice field takes, in order (the error message lists them): read
# once, as an enum's .values builds a new list each time.
CHOICES = {
    "status": tuple(ReportStatus.values),
    "formats": tuple(ReportFormat.values),
    "delivery_mode": tuple(DeliveryMode.values),
    "kind": tuple(KeyStatisticKind.values),
    "license_type": tuple(LicenseType.values),
}


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
    # How the feed names this price in messages: the key prefix of its fields.
    name: tuple = ()

    @property
    def key_prefix(self) -> tuple:
        return self.name or ("licence", self.license_type)


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
    item.status = parse.choice(get("status"), "status", CHOICES["status"])
    item.publish_at = parse.moment(get("publish_at"), "publish_at")
    item.currency = parse.currency(get("currency"), "currency")
    parsers = {
        "slug": parse.text,
        "published_on": parse.day,
        "pages": parse.integer,
        "formats": lambda raw, key: parse.choice(raw, key, CHOICES["formats"]),
        "delivery_mode": lambda raw, key: parse.choice(raw, key, CHOICES["delivery_mode"]),
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
    """``price_<type>`` in the row's currency, and ``price_<type>_<code>`` (such as
    price_single_user_cny) in that currency: a licence priced in several currencies."""
    licences = []
    for license_type in LicenseType.values:
        price = parse.number(values.get(f"price_{license_type}"),
                             ("licence", license_type, "price"))
        if price is not None:
            licences.append(LicenceInput(license_type, price, currency))
        for code in currency_column_codes():
            name = ("licence", f"{license_type}_{code.lower()}")
            price = parse.number(values.get(f"price_{license_type}_{code.lower()}"),
                                 (*name, "price"))
            if price is not None:
                licences.append(LicenceInput(license_type, price, code, name=name))
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
        kind = parse.choice(entry.get("kind"), f"{prefix}.kind", CHOICES["kind"])
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
                                    CHOICES["license_type"])
        if license_type is None:
            if entry.get("license_type") is None:
                errors.add(f"{prefix}.license_type", _("Say which licence this price is for."))
            continue
        # Named by position: a licence may have an entry per currency.
        name = ("licence", f"#{number}")
        names.items.setdefault(name, number)
        price = parse.number(entry.get("price"), (*name, "price"))
        if price is None and entry.get("price") is None:
            errors.add((*name, "price"), _("A licence needs a price."))
        licences.append(LicenceInput(
            license_type,
            price,
            parse.currency(entry.get("currency"), (*name, "currency")) or currency,
            name=name,
        ))
    return licences


DECODERS = {"json": decode_json_row, "csv": decode_csv_row}
