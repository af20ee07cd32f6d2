"""What every step of a feed import shares: the feed's fields and languages, the
results reported per row, and how each format names a field in messages."""

from collections.abc import Callable
from functools import cache
from dataclasses import dataclass, field

from django.conf import settings
from iso4217 import Currency
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from reports.models import KeyStatisticKind, LicenseType, Report, TocEntry

ReportTranslation = Report._parler_meta.root_model
TocTranslation = TocEntry._parler_meta.root_model

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
def csv_columns() -> dict[str, object]:
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
        # A price in a given currency (price_single_user_cny): every ISO 4217 currency
        # is a column, so one the shop does not sell gets that message, not "unknown".
        for code in currency_column_codes():
            columns[f"price_{license_type}_{code.lower()}"] = (
                "licence", f"{license_type}_{code.lower()}", "price"
            )
    return columns


@cache
def currency_column_codes() -> tuple[str, ...]:
    """The currencies a CSV feed may give a price column for: ISO 4217's, with minor units."""
    return tuple(sorted(c.code for c in Currency if c.exponent is not None))


CSV_REQUIRED_COLUMNS = ("product_code", "title_en")


@cache
def _csv_column_of_key() -> dict[object, str]:
    return {key: column for column, key in csv_columns().items()}


class CsvNames:
    def __init__(self):
        self._columns = _csv_column_of_key()

    def label(self, key) -> str | None:
        if key is None:
            return None
        if key in self._columns:
            return self._columns[key]
        if isinstance(key, tuple) and key[0] in ("statistic", "licence") and key[2] == "currency":
            # A price column that names its currency is where a currency error lies.
            return self._columns.get((key[0], key[1], "price"), "currency") if (
                key[0] == "licence" and key[1] not in LicenseType.values
            ) else "currency"
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
