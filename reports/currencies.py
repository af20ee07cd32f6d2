"""Currency facts: which codes are currencies, how many decimals each has, which the shop sells.

Minor units come from ISO 4217 itself: the ``iso4217`` package ships ISO's own table and
is released with each amendment. Not from CLDR (Babel's ``get_currency_precision``):
CLDR gives the digits a currency is usually *shown* with, which differ from ISO 4217 for
15 current currencies (IQD: 0 against ISO's 3; AFN, ALL, COP, HUF, IDR, IRR, KPW, LAK,
LBP, MGA, MMK, SOS, SYP, YER: 0 against 2) and move between releases (Babel 2.19 took
HUF, IDR and COP to 0). Stripe counts HUF in hundredths, so CLDR's digits would have
charged HUF 10,000 as HUF 100.00. tests/reports/test_currencies.py keeps that comparison.

Money stays ``Decimal``; conversions to and from minor units are exact and refuse an
amount with more decimals than its currency has, rather than rounding it.
"""

import re
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from iso4217 import Currency

# Code → minor-unit exponent; None where ISO 4217 gives none (gold, XDR, XTS, XXX, …).
_EXPONENTS: dict[str, int | None] = {currency.code: currency.exponent for currency in Currency}
_CODE = re.compile(r"^[A-Z]{3}$")


class CurrencyError(ValueError):
    """An amount that cannot be expressed in the currency's minor units."""


class UnknownCurrency(CurrencyError):
    pass


class TooManyDecimals(CurrencyError):
    pass


def is_iso_currency(code: str) -> bool:
    """A code in ISO 4217's current list (XAU, XTS and the like included)."""
    return code in _EXPONENTS


def exponent(code: str) -> int | None:
    """ISO 4217's minor unit: 2 for USD, 0 for JPY, 3 for KWD; None when ISO gives none."""
    return _EXPONENTS.get(code)


def sold_currencies() -> list[str]:
    return list(settings.SHOP_CURRENCIES)


def is_sold(code: str) -> bool:
    return code in settings.SHOP_CURRENCIES


def _exponent_or_raise(code: str) -> int:
    places = exponent(code)
    if places is None:
        raise UnknownCurrency(f"{code!r} is not an ISO 4217 currency with a minor unit.")
    return places


def scaled_to_integer(amount: Decimal, places: int) -> int:
    """``amount × 10^places`` when that is a whole number; TooManyDecimals otherwise."""
    try:
        # Exact rational arithmetic: no Decimal context precision, no rounding.
        numerator, denominator = Decimal(amount).as_integer_ratio()
    except (ValueError, OverflowError) as error:  # NaN, Infinity
        raise CurrencyError(f"{amount!r} is not an amount.") from error
    units, remainder = divmod(numerator * 10**places, denominator)
    if remainder:
        raise TooManyDecimals(f"{amount} has more than {places} decimal places.")
    return units


def from_scaled_integer(units: int, places: int) -> Decimal:
    """``units × 10^-places`` as a Decimal with that many places; exact at any size."""
    sign, digits, _exponent = Decimal(int(units)).as_tuple()
    return Decimal((sign, digits, -places))


def to_minor_units(amount: Decimal, code: str) -> int:
    """``Decimal("1000.00"), "KWD"`` → 1000000; refuses ``Decimal("1234.50"), "JPY"``."""
    try:
        return scaled_to_integer(amount, _exponent_or_raise(code))
    except TooManyDecimals as error:
        raise TooManyDecimals(f"{code}: {error}") from None


def from_minor_units(units: int, code: str) -> Decimal:
    """``1000000, "KWD"`` → ``Decimal("1000.000")``."""
    return from_scaled_integer(units, _exponent_or_raise(code))


def fits(amount: Decimal, code: str) -> bool:
    """Whether the amount is a whole number of the currency's minor units."""
    try:
        to_minor_units(amount, code)
    except CurrencyError:
        return False
    return True


def has_at_most_places(amount: Decimal, places: int) -> bool:
    """``Decimal("1234.50")`` has at most 1 place (the trailing zero does not count)."""
    try:
        scaled_to_integer(amount, places)
    except CurrencyError:
        return False
    return True


# --- Validation, for the models (and so the admin forms and the feed import) -----------


def validate_iso_currency(code: str) -> None:
    if _CODE.match(code or "") and not is_iso_currency(code):
        raise ValidationError(
            _("“%(code)s” is not an ISO 4217 currency code, such as USD."),
            code="unknown_currency",
            params={"code": code},
        )


def validate_sold_currency(code: str) -> None:
    # A malformed code is left to the field's own validator, which says so once.
    if _CODE.match(code or "") and not is_sold(code):
        raise ValidationError(
            _("The shop does not sell in %(code)s; choose one of: %(currencies)s."),
            code="currency_not_sold",
            params={"code": code, "currencies": ", ".join(sold_currencies())},
        )


def validate_price_fits(price: Decimal, code: str) -> None:
    """A price no finer than its currency: JPY 1234.50 is refused, JPY 1234.00 is fine."""
    places = exponent(code)
    if places is None or not isinstance(price, Decimal) or not price.is_finite():
        return
    if fits(price, code):
        return
    if places == 0:
        message = _("%(code)s has no minor unit: give a whole amount, such as %(whole)s.")
    else:
        message = ngettext_lazy(
            "%(code)s has %(places)d decimal place: give at most that many.",
            "%(code)s has %(places)d decimal places: give at most that many.",
            "places",
        )
    raise ValidationError(
        message,
        code="too_many_decimals",
        params={"code": code, "places": places, "whole": f"{int(price):d}"},
    )
