"""Checkout's country, billing address and VAT id, as a company's buyer types them."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from storefront.orders import services
from storefront.orders.cart import CartLine
from storefront.orders.models import Order, PaymentMethod
from tests.factories import make_report
from tests.orders.test_checkout import add_to_cart, option

pytestmark = pytest.mark.django_db

COMPANY = {
    "email": "anna.schmidt@example.de",
    "full_name": "Anna Schmidt",
    "company": "Beispiel Medizin GmbH",
    "billing_line1": "Friedrichstraße 123",
    "billing_line2": "3. Etage",
    "billing_postcode": "10117",
    "billing_city": "Berlin",
    "country": "DE",
    "vat_id": "",
    "po_number": "PO-2026-17",
    "payment_method": PaymentMethod.INVOICE,
    "accept_terms": "on",
}


FULL_WIDTH_USCC = "".join(chr(ord(char) + 0xFEE0) for char in "91110000600037341L")


def checkout(client, language="en", **changes):
    add_to_cart(client, option(make_report()), language)
    return client.post(f"/{language}/checkout/", {**COMPANY, **changes})


def selected_country(page: str) -> str | None:
    match = re.search(r'<option value="([A-Z]{2})" selected>', page)
    return match and match.group(1)


# --- The country list --------------------------------------------------------------


def test_country_list_names_countries_in_the_buyers_language(client):
    # given a cart
    add_to_cart(client, option(make_report()))

    # when the checkout is opened in Chinese and in English
    chinese = client.get("/zh-hans/checkout/").content.decode()
    english = client.get("/en/checkout/").content.decode()

    # then each lists the countries by their names in that language, ISO codes as values
    assert '<option value="CN">中国</option>' in chinese
    assert '<option value="DE">德国</option>' in chinese
    assert '<option value="CN">China</option>' in english
    assert '<option value="DE">Germany</option>' in english
    assert "Friedrichstraße" not in english  # nothing pre-filled for a new buyer
    # and a Chinese buyer finds China at the top, not under Z (for Zhongguo) or C
    first = re.findall(r'<option value="([A-Z]{2})"', chinese)[:2]
    assert first == ["CN", "HK"]


@pytest.mark.parametrize("country", ["China", "x", "XX", "<script>alert(1)</script>", ""])
def test_a_country_not_from_the_list_is_refused_and_nothing_is_saved(client, country):
    response = checkout(client, country=country)

    assert response.status_code == 400
    assert response.context["form"].errors["country"]
    assert "Friedrichstraße 123" in response.content.decode()  # the address is kept
    assert not Order.objects.exists()


# --- VAT / tax ids -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "country", "vat_id", "message"),
    [
        ("en", "DE", "DE 136 695 977", "its check digits do not match"),
        ("en", "DE", "DE12345", "wrong number of characters"),
        ("en", "DE", "FR40303265045", "starts with FR; VAT numbers of Germany start with DE"),
        ("en", "GB", "GB 123 4567 89", "not a valid VAT / tax ID for United Kingdom"),
        ("en", "CN", "91110000600037341X", "not a valid VAT / tax ID for China"),
        ("zh-hans", "CN", "91110000600037341X", "不是中国的有效增值税号或税号"),
        ("en", "US", "<b>12</b>", "letters and digits only"),
    ],
)
def test_an_invalid_vat_id_is_refused_with_the_reason_and_the_typed_values_kept(
    client, language, country, vat_id, message
):
    # when a buyer submits a VAT id whose format or check digits are wrong
    response = checkout(client, language, country=country, vat_id=vat_id)

    # then: a 400 saying why, in the buyer's language, with everything still filled in
    page = response.content.decode()
    assert response.status_code == 400
    assert message in page
    assert f'value="{vat_id}"'.replace("<", "&lt;").replace(">", "&gt;") in page
    assert 'value="Friedrichstraße 123"' in page
    assert 'value="10117"' in page
    assert 'value="PO-2026-17"' in page
    assert selected_country(page) == country
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("country", "typed", "stored"),
    [
        ("DE", "de 136 695 976", "DE136695976"),
        ("DE", "136695976", "DE136695976"),  # the EU prefix is added when left out
        ("FR", "FR 40 303 265 045", "FR40303265045"),
        ("GR", "094259216", "EL094259216"),  # Greece's VAT prefix is EL
        ("GB", "GB 980 7806 84", "980780684"),
        ("GB", "XI 980 7806 84", "XI980780684"),  # Northern Ireland trades under the EU scheme
        ("CH", "CHE-107.787.577 MWST", "CHE107787577MWST"),
        ("NO", "NO 995 525 828 MVA", "995525828MVA"),
        ("AU", "51 824 753 556", "51824753556"),
        ("CN", "91110000600037341L", "91110000600037341L"),
        ("CN", FULL_WIDTH_USCC, "91110000600037341L"),  # typed with a Chinese input method
        ("US", " 12-3456789 ", "12-3456789"),  # no known scheme: any reasonable id
    ],
)
def test_a_valid_vat_id_is_accepted_and_stored_in_its_compact_form(client, country, typed, stored):
    response = checkout(client, country=country, vat_id=typed, billing_postcode="1000")

    assert response.status_code == 302
    order = Order.objects.get()
    assert (order.country.code, order.vat_id) == (country, stored)


def test_the_vat_id_stays_optional(client):
    assert checkout(client, vat_id="").status_code == 302
    assert Order.objects.get().vat_id == ""


def test_a_vat_id_too_long_for_the_field_is_refused_not_cut(client):
    response = checkout(client, country="US", vat_id="1" * 51)
    assert response.status_code == 400
    assert not Order.objects.exists()


# --- Billing address ---------------------------------------------------------------


def test_an_order_is_saved_with_the_billing_address_and_shows_it(client):
    # when a German company orders with its address and VAT id
    response = checkout(client, vat_id="DE136695976")

    # then the order holds the address and the country's ISO code
    order = Order.objects.get()
    assert response["Location"] == f"/en/orders/{order.public_token}/"
    assert (order.billing_line1, order.billing_line2, order.billing_postcode, order.billing_city) == (
        "Friedrichstraße 123", "3. Etage", "10117", "Berlin"
    )
    assert order.country == "DE"
    assert order.country_as_typed == ""
    assert order.billing_address_lines == [
        "Friedrichstraße 123", "3. Etage", "10117 Berlin", "Germany",
    ]
    # and the order page prints it, the country by its name in the order's language
    page = client.get(response["Location"]).content.decode()
    assert "Friedrichstraße 123<br>3. Etage<br>10117 Berlin<br>Germany" in page
    assert "DE136695976" in page


def test_the_order_page_names_the_country_in_chinese(client):
    response = checkout(client, "zh-hans", country="CN", billing_city="上海", billing_postcode="200040")
    page = client.get(response["Location"]).content.decode()
    assert "200040 上海<br>中国" in page


@pytest.mark.parametrize("field", ["billing_line1", "billing_city"])
@pytest.mark.parametrize("value", ["", "   "])
def test_street_and_city_are_required(client, field, value):
    response = checkout(client, **{field: value})
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert not Order.objects.exists()


def test_billing_address_lines_are_one_visible_line_each(client):
    # a line break (header injection, a paste gone wrong) is refused, not guessed at
    refused = checkout(client, billing_line1="Friedrichstraße 123\r\nBcc: x@example.com")
    assert refused.status_code == 400
    assert "remove line breaks" in refused.content.decode()
    assert not Order.objects.exists()

    # invisible characters are dropped and spaces collapse, as in names
    accepted = checkout(client, billing_line1="Friedrich\u200bstraße  123\u202e", billing_city=" Berlin ")
    assert accepted.status_code == 302
    order = Order.objects.get()
    assert (order.billing_line1, order.billing_city) == ("Friedrichstraße 123", "Berlin")


def test_a_postcode_is_required_where_the_country_has_postcodes(client):
    refused = checkout(client, country="GB", billing_postcode="")
    assert refused.status_code == 400
    assert "Enter the postcode" in refused.content.decode()

    # Hong Kong addresses have none
    accepted = checkout(client, country="HK", billing_postcode="")
    assert accepted.status_code == 302
    assert Order.objects.get().billing_address_lines[-2:] == ["Berlin", "Hong Kong"]


def test_place_order_takes_a_country_name_and_stores_its_code():
    # Callers outside the form (imports, the shell, older code) may still pass a name.
    report = make_report()
    order = services.place_order(
        lines=[CartLine(report.license_options.first())],
        buyer=services.Buyer(email="a@example.com", full_name="Ann Lee", company="Acme",
                             country="United Kingdom"),
        language="en",
        payment_method=PaymentMethod.INVOICE,
    )
    assert order.country == "GB"


def test_place_order_refuses_an_unknown_country_and_saves_nothing():
    report = make_report()
    with pytest.raises(services.OrderError):
        services.place_order(
            lines=[CartLine(report.license_options.first())],
            buyer=services.Buyer(email="a@example.com", full_name="A", company="B", country="x"),
            language="en",
            payment_method=PaymentMethod.INVOICE,
        )
    assert not Order.objects.exists()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_checkout_page_query_count_is_fixed(client, language):
    reports = [make_report() for _ in range(4)]
    add_to_cart(client, option(reports[0]), language)
    with CaptureQueriesContext(connection) as one_line:
        client.get(f"/{language}/checkout/")
    for report in reports[1:]:
        add_to_cart(client, option(report), language)
    with CaptureQueriesContext(connection) as four_lines:
        client.get(f"/{language}/checkout/")
    # the session, the cart's licence options with their reports, and their translations
    assert len(one_line) == len(four_lines) == 4
