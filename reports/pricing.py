"""Which price a buyer sees for a licence, in the currency they chose.

Editors price a licence in each currency they want to sell it in (one LicenseOption
row per licence type and currency). A buyer picks a currency (kept in the session;
by default from the language, SHOP_DEFAULT_CURRENCIES). For each licence type the
shop shows, and charges, its price in that currency; a licence without one is shown,
and charged, in the first currency of SHOP_CURRENCIES it has a price in. It is never
converted: an exchange-rate table (SHOP_EXCHANGE_RATES) only adds an indicative
amount beside it, with the rate and its date.

The buyer's currency is active for the request (set by CurrencyMiddleware), so the
catalogue cache keys its pages by it (reports/page_cache.py).
"""

import contextlib
import contextvars
import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.utils import formats
from django.utils.translation import get_language

from reports import currencies, formatting

SESSION_KEY = "currency"

_active_request = contextvars.ContextVar("buyer_currency_request", default=None)


# --- The buyer's currency -----------------------------------------------------------


def default_currency(language: str | None = None) -> str:
    """The currency a language's buyers start with: CNY for zh-hans, USD otherwise."""
    language = language or get_language() or settings.LANGUAGE_CODE
    wanted = settings.SHOP_DEFAULT_CURRENCIES.get(language)
    if wanted and currencies.is_sold(wanted):
        return wanted
    fallback = settings.SHOP_DEFAULT_CURRENCIES.get("*", "USD")
    if currencies.is_sold(fallback):
        return fallback
    return currencies.sold_currencies()[0]


def chosen_currency(request) -> str | None:
    """The currency the buyer chose, if any; a session is read only when there is one."""
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return None
    code = request.session.get(SESSION_KEY)
    return code if code and currencies.is_sold(code) else None


def buyer_currency(request) -> str:
    """The currency this request's pages show prices in."""
    cached = getattr(request, "_buyer_currency", None)
    if cached is None:
        cached = chosen_currency(request) or default_currency()
        request._buyer_currency = cached
    return cached


def remember_currency(request, code: str) -> None:
    request.session[SESSION_KEY] = code
    request._buyer_currency = code


_currency_override = contextvars.ContextVar("currency_override", default=None)


@contextlib.contextmanager
def rendering_in(code: str):
    """Prices rendered meanwhile are for a buyer of ``code`` (pages prepared ahead,
    reports/product_page.py), whoever the request is for."""
    token = _currency_override.set(code)
    try:
        yield
    finally:
        _currency_override.reset(token)


def active_currency() -> str:
    """The buyer's currency for the request being served; the language default outside one."""
    override = _currency_override.get()
    if override is not None:
        return override
    request = _active_request.get()
    return buyer_currency(request) if request is not None else default_currency()


class CurrencyMiddleware:
    """Makes the buyer's currency available to code without the request (the page cache).

    After the session and locale middleware. Lazy: nothing is read until a page asks.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _active_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _active_request.reset(token)


# --- Prices shown and charged --------------------------------------------------------


def _currency_rank(code: str) -> int:
    sold = currencies.sold_currencies()
    return sold.index(code) if code in sold else len(sold)


def chargeable(option) -> bool:
    """Whether the shop can charge this price: a currency it sells, no finer than it."""
    return currencies.is_sold(option.currency) and currencies.fits(option.price, option.currency)


def choose_options(options, currency: str) -> list:
    """One option per licence type, as the buyer sees and is charged for it.

    The option in ``currency`` if the licence has one, else in the first currency of
    SHOP_CURRENCIES it is priced in; ordered by licence type as editors list them
    (cheapest first within the chosen currency).
    """
    by_type: dict[str, object] = {}
    for option in options:
        if not chargeable(option):
            continue
        current = by_type.get(option.license_type)
        if current is None or _preference(option, currency) < _preference(current, currency):
            by_type[option.license_type] = option
    chosen = list(by_type.values())
    # Options may be unsaved: the feed import's planned licences have no pk.
    chosen.sort(key=lambda option: (option.currency != currency, _currency_rank(option.currency),
                                    option.price, getattr(option, "pk", None) or 0))
    return chosen


def _preference(option, currency: str) -> tuple[int, int]:
    return (0 if option.currency == currency else 1, _currency_rank(option.currency))


def option_in(options, license_type: str, currency: str):
    """The option a licence type is charged in for a buyer of ``currency`` (or None)."""
    same_type = [option for option in options if option.license_type == license_type]
    chosen = choose_options(same_type, currency)
    return chosen[0] if chosen else None


def lowest_option(options, currency: str):
    """The cheapest licence as a buyer of ``currency`` sees it: in that currency when
    any licence has a price in it, else in the currency the others are charged in."""
    chosen = choose_options(options, currency)
    if not chosen:
        return None
    first_currency = chosen[0].currency
    return min((o for o in chosen if o.currency == first_currency), key=lambda o: o.price)


# --- Indicative conversions ----------------------------------------------------------


@dataclass(frozen=True)
class Indicative:
    """An amount converted at a published rate, for information only; never charged."""

    amount: Decimal
    currency: str
    rate: Decimal
    rate_date: datetime.date

    def display(self) -> str:
        return formatting.format_price(self.amount, self.currency)

    def display_rate(self) -> str:
        return formats.number_format(self.rate, use_l10n=True, force_grouping=False)

    def display_date(self) -> str:
        return formats.date_format(self.rate_date, "DATE_FORMAT")


def _rates() -> dict[tuple[str, str], tuple[Decimal, datetime.date]]:
    table = {}
    for pair, (rate, day) in settings.SHOP_EXCHANGE_RATES.items():
        source, _, target = pair.partition("/")
        try:
            value = Decimal(str(rate))
            when = datetime.date.fromisoformat(str(day))
        except (InvalidOperation, ValueError):
            continue  # the system check reports it
        if value > 0:
            table[(source.upper(), target.upper())] = (value, when)
    return table


def indicative(amount: Decimal, source: str, target: str) -> Indicative | None:
    """``amount`` of ``source`` in ``target`` at the shop's published rate, rounded to
    whole units (it is an estimate); None when the shop publishes no rate for the pair.
    A rate given one way (USD/CNY) serves the other (CNY/USD) too."""
    if source == target:
        return None
    rates = _rates()
    if (source, target) in rates:
        rate, when = rates[(source, target)]
        converted = amount * rate
        shown_rate = rate
    elif (target, source) in rates:
        rate, when = rates[(target, source)]
        converted = amount / rate
        shown_rate = rate
    else:
        return None
    whole = converted.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return Indicative(amount=whole, currency=target, rate=shown_rate, rate_date=when)


def check_exchange_rates(table) -> list[str]:
    """Problems in a SHOP_EXCHANGE_RATES table, worded for the system check."""
    problems = []
    for pair, value in table.items():
        source, slash, target = pair.partition("/")
        if not slash or not currencies.is_iso_currency(source) or not currencies.is_iso_currency(target):
            problems.append(f"{pair!r}: write the pair as two ISO 4217 codes, such as 'USD/CNY'.")
            continue
        try:
            rate, day = value
            if Decimal(str(rate)) <= 0:
                raise InvalidOperation
            datetime.date.fromisoformat(str(day))
        except (TypeError, ValueError, InvalidOperation):
            problems.append(f"{pair!r}: give a positive rate and its date, such as ('7.20', '2026-12-02').")
    return problems
