"""Report cards (lists, related reports) read as rows and rendered once per version.

A card is the same for every buyer but for its price, which will depend on the
buyer's currency: the card's HTML is rendered once per report, language and
catalogue version (reports/catalogue_memo.py) with a slot where the price goes, and
the price is put in per request. Rows are read as values, not as model instances:
one query a page, plus one for the translations of reports first shown in this
catalogue version.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from reports import catalogue_memo, formatting, pricing
from reports.models import LicenseOption, Report
from reports.templatetags.prices import price_context

CARD_TEMPLATE = "includes/report_card.html"
# Where a card's HTML takes its price; a comment, so a card rendered without one
# would show nothing rather than a stray word.
PRICE_SLOT = "<!--card-price-from-->"

ROW_FIELDS = (
    "id",
    "product_code",
    "slug",
    "publisher__name",
    "published_on",
    "pages",
    "forecast_start_year",
    "forecast_end_year",
    "price_from",
    "price_currency",
)


@dataclass(frozen=True)
class CardPublisher:
    name: str


@dataclass(frozen=True)
class ReportCard:
    """What a card shows of a report, in the attribute names of Report."""

    pk: int
    product_code: str
    slug: str
    publisher: CardPublisher
    published_on: date | None
    pages: int | None
    forecast_start_year: int | None
    forecast_end_year: int | None
    price_from: Decimal | None
    price_currency: str
    title: str
    meta_description: str
    shown_language: str | None

    @property
    def forecast_period(self) -> str:
        if self.forecast_start_year and self.forecast_end_year:
            return f"{self.forecast_start_year}-{self.forecast_end_year}"
        return ""

    @property
    def display_price_from(self) -> str:
        if self.price_from is None:
            return ""
        return formatting.format_price(self.price_from, self.price_currency)

    def get_absolute_url(self) -> str:
        return reverse(
            "reports:detail", kwargs={"product_code": self.product_code, "slug": self.slug}
        )


def card_rows(rows) -> list[ReportCard]:
    """Cards for report rows (dicts of ROW_FIELDS), with their shown translations.

    One query for the translations, whatever the number of rows.
    """
    from reports.selectors import shown_languages  # selectors builds cards too

    rows = list(rows)
    if not rows:
        return []
    languages = shown_languages()
    translations = (
        Report._parler_meta.root_model.objects.filter(
            master_id__in=[row["id"] for row in rows],
            language_code__in=languages,
            # A machine-converted draft waits for an editor; the card falls back meanwhile.
            machine_converted=False,
        )
        .values_list("master_id", "language_code", "title", "meta_description")
        .order_by()
    )
    rank = {code: position for position, code in enumerate(languages)}
    shown: dict[int, tuple] = {}
    for master_id, code, title, description in translations:
        current = shown.get(master_id)
        if current is None or rank[code] < rank[current[0]]:
            shown[master_id] = (code, title, description)
    cards = []
    for row in rows:
        code, title, description = shown.get(row["id"], (None, "", ""))
        cards.append(
            ReportCard(
                pk=row["id"],
                product_code=row["product_code"],
                slug=row["slug"],
                publisher=CardPublisher(row["publisher__name"]),
                published_on=row["published_on"],
                pages=row["pages"],
                forecast_start_year=row["forecast_start_year"],
                forecast_end_year=row["forecast_end_year"],
                price_from=row["price_from"],
                price_currency=row["price_currency"],
                title=title,
                meta_description=description,
                shown_language=code,
            )
        )
    return cards


def as_rows(queryset: QuerySet) -> QuerySet:
    """A queryset of reports read as card rows (values), prefetches dropped."""
    return queryset.prefetch_related(None).values(*ROW_FIELDS)


def shown(rows) -> tuple[list[ReportCard], list[SafeString]]:
    """Cards for report rows and their HTML, each with the price for this request.

    A card's translated text and HTML are kept per language and catalogue version,
    so only the rows of reports not seen in this version need their translations
    read (one query); the price comes from the row, read on every request.
    """
    rows = list(rows)
    by_pk = {row["id"]: row for row in rows}

    def build(missing):
        built = card_rows([by_pk[pk] for pk in missing])
        return {card.pk: (card, _card_html(card)) for card in built}

    kept = catalogue_memo.memoised_many("card", list(by_pk), build)
    prices = prices_from_html([row_price(row) for row in rows])
    shown_cards, html = [], []
    for row, price_html in zip(rows, prices):
        card, card_html = kept[row["id"]]
        shown_cards.append(card)
        html.append(mark_safe(card_html.replace(PRICE_SLOT, price_html)))
    return shown_cards, html


def rendered(cards: list[ReportCard]) -> list[SafeString]:
    """The HTML of cards read apart (related reports), each with this request's price."""
    kept = catalogue_memo.memoised_many(
        "card", [card.pk for card in cards],
        lambda missing: {card.pk: (card, _card_html(card)) for card in cards if card.pk in missing},
    )
    prices = prices_from_html(cards)
    return [
        mark_safe(kept[card.pk][1].replace(PRICE_SLOT, price_html))
        for card, price_html in zip(cards, prices)
    ]


def _card_html(card: ReportCard) -> str:
    return render_to_string(CARD_TEMPLATE, {"report": card, "price_slot": PRICE_SLOT})


@dataclass(frozen=True)
class _Price:
    pk: int
    price_from: Decimal | None
    price_currency: str


def row_price(row: dict) -> _Price:
    return _Price(row["id"], row["price_from"], row["price_currency"])


def prices_from_html(cards) -> list[str]:
    """Each card's "From …" in the buyer's currency, rendered per request (cards: anything
    with pk, price_from and price_currency).

    The stored "price from" is the cheapest licence in the first of SHOP_CURRENCIES the
    report is priced in: already the answer for a buyer of that currency. The licences
    of the other cards are read in one query, and only when the buyer's currency differs.
    """
    currency = pricing.active_currency()
    lookup = [card.pk for card in cards if card.price_from and card.price_currency != currency]
    options: dict[int, list[LicenseOption]] = {}
    if lookup:
        for option in LicenseOption.objects.filter(report_id__in=lookup).order_by("id"):
            options.setdefault(option.report_id, []).append(option)
    html = []
    for card in cards:
        if not card.price_from:
            html.append("")
            continue
        if card.price_currency == currency:
            option = LicenseOption(price=card.price_from, currency=card.price_currency)
        else:
            option = pricing.lowest_option(options.get(card.pk, []), currency)
        html.append(render_to_string("includes/price_from.html", price_context(option)))
    return html
