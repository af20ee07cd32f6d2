"""The buyer's currency: chosen in the header, kept in the session, shown on every page,
and the cart re-priced from the database when it changes."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from reports import services as report_services
from reports.models import LicenseOption, LicenseType
from tests.factories import make_report

pytestmark = pytest.mark.django_db

S, M, E = LicenseType.SINGLE_USER, LicenseType.MULTI_USER, LicenseType.ENTERPRISE


def priced(product_code="1994249", **prices_by_currency):
    """A report whose licences are priced per currency: USD={S: "3939"}, CNY={...}."""
    usd = prices_by_currency.pop("USD")
    report = make_report(product_code=product_code, licence_prices=usd, licence_currency="USD")
    for currency, prices in prices_by_currency.items():
        for license_type, price in prices.items():
            LicenseOption.objects.create(
                report=report, license_type=license_type, price=Decimal(price), currency=currency
            )
    report_services.refresh_listing(report_id=report.pk)
    return report


def detail_url(report, language="en"):
    return f"/{language}/reports/{report.product_code}/{report.slug}/"


def option(report, license_type, currency):
    return report.license_options.get(license_type=license_type, currency=currency)


def switch(client, currency, language="en", next_url=None):
    return client.post(
        f"/{language}/currency/", {"currency": currency, "next": next_url or f"/{language}/cart/"}
    )


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


# --- Default and choice ------------------------------------------------------------------


def test_prices_show_in_the_languages_default_currency(client):
    report = priced(USD={S: "3939"}, CNY={S: "28300"})

    english = client.get(detail_url(report)).content.decode()
    chinese = client.get(detail_url(report, "zh-hans")).content.decode()

    assert "USD 3,939" in english and "CNY 28,300" not in english
    assert "CNY 28,300" in chinese and "USD 3,939" not in chinese


def test_a_chosen_currency_is_kept_in_the_session_across_pages_and_languages(client):
    # given
    report = priced(USD={S: "3939"}, EUR={S: "3650"})

    # when
    response = switch(client, "EUR", next_url=detail_url(report))

    # then: back on the page, in euros, in both languages and on the list
    assert response.status_code == 302 and response["Location"] == detail_url(report)
    assert "EUR 3,650" in client.get(detail_url(report)).content.decode()
    assert "EUR 3,650" in client.get(detail_url(report, "zh-hans")).content.decode()
    assert "EUR 3,650" in client.get("/en/reports/").content.decode()
    assert 'option value="EUR" selected' in client.get("/en/").content.decode()


def test_the_switcher_is_a_plain_form_in_the_header(client):
    page = client.get("/en/reports/").content.decode()

    assert 'class="currency-switcher" method="post" action="/en/currency/"' in page
    for code in ["USD", "EUR", "GBP", "CNY", "JPY"]:
        assert f'<option value="{code}"' in page


def test_a_currency_the_shop_does_not_sell_is_refused_with_a_message(client):
    response = client.post("/en/currency/", {"currency": "KWD"}, follow=True)

    assert "The shop does not sell in that currency." in messages_of(response)
    assert client.session.get("currency") is None


def test_an_outside_next_address_is_not_followed(client):
    response = switch(client, "EUR", next_url="https://evil.example/")

    assert response["Location"] == "/en/cart/"


# --- A licence without a price in the buyer's currency --------------------------------


def test_a_licence_without_a_price_in_the_currency_shows_what_it_is_charged_in(client, settings):
    # given: single user priced in CNY, enterprise only in USD, and a published rate
    settings.SHOP_EXCHANGE_RATES = {"USD/CNY": ("7.20", "2026-12-02")}
    report = priced(USD={S: "3939", E: "5759"}, CNY={S: "28300"})

    # when
    page = client.get(detail_url(report, "zh-hans")).content.decode()

    # then: the CNY price where there is one; USD with an indicative amount elsewhere
    assert "CNY 28,300" in page
    assert "USD 5,759" in page
    assert "CNY 41,465" in page  # 5,759 × 7.20 = 41,464.80, shown whole
    assert "7.20" in page and "2026年12月2日" in page


def test_the_indicative_amount_is_worded_and_dated_in_english(client, settings):
    settings.SHOP_EXCHANGE_RATES = {"USD/CNY": ("7.20", "2026-12-02")}
    report = priced(USD={S: "3939"})
    switch(client, "CNY")

    page = client.get(detail_url(report)).content.decode()

    assert "No CNY price: charged in USD." in page
    assert "≈ CNY 28,361 at 7.20, Dec. 2, 2026" in page


def test_without_a_rate_table_no_amount_is_made_up(client, settings):
    settings.SHOP_EXCHANGE_RATES = {}
    report = priced(USD={S: "3939"})
    switch(client, "CNY")

    page = client.get(detail_url(report)).content.decode()

    assert "No CNY price: charged in USD." in page
    assert "≈" not in page


def test_a_rate_serves_the_other_direction_too(client, settings):
    settings.SHOP_EXCHANGE_RATES = {"USD/CNY": ("7.20", "2026-12-02")}
    report = priced(USD={}, CNY={S: "28800"})

    page = client.get(detail_url(report)).content.decode()  # an English buyer: USD

    assert "CNY 28,800" in page
    assert "≈ USD 4,000 at 7.20" in page


# --- The cart ---------------------------------------------------------------------------


def test_switching_currency_re_prices_the_cart_from_the_database(client):
    # given: a cart in USD
    report = priced(USD={S: "3939", M: "4249"}, CNY={S: "28300", M: "30500"})
    client.post("/en/cart/add/", {"license_option": option(report, M, "USD").pk})

    # when
    response = switch(client, "CNY")
    cart = client.get("/en/cart/")

    # then: the same licence, at its CNY price, and the buyer is told
    assert response.status_code == 302
    [line] = cart.context["lines"]
    assert (line.option.license_type, line.price, line.currency) == (M, Decimal("30500"), "CNY")
    assert cart.context["total"] == "CNY 30,500"
    followed = client.get("/en/cart/")
    assert "your cart was re-priced" in " ".join(messages_of(cart) + messages_of(followed))


def test_a_line_without_a_price_in_the_new_currency_keeps_the_whole_cart_in_its_own(client):
    # given: two reports in the cart; only one has a CNY price
    both = priced(USD={S: "3939"}, CNY={S: "28300"})
    usd_only = priced(product_code="2000001", USD={S: "2950"})
    client.post("/en/cart/add/", {"license_option": option(both, S, "USD").pk})
    client.post("/en/cart/add/", {"license_option": option(usd_only, S, "USD").pk})

    # when
    client.post("/en/currency/", {"currency": "CNY", "next": "/en/cart/"})
    cart = client.get("/en/cart/")

    # then: a cart holds one currency, so both lines stay in USD, and the buyer is told why
    text = " ".join(messages_of(cart))
    assert "2000001 has no price in CNY, so your cart stays in USD and is charged in USD." in text
    currencies = {line.report.product_code: line.currency for line in cart.context["lines"]}
    assert currencies == {"1994249": "USD", "2000001": "USD"}
    assert cart.context["total"] == "USD 6,889"


def test_a_switch_sent_by_another_site_is_refused_and_changes_nothing(client):
    report = priced(USD={S: "3939"}, CNY={S: "28300"})
    client.post("/en/cart/add/", {"license_option": option(report, S, "USD").pk})

    for headers in ({"HTTP_ORIGIN": "https://attacker.example"},
                    {"HTTP_SEC_FETCH_SITE": "cross-site"}, {"HTTP_ORIGIN": "null"}):
        response = client.post("/en/currency/", {"currency": "CNY"}, **headers)
        assert response.status_code == 403

    [line] = client.get("/en/cart/").context["lines"]
    assert line.currency == "USD"
    # the shop's own form (same origin) still works
    same = client.post("/en/currency/", {"currency": "CNY"}, HTTP_ORIGIN="http://testserver",
                       HTTP_SEC_FETCH_SITE="same-origin")
    assert same.status_code == 302
    [line] = client.get("/en/cart/").context["lines"]
    assert line.currency == "CNY"


def test_a_cart_with_no_price_in_the_new_currency_stays_in_its_own(client):
    report = priced(USD={S: "3939"})
    client.post("/en/cart/add/", {"license_option": option(report, S, "USD").pk})

    client.post("/en/currency/", {"currency": "JPY", "next": "/en/cart/"})
    cart = client.get("/en/cart/")

    assert "so your cart stays in USD and is charged in USD" in " ".join(messages_of(cart))
    assert cart.context["total"] == "USD 3,939"


def test_the_cart_offers_licence_changes_in_its_own_currency_only(client):
    report = priced(USD={S: "3939", M: "4249"}, CNY={S: "28300", M: "30500"})
    switch(client, "CNY")
    client.post("/en/cart/add/", {"license_option": option(report, S, "CNY").pk})

    page = client.get("/en/cart/").content.decode()

    assert "CNY 30,500" in page and "USD 4,249" not in page


# --- The page cache -------------------------------------------------------------------------


def test_cached_pages_are_kept_per_currency(client):
    # given: the detail page cached for USD buyers
    report = priced(USD={S: "3939"}, EUR={S: "3650"})
    assert "USD 3,939" in Client().get(detail_url(report)).content.decode()

    # when: a buyer with EUR opens it
    switch(client, "EUR")
    page = client.get(detail_url(report)).content.decode()

    # then: their currency, not the cached USD page; and the USD page is still served
    assert "EUR 3,650" in page and "USD 3,939" not in page
    assert "USD 3,939" in Client().get(detail_url(report)).content.decode()


def test_a_cached_page_costs_no_query_in_any_currency(client):
    report = priced(USD={S: "3939"}, EUR={S: "3650"})
    switch(client, "EUR")
    client.get(detail_url(report))
    anonymous = Client()
    anonymous.get(detail_url(report))

    with CaptureQueriesContext(connection) as whole_page:
        anonymous.get(detail_url(report))

    assert len(whole_page) == 0


@pytest.mark.parametrize("url", ["/en/reports/", "/zh-hans/reports/", "/en/"])
def test_list_pages_in_a_chosen_currency_keep_a_fixed_query_count(client, settings, url):
    settings.CATALOGUE_CACHE_SECONDS = 0  # every request builds the page
    settings.REPORTS_PER_PAGE = 5
    switch(client, "EUR")
    for number in range(6):
        priced(product_code=f"Q-{number:04d}", USD={S: "3000"}, EUR={S: "2800"})
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for number in range(6, 60):
        priced(product_code=f"Q-{number:04d}", USD={S: "3000"}, EUR={S: "2800"})
    client.get(url)  # as before "small": the parts kept per catalogue version are warm
    with CaptureQueriesContext(connection) as large:
        page = client.get(url).content.decode()

    assert "EUR 2,800" in page
    assert len(small) == len(large)


def test_the_detail_page_in_a_chosen_currency_keeps_a_fixed_query_count(client, settings):
    settings.CATALOGUE_CACHE_SECONDS = 0
    report = priced(USD={S: "3939"}, EUR={S: "3650"})
    for number in range(40, 43):  # related reports, priced in the buyer's currency or not
        priced(product_code=f"Q-{number:04d}", USD={S: "3000", M: "4000"})
    switch(client, "EUR")
    client.get(detail_url(report))  # the parts kept per catalogue version are warm
    with CaptureQueriesContext(connection) as small:
        client.get(detail_url(report))
    for number in range(40):
        priced(product_code=f"Q-{number:04d}", USD={S: "3000", M: "4000"}, EUR={S: "2800"})
    client.get(detail_url(report))
    with CaptureQueriesContext(connection) as large:
        client.get(detail_url(report))

    assert len(small) == len(large)
