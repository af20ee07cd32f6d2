"""Read a reseller's listing page (plain text, as copied from the page) into fields.

The page is Chinese first, then the English edition: product code, a title line that
holds the Chinese title followed by the English one, summary paragraphs, and a
key-statistics table in each language. Figures are read as numbers, never kept as
strings: "USD 9.31 billion" becomes Decimal("9310000000") and "USD".
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from reports.models import KeyStatisticKind

PRODUCT_CODE_MARKER = "商品编码"
# Lines of the page that are not summary text.
NOTE_PREFIX = "※"
TABLE_PREFIX = "|"

ENGLISH_SCALE_WORDS = {
    "thousand": Decimal(10) ** 3,
    "million": Decimal(10) ** 6,
    "billion": Decimal(10) ** 9,
    "trillion": Decimal(10) ** 12,
}
CHINESE_SCALE_WORDS = {"万亿": Decimal(10) ** 12, "亿": Decimal(10) ** 8, "万": Decimal(10) ** 4}
CHINESE_CURRENCIES = {
    "美元": "USD",
    "欧元": "EUR",
    "英镑": "GBP",
    "日元": "JPY",
    "元人民币": "CNY",
    "人民币": "CNY",
    "元": "CNY",
}

_CJK = re.compile(r"[\u3400-\u9fff]")
# The title line: everything up to the last non-ASCII character is the Chinese
# title; the ASCII remainder, starting with a letter, is the English title.
_TITLE_LINE = re.compile(r"^(?P<zh>.*[^\x00-\x7f])\s*(?P<en>[A-Za-z][\x00-\x7f]*?)\s*\|?\s*$")
_ENGLISH_MONEY = re.compile(
    r"^(?P<currency>[A-Z]{3})\s*(?P<number>\d[\d,]*(?:\.\d+)?)\s*(?P<scale>[a-z]+)?$"
)
_CHINESE_MONEY = re.compile(
    r"^(?P<number>\d[\d,]*(?:\.\d+)?)\s*(?P<scale>万亿|亿|万)?\s*(?P<currency>\S+)$"
)
_PERCENTAGE = re.compile(r"^(?P<number>-?\d+(?:\.\d+)?)\s*%$")
_ENGLISH_LABELS = [
    (re.compile(r"^Base Year \[(\d{4})\]$", re.I), KeyStatisticKind.BASE_YEAR),
    (re.compile(r"^Estimated Year \[(\d{4})\]$", re.I), KeyStatisticKind.ESTIMATED_YEAR),
    (re.compile(r"^Forecast Year \[(\d{4})\]$", re.I), KeyStatisticKind.FORECAST_YEAR),
    (re.compile(r"^CAGR\b", re.I), KeyStatisticKind.CAGR),
]
_CHINESE_LABELS = [
    (re.compile(r"基准年\D*(\d{4})"), KeyStatisticKind.BASE_YEAR),
    (re.compile(r"预计年份\D*(\d{4})"), KeyStatisticKind.ESTIMATED_YEAR),
    (re.compile(r"预测年份\D*(\d{4})"), KeyStatisticKind.FORECAST_YEAR),
    (re.compile(r"复合年增长率"), KeyStatisticKind.CAGR),
]


class ListingParseError(ValueError):
    """The page does not have the shape of a reseller listing."""


@dataclass(frozen=True)
class ParsedStatistic:
    kind: str
    year: int | None = None
    amount: Decimal | None = None
    currency: str = ""
    percentage: Decimal | None = None


@dataclass
class ParsedListing:
    product_code: str
    title_zh: str
    title_en: str
    summary_zh: list[str] = field(default_factory=list)
    summary_en: list[str] = field(default_factory=list)
    statistics: list[ParsedStatistic] = field(default_factory=list)


def parse_english_money(text: str) -> tuple[Decimal, str]:
    """ "USD 9.31 billion" -> (Decimal("9310000000.00"), "USD")."""
    match = _ENGLISH_MONEY.match(text.strip())
    if not match:
        raise ListingParseError(f"Not an amount of money: {text!r}")
    number = Decimal(match["number"].replace(",", ""))
    scale_word = (match["scale"] or "").lower()
    if scale_word and scale_word not in ENGLISH_SCALE_WORDS:
        raise ListingParseError(f"Unknown scale {scale_word!r} in {text!r}")
    scale = ENGLISH_SCALE_WORDS.get(scale_word, Decimal(1))
    return (number * scale).quantize(Decimal("0.01")), match["currency"]


def parse_chinese_money(text: str) -> tuple[Decimal, str]:
    """ "93.1亿美元" -> (Decimal("9310000000.00"), "USD")."""
    match = _CHINESE_MONEY.match(text.strip())
    if not match or match["currency"] not in CHINESE_CURRENCIES:
        raise ListingParseError(f"Not an amount of money: {text!r}")
    number = Decimal(match["number"].replace(",", ""))
    scale = CHINESE_SCALE_WORDS.get(match["scale"] or "", Decimal(1))
    return (number * scale).quantize(Decimal("0.01")), CHINESE_CURRENCIES[match["currency"]]


def parse_percentage(text: str) -> Decimal:
    match = _PERCENTAGE.match(text.strip())
    if not match:
        raise ListingParseError(f"Not a percentage: {text!r}")
    return Decimal(match["number"])


def _table_cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _parse_statistics_row(cells: list[str], labels, parse_money) -> ParsedStatistic | None:
    if len(cells) < 2:
        return None
    label, value = cells[0], cells[1]
    for pattern, kind in labels:
        match = pattern.search(label)
        if not match:
            continue
        if kind == KeyStatisticKind.CAGR:
            return ParsedStatistic(kind=kind, percentage=parse_percentage(value))
        amount, currency = parse_money(value)
        return ParsedStatistic(kind=kind, year=int(match[1]), amount=amount, currency=currency)
    return None


def parse_listing(text: str) -> ParsedListing:
    """Parse the page text; raises ListingParseError when a required part is missing.

    The English key-statistics table is the source of the figures; the Chinese table,
    when present, must agree with it (a cheap check that both were read right).
    """
    lines = [line.strip() for line in text.splitlines()]
    try:
        marker = lines.index(PRODUCT_CODE_MARKER)
        product_code = lines[marker + 1]
        title_line = lines[marker + 2]
    except (ValueError, IndexError) as error:
        raise ListingParseError("No product code / title block found.") from error
    title_match = _TITLE_LINE.match(title_line)
    if not product_code or not title_match:
        raise ListingParseError(f"Cannot split the title line: {title_line!r}")

    listing = ParsedListing(
        product_code=product_code,
        title_zh=title_match["zh"].strip(),
        title_en=title_match["en"].strip(),
    )
    statistics_en: list[ParsedStatistic] = []
    statistics_zh: list[ParsedStatistic] = []
    for line in lines[marker + 3 :]:
        if not line or line.startswith(NOTE_PREFIX) or set(line) <= {"|", "-", " "}:
            continue
        if line.startswith(TABLE_PREFIX):
            cells = _table_cells(line)
            english = _parse_statistics_row(cells, _ENGLISH_LABELS, parse_english_money)
            chinese = _parse_statistics_row(cells, _CHINESE_LABELS, parse_chinese_money)
            if english:
                statistics_en.append(english)
            elif chinese:
                statistics_zh.append(chinese)
            continue
        (listing.summary_zh if _CJK.search(line) else listing.summary_en).append(line)

    if not statistics_en:
        raise ListingParseError("No English key-statistics table found.")
    if statistics_zh and _comparable(statistics_zh) != _comparable(statistics_en):
        raise ListingParseError("The Chinese and English key statistics disagree.")
    if not listing.summary_en or not listing.summary_zh:
        raise ListingParseError("The summary is missing in one language.")
    listing.statistics = statistics_en
    return listing


def _comparable(statistics: list[ParsedStatistic]):
    # Chinese figures carry fewer digits ("177亿"), so compare at the English precision.
    return sorted(
        (s.kind, s.year, s.currency, s.amount.normalize() if s.amount is not None else None,
         s.percentage)
        for s in statistics
    )


def read_listing(path: Path) -> ParsedListing:
    return parse_listing(Path(path).read_text(encoding="utf-8"))
