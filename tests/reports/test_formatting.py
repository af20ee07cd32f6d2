"""Key statistics worded per language from the stored numbers."""

import re
from decimal import Decimal

import pytest
from django.utils.translation import override
from hypothesis import given
from hypothesis import strategies as st

from reports import formatting
from reports.models import KeyStatistic, KeyStatisticKind

D = Decimal

def money(amount, currency="USD", *, year=2025, kind=KeyStatisticKind.BASE_YEAR):
    """An unsaved key statistic holding a market size."""
    return KeyStatistic(kind=kind, year=year, amount=D(amount), currency=currency)


def cagr(percentage):
    return KeyStatistic(kind=KeyStatisticKind.CAGR, percentage=D(percentage))


# --- English --------------------------------------------------------------------

ENGLISH_AMOUNTS = [
    # The figures of product 1994249.
    ("9310000000", "USD 9.31 billion"),
    ("10040000000", "USD 10.04 billion"),
    ("17700000000", "USD 17.70 billion"),
    ("350000000", "USD 350.00 million"),
    ("1000000", "USD 1.00 million"),
    ("1200000000000", "USD 1.20 trillion"),
    # Rounding carries into the next unit instead of printing "1,000.00 million".
    ("999999999", "USD 1.00 billion"),
    ("999995000", "USD 1.00 billion"),
    ("999994999", "USD 999.99 million"),
    ("999999999999.99", "USD 1.00 trillion"),
    # Half up, not half to even.
    ("1005000", "USD 1.01 million"),
    ("1004999", "USD 1.00 million"),
    # Below a million: whole units with thousands separators.
    ("950000", "USD 950,000"),
    ("999999", "USD 999,999"),
    ("999999.49", "USD 999,999"),
    # ... and a carry from whole units into millions.
    ("999999.50", "USD 1.00 million"),
    ("999999.99", "USD 1.00 million"),
    ("1234.50", "USD 1,235"),
    ("0.50", "USD 1"),
    ("0", "USD 0"),
    ("0.00", "USD 0"),
    # Nothing larger than a trillion: the number grows instead.
    ("999999999999999.99", "USD 1,000.00 trillion"),
    ("2500000000000000", "USD 2,500.00 trillion"),
]


@pytest.mark.parametrize(("amount", "expected"), ENGLISH_AMOUNTS)
def test_english_money_amount(amount, expected):
    assert formatting.format_money_amount(D(amount), "USD", language="en") == expected


@pytest.mark.parametrize(("amount", "expected"), ENGLISH_AMOUNTS)
def test_english_key_statistic_display_value(amount, expected):
    with override("en"):
        assert money(amount).display_value() == expected


@pytest.mark.parametrize(
    ("currency", "expected"),
    [
        ("EUR", "EUR 9.31 billion"),
        ("CNY", "CNY 9.31 billion"),
        ("JPY", "JPY 9.31 billion"),
        ("XTS", "XTS 9.31 billion"),
        ("usd", "USD 9.31 billion"),
    ],
)
def test_english_uses_the_iso_code_for_every_currency(currency, expected):
    assert formatting.format_money_amount(D("9310000000"), currency, language="en") == expected


def test_english_amount_accepts_ints_and_strings():
    assert formatting.format_money_amount(9310000000, "USD", language="en") == "USD 9.31 billion"
    assert formatting.format_money_amount("17700000000", "USD", language="en") == (
        "USD 17.70 billion"
    )


def test_missing_amount_is_blank():
    assert formatting.format_money_amount(None, "USD", language="en") == ""
    assert formatting.format_money_amount(None, "USD", language="zh-hans") == ""
    assert formatting.format_percentage(None) == ""


def test_language_argument_wins_over_the_active_language():
    with override("zh-hans"):
        assert formatting.format_money_amount(D("9310000000"), "USD", language="en") == (
            "USD 9.31 billion"
        )
    with override("en"):
        assert formatting.format_money_amount(D("9310000000"), "USD", language="zh-hans") == (
            "93.1亿美元"
        )


def test_without_language_argument_the_active_language_decides():
    with override("en"):
        assert formatting.format_money_amount(D("9310000000"), "USD") == "USD 9.31 billion"
    with override("zh-hans"):
        assert formatting.format_money_amount(D("9310000000"), "USD") == "93.1亿美元"


# --- Chinese --------------------------------------------------------------------

CHINESE_AMOUNTS = [
    ("9310000000", "93.1亿美元"),
    ("10040000000", "100.4亿美元"),
    ("17700000000", "177亿美元"),
    ("100000000", "1亿美元"),
    ("350000000", "3.5亿美元"),
    ("35000000", "3500万美元"),
    ("12345678", "1234.57万美元"),
    ("950000", "95万美元"),
    ("12345", "1.23万美元"),
    ("10000", "1万美元"),
    ("1500000000000", "1.5万亿美元"),
    ("1000000000000", "1万亿美元"),
    # Rounding carries into the next unit: never "10000万" or "10000亿".
    ("99999999.99", "1亿美元"),
    ("99999950", "1亿美元"),
    ("99999949", "9999.99万美元"),
    ("99995000", "9999.5万美元"),
    ("999999999999.99", "1万亿美元"),
    ("9999.99", "1万美元"),
    ("9999.49", "9,999美元"),
    # Below 万: whole units.
    ("5000", "5,000美元"),
    ("0.50", "1美元"),
    ("0", "0美元"),
    ("999999999999999.99", "1000万亿美元"),
]


@pytest.mark.parametrize(("amount", "expected"), CHINESE_AMOUNTS)
def test_chinese_money_amount(amount, expected):
    assert formatting.format_money_amount(D(amount), "USD", language="zh-hans") == expected


@pytest.mark.parametrize(("amount", "expected"), CHINESE_AMOUNTS)
def test_chinese_key_statistic_display_value(amount, expected):
    with override("zh-hans"):
        assert money(amount).display_value() == expected


@pytest.mark.parametrize(
    ("currency", "expected"),
    [
        ("USD", "93.1亿美元"),
        ("EUR", "93.1亿欧元"),
        ("CNY", "93.1亿元人民币"),
        ("JPY", "93.1亿日元"),
        ("GBP", "93.1亿英镑"),
        ("eur", "93.1亿欧元"),
        # No Chinese name known: the ISO code follows the number.
        ("XTS", "93.1亿 XTS"),
    ],
)
def test_chinese_currency_names(currency, expected):
    with override("zh-hans"):
        assert money("9310000000", currency).display_value() == expected


def test_chinese_unknown_currency_below_wan():
    assert formatting.format_money_amount(D("5000"), "XTS", language="zh-hans") == "5,000 XTS"


@pytest.mark.parametrize(
    ("language", "expected"),
    [("zh-hans", "93.1亿美元"), ("zh", "93.1亿美元"), ("ZH-HANS", "93.1亿美元"),
     ("zh-hant", "93.1億美元"), ("zh-TW", "93.1億美元"), ("zh-hk", "93.1億美元")],
)
def test_every_chinese_variant_counts_in_wan_and_yi(language, expected):
    assert formatting.is_chinese(language)
    assert formatting.format_money_amount(D("9310000000"), "USD", language=language) == expected


@pytest.mark.parametrize("language", ["en", "en-gb", "fr"])
def test_other_languages_count_in_thousands(language):
    assert not formatting.is_chinese(language)


# --- Percentages ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("percentage", "expected"),
    [
        ("9.61", "9.61%"),
        ("9.6", "9.60%"),
        ("12", "12.00%"),
        ("0", "0.00%"),
        ("-3.5", "-3.50%"),
        ("9.605", "9.61%"),
        ("9.604", "9.60%"),
    ],
)
def test_percentage(percentage, expected):
    assert formatting.format_percentage(D(percentage)) == expected


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_cagr_is_the_same_in_both_languages(language):
    with override(language):
        assert cagr("9.61").display_value() == "9.61%"


def test_key_statistic_str_combines_label_and_value():
    with override("en"):
        assert str(money("9310000000")) == "Base Year [2025]: USD 9.31 billion"
        assert str(cagr("9.61")) == "CAGR (%): 9.61%"


# --- Labels ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "year", "expected"),
    [
        (KeyStatisticKind.BASE_YEAR, 2025, "Base Year [2025]"),
        (KeyStatisticKind.ESTIMATED_YEAR, 2026, "Estimated Year [2026]"),
        (KeyStatisticKind.FORECAST_YEAR, 2032, "Forecast Year [2032]"),
        (KeyStatisticKind.CAGR, None, "CAGR (%)"),
        (KeyStatisticKind.CAGR, 2032, "CAGR (%)"),
    ],
)
def test_english_labels(kind, year, expected):
    with override("en"):
        assert formatting.key_statistic_label(kind, year) == expected
        statistic = KeyStatistic(kind=kind, year=year)
        assert statistic.label() == expected


@pytest.mark.parametrize(
    ("kind", "year", "expected"),
    [
        (KeyStatisticKind.BASE_YEAR, 2025, "基准年 2025"),
        (KeyStatisticKind.ESTIMATED_YEAR, 2026, "预计年份 2026"),
        (KeyStatisticKind.FORECAST_YEAR, 2032, "预测年份 2032"),
        (KeyStatisticKind.CAGR, None, "复合年增长率（%）"),
    ],
)
def test_chinese_labels(kind, year, expected):
    with override("zh-hans"):
        assert KeyStatistic(kind=kind, year=year).label() == expected
        assert formatting.key_statistic_label(kind, year) == expected


def test_chinese_key_statistic_row():
    with override("zh-hans"):
        assert str(money("9310000000")) == "基准年 2025: 93.1亿美元"


# --- Licence prices --------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "currency", "expected"),
    [
        ("4949", "USD", "USD 4,949"),
        ("4949.00", "USD", "USD 4,949"),
        ("4949.50", "USD", "USD 4,949.50"),
        ("4949.5", "eur", "EUR 4,949.50"),
        ("550000", "JPY", "JPY 550,000"),
        ("550000.00", "JPY", "JPY 550,000"),
        # ISO 4217 minor units: three decimals for the Kuwaiti dinar.
        ("1000.00", "KWD", "KWD 1,000"),
        ("1000.50", "KWD", "KWD 1,000.500"),
        ("1000.5", "kwd", "KWD 1,000.500"),
        # A price finer than its currency (refused on save) is shown as it is, not
        # rounded into another price.
        ("550000.50", "JPY", "JPY 550,000.5"),
        ("4949.125", "USD", "USD 4,949.125"),
        # No minor unit in ISO 4217 (XTS, a code unknown to it): two decimals.
        ("10.5", "XTS", "XTS 10.50"),
        ("10.5", "ABC", "ABC 10.50"),
    ],
)
def test_licence_price(price, currency, expected):
    assert formatting.format_price(D(price), currency) == expected


# --- Properties ------------------------------------------------------------------

AMOUNTS = st.decimals(
    min_value=D("0"),
    max_value=D(10) ** 15,
    places=2,
    allow_nan=False,
    allow_infinity=False,
)
ENGLISH_UNITS = {"": D(1), "million": D(10) ** 6, "billion": D(10) ** 9, "trillion": D(10) ** 12}
CHINESE_UNITS = {"": D(1), "万": D(10) ** 4, "亿": D(10) ** 8, "万亿": D(10) ** 12}
ENGLISH_PATTERN = re.compile(
    r"^USD (?P<number>[\d,]+(?:\.\d\d)?)(?: (?P<unit>million|billion|trillion))?$"
)
CHINESE_PATTERN = re.compile(r"^(?P<number>[\d,]+(?:\.\d{1,2})?)(?P<unit>万亿|亿|万)?美元$")


def english_value(text: str) -> Decimal:
    match = ENGLISH_PATTERN.match(text)
    assert match, text
    return D(match["number"].replace(",", "")) * ENGLISH_UNITS[match["unit"] or ""]


def chinese_value(text: str) -> Decimal:
    match = CHINESE_PATTERN.match(text)
    assert match, text
    return D(match["number"].replace(",", "")) * CHINESE_UNITS[match["unit"] or ""]


@given(amount=AMOUNTS, currency=st.sampled_from(["USD", "EUR", "CNY", "JPY", "XTS"]))
def test_any_amount_is_worded_in_both_languages(amount, currency):
    english = formatting.format_money_amount(amount, currency, language="en")
    assert english and currency in english
    chinese = formatting.format_money_amount(amount, currency, language="zh-hans")
    name = formatting.CHINESE_CURRENCY_NAMES.get(currency, currency)
    assert chinese and name in chinese
    for language in ("en", "zh-hans"):
        with override(language):
            statistic = money(amount, currency)
            assert statistic.display_value() == formatting.format_money_amount(
                amount, currency, language=language
            )


@given(amount=AMOUNTS.filter(lambda amount: amount >= 10**6))
def test_english_wording_is_within_half_a_percent(amount):
    shown = english_value(formatting.format_money_amount(amount, "USD", language="en"))
    assert abs(shown - amount) <= amount * D("0.005")


@given(amount=AMOUNTS.filter(lambda amount: amount >= 10**4))
def test_chinese_wording_is_within_half_a_percent(amount):
    shown = chinese_value(formatting.format_money_amount(amount, "USD", language="zh-hans"))
    assert abs(shown - amount) <= amount * D("0.005")


@given(amount=AMOUNTS)
def test_english_never_shows_a_thousand_of_a_unit_below_the_top(amount):
    """Carry: "1,000.00 million" must read "1.00 billion" (only trillions may grow)."""
    text = formatting.format_money_amount(amount, "USD", language="en")
    match = ENGLISH_PATTERN.match(text)
    assert match, text
    number = D(match["number"].replace(",", ""))
    if match["unit"] in ("million", "billion"):
        assert D(1) <= number < 1000
    elif match["unit"] is None:
        assert number < 10**6


@given(amount=AMOUNTS)
def test_chinese_never_shows_ten_thousand_of_a_unit_below_the_top(amount):
    text = formatting.format_money_amount(amount, "USD", language="zh-hans")
    match = CHINESE_PATTERN.match(text)
    assert match, text
    number = D(match["number"].replace(",", ""))
    if match["unit"] in ("万", "亿"):
        assert D(1) <= number < 10**4
    elif match["unit"] is None:
        assert number < 10**4
