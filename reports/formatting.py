"""Numbers worded the way each language's readers expect them.

English groups large amounts by thousands ("USD 9.31 billion"); Chinese by ten
thousands: 万 (10^4), 亿 (10^8) and 万亿 (10^12), with the currency after the
number ("93.1亿美元"); traditional Chinese writes 萬, 億 and 兆 ("93.1億美元"), as
Taiwan and Hong Kong do.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from reports import currencies

TWO_PLACES = Decimal("0.01")
WHOLE = Decimal(1)

# (threshold, English word); largest first.
ENGLISH_SCALES = [
    (Decimal(10) ** 12, "trillion"),
    (Decimal(10) ** 9, "billion"),
    (Decimal(10) ** 6, "million"),
]
CHINESE_SCALES = [
    (Decimal(10) ** 12, "万亿"),
    (Decimal(10) ** 8, "亿"),
    (Decimal(10) ** 4, "万"),
]
TRADITIONAL_SCALES = [
    (Decimal(10) ** 12, "兆"),
    (Decimal(10) ** 8, "億"),
    (Decimal(10) ** 4, "萬"),
]
TRADITIONAL_CURRENCY_NAMES = {
    "USD": "美元",
    "EUR": "歐元",
    "GBP": "英鎊",
    "JPY": "日圓",
    "CNY": "元人民幣",
    "HKD": "港元",
    "TWD": "新臺幣",
    "CHF": "瑞士法郎",
    "CAD": "加元",
    "AUD": "澳元",
    "KRW": "韓元",
    "INR": "印度盧比",
    "SGD": "新加坡元",
}
CHINESE_CURRENCY_NAMES = {
    "USD": "美元",
    "EUR": "欧元",
    "GBP": "英镑",
    "JPY": "日元",
    "CNY": "元人民币",
    "HKD": "港元",
    "CHF": "瑞士法郎",
    "CAD": "加元",
    "AUD": "澳元",
    "KRW": "韩元",
    "INR": "印度卢比",
    "SGD": "新加坡元",
    "TWD": "新台币",
}


def is_traditional_chinese(language: str | None = None) -> bool:
    """zh-hant, and the regional codes written in traditional characters."""
    code = (language or get_language() or "en").lower()
    return code.startswith(("zh-hant", "zh-tw", "zh-hk", "zh-mo"))


def is_chinese(language: str | None = None) -> bool:
    return (language or get_language() or "en").lower().startswith("zh")


def _round(value: Decimal) -> Decimal:
    return value.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def _round_whole(value: Decimal) -> Decimal:
    # Rounded here rather than by format(), which rounds half to even ("0.5" -> "0").
    return value.quantize(WHOLE, rounding=ROUND_HALF_UP)


def _strip_zeros(value: Decimal) -> str:
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _scaled(amount: Decimal, scales) -> tuple[Decimal, str]:
    """Return amount in the largest unit it reaches, rounded to two places.

    Rounding can carry into the next unit (999.999 million is 1.00 billion), so a
    unit is also chosen when the amount, rounded in the unit below, reaches it.
    Below the smallest unit the amount is shown in whole units, so that is the
    rounding that decides the carry into the smallest unit (999,999.60 is 1.00
    million, not "1,000,000").
    """
    for index, (threshold, word) in enumerate(scales):
        if index + 1 < len(scales):
            smaller = scales[index + 1][0]
            shown = _round(amount / smaller) * smaller
        else:
            shown = _round_whole(amount)
        if amount >= threshold or shown >= threshold:
            return _round(amount / threshold), word
    return _round_whole(amount), ""


def format_money_amount(amount: Decimal | None, currency: str, language: str | None = None) -> str:
    """A market size: "USD 9.31 billion" in English, "93.1亿美元" / "93.1億美元" in Chinese."""
    if amount is None:
        return ""
    amount = Decimal(amount)
    currency = (currency or "").upper()
    if is_chinese(language):
        traditional = is_traditional_chinese(language)
        value, unit = _scaled(amount, TRADITIONAL_SCALES if traditional else CHINESE_SCALES)
        number = _strip_zeros(value) if unit else f"{value:,.0f}"
        names = TRADITIONAL_CURRENCY_NAMES if traditional else CHINESE_CURRENCY_NAMES
        name = names.get(currency)
        if name:
            return f"{number}{unit}{name}"
        return f"{number}{unit} {currency}".strip()
    value, unit = _scaled(amount, ENGLISH_SCALES)
    if unit:
        return f"{currency} {value:,.2f} {unit}".strip()
    return f"{currency} {value:,.0f}".strip()


def format_percentage(value: Decimal | None) -> str:
    """A rate with two decimals, "9.61%", the same in both languages."""
    if value is None:
        return ""
    return f"{_round(Decimal(value)):.2f}%"


def format_price(price: Decimal, currency: str) -> str:
    """A licence price: "USD 4,949", "USD 4,949.50", "KWD 1,000.500"; the ISO code avoids $ ambiguity.

    Cents show in the currency's ISO 4217 minor unit. A price finer than its currency
    (which the models refuse) is shown as it is, never rounded into another price.
    """
    price = Decimal(price)
    currency = (currency or "").upper()
    if price == price.to_integral_value():
        return f"{currency} {price:,.0f}"
    places = currencies.exponent(currency)
    if places is None:
        places = 2
    places = max(places, -price.normalize().as_tuple().exponent)
    return f"{currency} {price:,.{places}f}"


def format_amount(amount: Decimal, currency: str) -> str:
    """An exact amount: "USD 8,399.00", "JPY 3,939", "KWD 1,000.500" (ISO 4217 minor units)."""
    currency = (currency or "").upper()
    places = currencies.exponent(currency)
    return f"{currency} {Decimal(amount):,.{2 if places is None else places}f}"


def key_statistic_label(kind: str, year: int | None) -> str:
    """The row label of a key statistic: "Base Year [2025]" / "基准年 2025"."""
    labels = {
        "base_year": _("Base Year [%(year)s]"),
        "estimated_year": _("Estimated Year [%(year)s]"),
        "forecast_year": _("Forecast Year [%(year)s]"),
        "cagr": pgettext("key statistic", "CAGR (%%)"),
    }
    label = labels.get(kind, kind)
    return label % {"year": year or ""}
