"""The shape of a demo report as the builder consumes it (plain data, no ORM)."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from reports.demo.listing import ParsedStatistic, parse_english_money, parse_percentage
from reports.demo.outlines import Node
from reports.models import KeyStatisticKind


@dataclass(frozen=True)
class CategorySpec:
    slug: str
    en: str
    zh: str
    parent: str | None = None


@dataclass(frozen=True)
class PublisherSpec:
    slug: str
    name: str
    website: str = ""


@dataclass(frozen=True)
class LicenceSpec:
    license_type: str
    price: Decimal
    currency: str = "USD"


@dataclass(frozen=True)
class DemoReport:
    """One demo listing, complete: what seed_demo writes and what the PDFs show."""

    product_code: str
    title_en: str
    title_zh: str
    market: Node
    summary_en: tuple[str, ...]
    summary_zh: tuple[str, ...]
    meta_en: str
    meta_zh: str
    publisher: str  # PublisherSpec.slug
    categories: tuple[str, ...]  # CategorySpec.slug, leaves
    published_on: date
    pages: int
    formats: str
    base_year: int
    forecast: tuple[int, int]
    statistics: tuple[ParsedStatistic, ...]
    licences: tuple[LicenceSpec, ...]
    dimensions: tuple[Node, ...]
    companies: tuple[Node, ...]
    figures: int
    tables: int
    delivery_days: int = 0
    detailed_toc: bool = False
    # False when the summary already opens with the market-size paragraph (1994249);
    # otherwise one is generated from the statistics, so text and figures agree.
    opening_generated: bool = True

    def statistic(self, kind: str) -> ParsedStatistic | None:
        return next((s for s in self.statistics if s.kind == kind), None)


def statistics(*, base: tuple[int, str], estimated: tuple[int, str],
               forecast: tuple[int, str], cagr: str) -> tuple[ParsedStatistic, ...]:
    """Key statistics written the way a listing shows them: (2025, "USD 9.31 billion")."""
    rows = []
    for kind, (year, text) in (
        (KeyStatisticKind.BASE_YEAR, base),
        (KeyStatisticKind.ESTIMATED_YEAR, estimated),
        (KeyStatisticKind.FORECAST_YEAR, forecast),
    ):
        amount, currency = parse_english_money(text)
        rows.append(ParsedStatistic(kind=kind, year=year, amount=amount, currency=currency))
    rows.append(ParsedStatistic(kind=KeyStatisticKind.CAGR, percentage=parse_percentage(cagr)))
    return tuple(rows)


def licences(currency: str, **prices: int) -> tuple[LicenceSpec, ...]:
    return tuple(
        LicenceSpec(license_type=kind, price=Decimal(price), currency=currency)
        for kind, price in prices.items()
    )
