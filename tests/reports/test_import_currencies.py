"""import_reports: a licence priced in several currencies, in CSV (a column per currency)
and in JSON (an entry per currency); row by row, with the errors named as the feed does."""

from decimal import Decimal

import pytest

from reports.models import LicenseOption, Report
from tests.reports.test_import import (
    CSV_HEADER,
    ON_ORDER,
    ON_ORDER_JSON,
    csv_row,
    demo_categories,  # noqa: F401  (autouse: the category slugs the rows use)
    import_reports,
    json_report,
    write_csv,
    write_json,
)

pytestmark = pytest.mark.django_db

CURRENCY_COLUMNS = ["price_single_user_cny", "price_single_user_eur", "price_enterprise_jpy"]


def prices_of(code: str) -> set[tuple[str, str, Decimal]]:
    return set(
        LicenseOption.objects.filter(report__product_code=code).values_list(
            "license_type", "currency", "price"
        )
    )


def test_csv_columns_price_a_licence_in_other_currencies(tmp_path):
    # given: a row with USD prices and a column per extra currency
    row = csv_row("CUR-1", price_single_user_cny="28,300", price_single_user_eur="3650.50",
                  price_enterprise_jpy="1050000", **ON_ORDER)
    feed = write_csv(tmp_path / "feed.csv", [row], header=CSV_HEADER + CURRENCY_COLUMNS)

    # when
    run = import_reports(feed)

    # then
    assert run.status == 0, run
    assert prices_of("CUR-1") == {
        ("single_user", "USD", Decimal("3949")),
        ("multi_user", "USD", Decimal("4949")),
        ("enterprise", "USD", Decimal("6949")),
        ("single_user", "CNY", Decimal("28300")),
        ("single_user", "EUR", Decimal("3650.50")),
        ("enterprise", "JPY", Decimal("1050000")),
    }


def test_a_bad_currency_price_fails_its_row_only_and_names_its_column(tmp_path):
    rows = [
        csv_row("CUR-OK", price_single_user_cny="28300", **ON_ORDER),
        csv_row("CUR-YEN", price_enterprise_jpy="1050000.50", **ON_ORDER),
        csv_row("CUR-NAN", price_single_user_eur="3.650,5O", **ON_ORDER),
    ]
    feed = write_csv(tmp_path / "feed.csv", rows, header=CSV_HEADER + CURRENCY_COLUMNS)

    run = import_reports(feed)

    assert run.status == 1, run
    assert "1 created, 0 updated, 0 unchanged, 2 failed." in run.stdout
    assert "price_enterprise_jpy: JPY has no minor unit: give a whole amount" in run.stdout
    assert "price_single_user_eur:" in run.stdout
    assert set(Report.objects.values_list("product_code", flat=True)) == {"CUR-OK"}


def test_a_column_in_a_currency_the_shop_does_not_sell_is_refused_by_name(tmp_path):
    header = CSV_HEADER + ["price_single_user_kwd"]
    feed = write_csv(tmp_path / "feed.csv",
                     [csv_row("CUR-KWD", price_single_user_kwd="1000", **ON_ORDER)], header=header)

    run = import_reports(feed)

    assert run.status == 1, run
    assert "price_single_user_kwd: The shop does not sell in KWD" in run.stdout


def test_json_gives_an_entry_per_currency_and_refuses_the_same_currency_twice(tmp_path):
    feed = write_json(tmp_path / "feed.json", [
        json_report("J-1", licences=[
            {"license_type": "single_user", "price": 3949},
            {"license_type": "single_user", "price": 28300, "currency": "CNY"},
        ], **ON_ORDER_JSON),
        json_report("J-2", licences=[
            {"license_type": "single_user", "price": 28300, "currency": "CNY"},
            {"license_type": "single_user", "price": 28800, "currency": "CNY"},
        ], **ON_ORDER_JSON),
        json_report("J-3", licences=[
            {"license_type": "single_user", "price": 3949},
            {"license_type": "single_user", "price": 1000.5, "currency": "JPY"},
        ], **ON_ORDER_JSON),
    ])

    run = import_reports(feed)

    assert run.status == 1, run
    assert prices_of("J-1") == {("single_user", "USD", Decimal("3949")),
                                ("single_user", "CNY", Decimal("28300"))}
    assert "“single_user” in CNY is given more than once" in run.stdout
    assert "licences[2].price: JPY has no minor unit" in run.stdout
    assert set(Report.objects.values_list("product_code", flat=True)) == {"J-1"}


def test_reimporting_keeps_the_rows_orders_point_at_and_drops_prices_left_out(tmp_path):
    # given: a report priced in USD and CNY
    header = CSV_HEADER + CURRENCY_COLUMNS
    write_csv(tmp_path / "a.csv", [csv_row("CUR-2", price_single_user_cny="28300", **ON_ORDER)],
              header=header)
    assert import_reports(tmp_path / "a.csv").status == 0
    cny = LicenseOption.objects.get(report__product_code="CUR-2", currency="CNY")

    # when: the CNY price changes, and the EUR one is added
    write_csv(tmp_path / "b.csv", [csv_row("CUR-2", price_single_user_cny="27900",
                                           price_single_user_eur="3650", **ON_ORDER)],
              header=header)
    run = import_reports(tmp_path / "b.csv")

    # then: the same row, at its new price
    assert run.status == 0, run
    cny.refresh_from_db()
    assert cny.price == Decimal("27900")
    assert ("single_user", "EUR", Decimal("3650")) in prices_of("CUR-2")
