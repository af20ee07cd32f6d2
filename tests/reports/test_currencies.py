"""Currency facts: ISO 4217 minor units, exact conversions, the currencies the shop sells,
and the catalogue refusing licences it could not charge correctly (model, admin, feed)."""

from decimal import Decimal

import babel
import babel.numbers
import pytest
from django.core.checks import run_checks
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from reports import currencies, formatting
from reports.models import KeyStatistic, KeyStatisticKind, LicenseOption, LicenseType
from tests.factories import make_category, make_report
from tests.reports.test_admin import change_url, post_data
from tests.reports.test_import import csv_row, import_reports, json_report, write_csv, write_json

D = Decimal

# Every current ISO 4217 currency that Babel (CLDR) knows, minor unit or not.
BABEL_ISO_CODES = sorted(
    code for code in babel.numbers.list_currencies() if currencies.is_iso_currency(code)
)
WITH_MINOR_UNITS = [code for code in BABEL_ISO_CODES if currencies.exponent(code) is not None]


# --- ISO 4217 minor units -------------------------------------------------------------


def test_babel_knows_every_iso_4217_currency_the_shop_can_price_in():
    assert babel.__version__ == "2.19.0"  # the CLDR data the comparisons below were made on
    assert len(WITH_MINOR_UNITS) > 150
    assert {"USD", "EUR", "JPY", "KWD", "BHD", "CLF", "ISK", "UGX"} <= set(WITH_MINOR_UNITS)


@pytest.mark.parametrize(
    ("code", "places"),
    [("USD", 2), ("EUR", 2), ("GBP", 2), ("CNY", 2), ("JPY", 0), ("KRW", 0), ("KWD", 3),
     ("BHD", 3), ("TND", 3), ("CLF", 4), ("ISK", 0), ("XAU", None), ("XXX", None),
     ("ABC", None), ("usd", None)],
)
def test_minor_units_are_those_of_iso_4217(code, places):
    assert currencies.exponent(code) == places


@pytest.mark.parametrize(
    ("code", "iso", "cldr"),
    # CLDR's digits are for display. HUF, IDR and COP went to 0 in Babel 2.19, but Stripe
    # (as ISO 4217) counts them in hundredths: CLDR's digits would charge 1 % of the price.
    [("HUF", 2, 0), ("IDR", 2, 0), ("COP", 2, 0), ("IQD", 3, 0), ("MGA", 2, 0), ("AFN", 2, 0)],
)
def test_minor_units_follow_iso_4217_where_cldr_digits_differ(code, iso, cldr):
    assert babel.numbers.get_currency_precision(code) == cldr
    assert currencies.exponent(code) == iso
    assert currencies.to_minor_units(D("10000"), code) == 10000 * 10**iso


def _price(places: int):
    return st.decimals(min_value=0, max_value=D(10) ** 13, places=places,
                       allow_nan=False, allow_infinity=False)


@given(data=st.data(), code=st.sampled_from(WITH_MINOR_UNITS))
def test_every_iso_currency_price_to_minor_units_and_back_is_exact(data, code):
    # given a price with at most the currency's decimals
    places = currencies.exponent(code)
    price = data.draw(_price(places))

    # when
    units = currencies.to_minor_units(price, code)

    # then
    assert isinstance(units, int)
    assert D(units) == price * 10**places
    assert currencies.from_minor_units(units, code) == price
    assert currencies.fits(price, code)


@given(data=st.data(), code=st.sampled_from(WITH_MINOR_UNITS))
def test_every_iso_currency_refuses_a_price_with_more_decimals_than_it_has(data, code):
    # given a price one to six decimals finer than the currency, its last digit not 0
    places = currencies.exponent(code)
    extra = data.draw(st.integers(min_value=1, max_value=6))
    whole = data.draw(st.integers(min_value=0, max_value=10**12))
    last = data.draw(st.integers(min_value=1, max_value=9))
    price = D(whole * 10 + last).scaleb(-(places + extra))

    # when / then
    with pytest.raises(currencies.TooManyDecimals):
        currencies.to_minor_units(price, code)
    assert not currencies.fits(price, code)
    with pytest.raises(ValidationError):
        currencies.validate_price_fits(price, code)


@pytest.mark.parametrize("code", ["XAU", "XTS", "XXX", "DEM", "ABC", ""])
def test_codes_without_iso_minor_units_cannot_be_converted(code):
    with pytest.raises(currencies.UnknownCurrency):
        currencies.to_minor_units(D("1"), code)
    with pytest.raises(currencies.UnknownCurrency):
        currencies.from_minor_units(1, code)


def test_conversions_are_exact_beyond_decimal_context_precision():
    price = D("123456789012345678901234567890.12")  # 32 digits; the context keeps 28
    assert currencies.to_minor_units(price, "USD") == 12345678901234567890123456789012
    assert currencies.from_minor_units(12345678901234567890123456789012, "USD") == price


def test_the_kuwaiti_dinar_has_a_thousand_fils():
    assert currencies.to_minor_units(D("1000.00"), "KWD") == 1_000_000
    assert currencies.from_minor_units(1_000_000, "KWD") == D("1000")


@pytest.mark.parametrize(
    ("price", "currency", "expected"),
    [("1234", "JPY", "JPY 1,234"), ("1000.00", "KWD", "KWD 1,000"),
     ("1000.25", "KWD", "KWD 1,000.250"), ("3939.50", "USD", "USD 3,939.50")],
)
def test_prices_show_the_currency_minor_unit(price, currency, expected):
    assert formatting.format_price(D(price), currency) == expected


# --- SHOP_CURRENCIES and its system checks ------------------------------------------


def check_ids():
    return {message.id for message in run_checks()}


def test_the_default_currencies_pass_the_checks(settings):
    assert settings.SHOP_CURRENCIES == ["USD", "EUR", "GBP", "CNY", "JPY"]
    assert not {"reports.E001", "reports.E002", "payments.E002"} & check_ids()


@pytest.mark.parametrize("code", ["ABC", "XXX", "XAU", "DEM"])
def test_a_code_that_is_not_an_iso_currency_with_minor_units_stops_the_start(settings, code):
    settings.SHOP_CURRENCIES = ["USD", code]
    assert "reports.E002" in check_ids()


def test_no_currency_at_all_stops_the_start(settings):
    settings.SHOP_CURRENCIES = []
    assert "reports.E001" in check_ids()


def test_a_currency_stripe_counts_more_coarsely_than_iso_is_refused(settings):
    # MGA: two decimals in ISO 4217, whole ariary at Stripe.
    settings.SHOP_CURRENCIES = ["USD", "MGA"]
    assert "payments.E002" in check_ids()
    settings.SHOP_CURRENCIES = ["USD", "ISK", "KWD"]  # handled: Stripe takes them exactly
    assert not {"reports.E002", "payments.E002"} & check_ids()


# --- The models ---------------------------------------------------------------------


def licence(price, currency):
    return LicenseOption(license_type=LicenseType.SINGLE_USER, price=D(price), currency=currency)


def errors_of(instance) -> dict:
    with pytest.raises(ValidationError) as refused:
        instance.full_clean(exclude=["report"], validate_constraints=False)
    return refused.value.message_dict


def test_a_yen_price_with_sen_is_refused_by_the_model():
    assert errors_of(licence("1234.50", "JPY")) == {
        "price": ["JPY has no minor unit: give a whole amount, such as 1234."]
    }
    # Whole yen, written with two decimals as the database gives them back.
    licence("1234.00", "JPY").full_clean(exclude=["report"], validate_constraints=False)


def test_a_currency_the_shop_does_not_sell_is_refused_by_the_model():
    assert errors_of(licence("1000.00", "KWD")) == {
        "currency": ["The shop does not sell in KWD; choose one of: USD, EUR, GBP, CNY, JPY."]
    }


def test_the_refusals_are_translated():
    with translation.override("zh-hans"):
        assert errors_of(licence("1234.50", "JPY")) == {
            "price": ["JPY 没有辅币单位：请填写整数金额，例如 1234。"]
        }
        assert errors_of(licence("99", "CHF")) == {
            "currency": ["本店不以 CHF 销售；请选择以下货币之一：USD, EUR, GBP, CNY, JPY。"]
        }


def test_a_sold_three_decimal_currency_takes_two_decimal_prices(settings):
    settings.SHOP_CURRENCIES = ["USD", "KWD"]
    licence("1000.25", "KWD").full_clean(exclude=["report"], validate_constraints=False)


def test_a_price_finer_than_the_field_is_reported_once():
    assert errors_of(licence("10.125", "USD")) == {
        "price": ["Ensure that there are no more than 2 decimal places."]
    }


def test_a_market_size_may_be_in_any_iso_currency_but_only_an_iso_one():
    def statistic(currency):
        return KeyStatistic(kind=KeyStatisticKind.BASE_YEAR, year=2025, amount=D("9310000000"),
                            currency=currency)

    statistic("KWD").full_clean(exclude=["report"], validate_constraints=False)  # reported, not sold
    assert errors_of(statistic("ABC")) == {
        "currency": ["“ABC” is not an ISO 4217 currency code, such as USD."]
    }
    assert errors_of(statistic("usd")) == {
        "currency": ["Enter a three-letter ISO currency code, such as USD."]
    }


# --- The editors' admin -------------------------------------------------------------


def save_licence(admin_client, report, price, currency):
    page = admin_client.get(change_url(report) + "?language=en")
    data = post_data(page)
    data.update({"license_options-0-price": price, "license_options-0-currency": currency})
    return admin_client.post(change_url(report) + "?language=en", data)


def inline_errors(response) -> list[str]:
    return [message for messages in response.context["errors"] for message in messages]


@pytest.mark.django_db
def test_the_admin_refuses_a_yen_price_with_sen(admin_client):
    # given
    report = make_report(licence_prices=["550000"], licence_currency="JPY")

    # when
    response = save_licence(admin_client, report, "1234.50", "JPY")

    # then: the form comes back with the reason, and the stored price stays
    assert response.status_code == 200
    assert "JPY has no minor unit: give a whole amount, such as 1234." in inline_errors(response)
    assert report.license_options.get().price == D("550000.00")


@pytest.mark.django_db
def test_the_admin_refuses_a_currency_the_shop_does_not_sell(admin_client):
    report = make_report(licence_prices=["3939"])

    response = save_licence(admin_client, report, "1000", "KWD")

    assert response.status_code == 200
    assert (
        "The shop does not sell in KWD; choose one of: USD, EUR, GBP, CNY, JPY."
        in inline_errors(response)
    )
    assert report.license_options.get().currency == "USD"


@pytest.mark.django_db
def test_the_admin_saves_a_dinar_price_once_the_shop_sells_dinars(admin_client, settings):
    settings.SHOP_CURRENCIES = ["USD", "KWD"]
    report = make_report(licence_prices=["3939"])

    response = save_licence(admin_client, report, "1000.25", "KWD")

    assert response.status_code == 302
    assert (report.license_options.get().price, report.license_options.get().currency) == (
        D("1000.25"), "KWD")


# --- The feed import ----------------------------------------------------------------


@pytest.fixture
def feed_categories(db):
    make_category(slug="medical-devices", name_en="Medical Devices", name_zh="医疗器械")


def test_the_feed_reports_prices_that_do_not_fit_or_are_not_sold_per_row(tmp_path,
                                                                          feed_categories):
    # given: a good row between a yen price with sen and a price in dinars
    feed = write_csv(tmp_path / "feed.csv", [
        csv_row("YEN-1", currency="JPY", price_single_user="1234.50", price_multi_user="2000",
                price_enterprise="3000"),
        csv_row("GOOD-1"),
        csv_row("DINAR-1", currency="KWD"),
    ])

    # when
    run = import_reports(feed)

    # then
    assert run.status == 1, run
    assert "1 created, 0 updated, 0 unchanged, 2 failed." in run.stdout
    assert "YEN-1 · failed" in run.stdout
    assert "price_single_user: JPY has no minor unit: give a whole amount, such as 1234." in (
        run.stdout)
    assert "DINAR-1 · failed" in run.stdout
    assert "currency: The shop does not sell in KWD; choose one of: USD, EUR, GBP, CNY, JPY." in (
        run.stdout)
    assert set(LicenseOption.objects.values_list("report__product_code", flat=True)) == {
        "GOOD-1"}


def test_the_json_feed_names_the_licence_that_does_not_fit(tmp_path, feed_categories):
    feed = write_json(tmp_path / "feed.json", [
        json_report("YEN-2", licences=[
            {"license_type": "single_user", "price": "1000", "currency": "JPY"},
            {"license_type": "site", "price": "1234.50", "currency": "JPY"},
        ]),
        json_report("CHF-1", licences=[{"license_type": "site", "price": 99, "currency": "chf"}]),
        json_report("STAT-1", key_statistics=[{"kind": "base_year", "amount": 5,
                                               "currency": "ABC"}]),
    ])

    run = import_reports(feed)

    assert run.status == 1, run
    assert "0 created, 0 updated, 0 unchanged, 3 failed." in run.stdout
    assert "licences[2].price: JPY has no minor unit: give a whole amount, such as 1234." in (
        run.stdout)
    assert ("licences[1].currency: The shop does not sell in CHF; choose one of: USD, EUR, GBP, "
            "CNY, JPY." in run.stdout)
    assert "key_statistics[1].currency: “ABC” is not an ISO 4217 currency code, such as USD." in (
        run.stdout)
