"""Report cards (lists, related reports) read as rows and rendered once per version.

A card is the same for every buyer but for its price, which will depend on the
buyer's currency: the card's HTML is rendered once per report, language and
catalogue version (reports/catalogue_memo.py) with a slot where the price goes, and
the price is put in per request. Rows are read as values, not as model instances:
one query a page, plus one for the translations of reports first shown in this
catalogue version. A row carries its publisher's id, and the card takes the name
with those translations, so the page's query joins nothing.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from reports import catalogue_memo, formatting, pricing, statements
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
    "publisher_id",
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
    from reports.selectors import publishers, shown_languages  # selectors builds cards too

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
        # The publisher's name comes along: the page's rows carry only its id.
        .values_list(
            "master_id", "language_code", "title", "meta_description", "master__publisher__name"
        )
        .order_by()
    )
    rank = {code: position for position, code in enumerate(languages)}
    shown: dict[int, tuple] = {}
    publisher_names: dict[int, str] = {}
    for master_id, code, title, description, publisher_name in translations:
        publisher_names[master_id] = publisher_name
        current = shown.get(master_id)
        if current is None or rank[code] < rank[current[0]]:
            shown[master_id] = (code, title, description)
    without_text = [row for row in rows if row["id"] not in publisher_names]
    if without_text:  # reports with no text in these languages: the kept publishers
        names = {publisher.pk: publisher.name for publisher in publishers()}
        publisher_names.update((row["id"], names.get(row["publisher_id"], ""))
                               for row in without_text)
    cards = []
    for row in rows:
        code, title, description = shown.get(row["id"], (None, "", ""))
        cards.append(
            ReportCard(
                pk=row["id"],
                product_code=row["product_code"],
                slug=row["slug"],
                publisher=CardPublisher(publisher_names.get(row["id"], "")),
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


# Rows skipped past which a page of a list is read by its ids first (CardRows._page):
# ten pages in, where reading the skipped rows starts to cost more than the second step.
DEFERRED_FROM = 240


class CardRows:
    """The card rows of a catalogue query (selectors.search_reports), for a paginator.

    A page of rows is one query, as from the queryset, but its SQL is compiled once per
    catalogue version and kept (reports/catalogue_memo.py): building and compiling the
    queryset cost more than running it. That holds because a version's entries end at
    the next scheduled publication, the only change of what is visible without an
    edit; the "now" compiled into the SQL is the same until then. Anything but a slice
    (the count, a search's capped count) goes to the queryset.
    """

    ordered = True

    def __init__(self, query, *, in_display_order: bool = False):
        self.query = query
        self.in_display_order = in_display_order

    @cached_property
    def queryset(self) -> QuerySet:
        from reports.selectors import search_reports  # selectors builds cards too

        return as_rows(search_reports(self.query, in_display_order=self.in_display_order))

    def count(self) -> int:
        return self.queryset.count()

    def order_by(self, *fields) -> QuerySet:
        return self.queryset.order_by(*fields)

    def __getitem__(self, item):
        if not isinstance(item, slice) or item.step is not None:
            return self.queryset[item]
        key = ("card-rows-sql", self.query, self.in_display_order, item.start, item.stop)
        statement = catalogue_memo.memoised(key, lambda: self._statement(item))
        if statement is None:
            return list(self.queryset[item])
        database, sql, params = statement
        # The same SQL on every request of this version: prepared (reports/statements.py).
        with statements.catalogue_cursor(database) as cursor:
            cursor.execute(sql, params)  # params None: the values are in the SQL
            return [dict(zip(ROW_FIELDS, row)) for row in cursor.fetchall()]

    def _page(self, item: slice) -> QuerySet:
        """The rows of a page. Past DEFERRED_FROM rows of a list without a search, on
        PostgreSQL, the page's ids are chosen first, then its rows read: the ids come
        from an index in display order that also holds visibility and publisher
        (migration 0012), so the rows skipped are never read. The same rows in the
        same order (the order ends with the id)."""
        rows = self.queryset[item]
        if (
            (item.start or 0) < DEFERRED_FROM
            or self.query.q
            or connections[rows.db].vendor != "postgresql"
        ):
            return rows
        from reports.selectors import search_reports  # selectors builds cards too

        ids = search_reports(self.query).values("pk")[item]
        return as_rows(Report.objects.filter(pk__in=ids)).order_by(
            *self.queryset.query.order_by
        )

    def _statement(self, item: slice) -> tuple | None:
        """(database, SQL, parameters) of a page of rows; None when the rows need
        converting from what the database driver returns (SQLite), or match nothing."""
        rows = self._page(item)
        compiler = rows.query.get_compiler(rows.db)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:
            return None
        names = [*rows.query.extra_select, *rows.query.values_select, *rows.query.annotation_select]
        if names != list(ROW_FIELDS) or compiler.get_converters(
            [column for column, _sql, _alias in compiler.select]
        ):
            return None
        connection = connections[rows.db]
        if connection.vendor == "postgresql" and not connection.features.uses_server_side_binding:
            # psycopg binds values on the client: bind them once, as it would on
            # every request, and send the same text each time.
            return rows.db, connection.ops.compose_sql(sql, params), None
        return rows.db, sql, tuple(params)


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
        # SafeString, not mark_safe(): the same for a str, without its check for lazy
        # text (a tenth of this function's time for 24 cards).
        html.append(SafeString(card_html.replace(PRICE_SLOT, price_html)))
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
    """Each card's "From …" in the buyer's currency (cards: anything with pk, price_from
    and price_currency), kept per catalogue version, language and currency.

    The stored "price from" is the cheapest licence in the first of SHOP_CURRENCIES the
    report is priced in: already the answer for a buyer of that currency. The licences
    of the other cards are read in one query, and only when the buyer's currency differs
    and their price is not kept yet.
    """
    currency = pricing.active_currency()
    by_pk = {card.pk: card for card in cards}

    def build(missing) -> dict[int, str]:
        lookup = [
            pk for pk in missing
            if by_pk[pk].price_from and by_pk[pk].price_currency != currency
        ]
        options: dict[int, list[LicenseOption]] = {}
        if lookup:
            for option in LicenseOption.objects.filter(report_id__in=lookup).order_by("id"):
                options.setdefault(option.report_id, []).append(option)
        return {pk: _price_html(by_pk[pk], options.get(pk, []), currency) for pk in missing}

    kept = catalogue_memo.memoised_many(("price-from", currency), list(by_pk), build)
    return [kept[card.pk] for card in cards]


def _price_html(card, options: list[LicenseOption], currency: str) -> str:
    if not card.price_from:
        return ""
    if card.price_currency == currency:
        option = LicenseOption(price=card.price_from, currency=card.price_currency)
    else:
        option = pricing.lowest_option(options, currency)
    return render_to_string("includes/price_from.html", price_context(option))
