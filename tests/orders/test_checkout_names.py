"""Licensee names and companies: normalised once (storefront.forms.NameField) for
checkout and the contact form, visible, and never a web address."""

import unicodedata

import pytest
from django.core import mail
from django.utils.html import escape
from hypothesis import given
from hypothesis import strategies as st

from storefront.forms import looks_like_web_address, normalise_name
from storefront.orders.models import Order, PaymentMethod
from tests.factories import make_report
from tests.orders.test_checkout import BUYER, add_to_cart, option

INVISIBLE_NAMES = {
    "zero width space": "\u200b\u200b\u200b",
    "soft hyphen": "\u00ad",
    "byte order mark": "\ufeff",
    "control characters": "\x01\x02\x7f",
    "mixed": "\u200b \u00ad\t\ufeff \u202e",
    "hangul filler": "\u3164",
    "braille blank": "\u2800",
}
WEB_ADDRESSES = [
    "http://cheap-pills.example/buy",
    "https://spam.example",
    "www.spam.example",
    "Visit spam.example/offer now",
    "ｈｔｔｐ：／／spam.example",  # full width
    "Ann hxxp and HTTPS://SPAM.EXAMPLE",
]


def checkout(client, **buyer):
    add_to_cart(client, option(make_report()))
    return client.post("/en/checkout/", {**BUYER, "payment_method": PaymentMethod.INVOICE, **buyer})


# --- Checkout ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["full_name", "company"])
@pytest.mark.parametrize("invisible", INVISIBLE_NAMES.values(), ids=INVISIBLE_NAMES.keys())
def test_checkout_refuses_a_name_of_invisible_characters_and_keeps_what_was_typed(
    client, field, invisible
):
    # when a buyer checks out with a name that the licence stamp would strip to nothing
    response = checkout(client, **{field: invisible})

    # then a clear message, the form as typed, and no order and no mail
    page = response.content.decode()
    assert response.status_code == 400
    assert "at least one letter or digit" in page
    assert "li.wei@example.cn" in page and "PO-7781" in page
    assert Order.objects.count() == 0 and mail.outbox == []


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["full_name", "company"])
@pytest.mark.parametrize("address", WEB_ADDRESSES)
def test_checkout_refuses_a_web_address_as_a_name(client, field, address):
    response = checkout(client, **{field: address})

    page = response.content.decode()
    assert response.status_code == 400
    assert "not a web address" in page
    assert f'value="{escape(address)}"' in page  # kept as typed, to be corrected
    assert Order.objects.count() == 0 and mail.outbox == []


@pytest.mark.django_db
def test_checkout_stores_names_normalised(client):
    # given a name with invisible characters and a decomposed accent, a company with
    # full-width brackets and a non-breaking space
    response = checkout(
        client,
        full_name="\u200bZoe\u0301\u00ad  O\u2019Brien\ufeff",
        company="上海医学\u200b教育（上海）\u00a0有限公司",
    )

    assert response.status_code == 302
    order = Order.objects.get()
    assert order.full_name == "Zoé O\u2019Brien"
    assert order.company == "上海医学教育（上海） 有限公司"  # NFC keeps the full-width brackets


@pytest.mark.django_db
@pytest.mark.parametrize("company", ["Booking.com B.V.", "Amazon.com, Inc.", "AT&T / Bell Labs"])
def test_checkout_accepts_companies_that_merely_contain_a_domain(client, company):
    assert checkout(client, company=company).status_code == 302
    assert Order.objects.get().company == company


# --- The normaliser itself ------------------------------------------------------------------


@given(st.text())
def test_normalised_names_are_one_clean_line_and_stable(text):
    name = normalise_name(text)

    assert normalise_name(name) == name
    assert name == name.strip() and "  " not in name
    assert unicodedata.is_normalized("NFC", name)
    assert not any(unicodedata.category(char) in {"Cc", "Cf", "Cs", "Co"} for char in name)


def test_a_bare_domain_in_a_company_name_is_not_a_web_address():
    assert not looks_like_web_address("Booking.com B.V.")
    assert looks_like_web_address("booking.com/deals")


# --- Staff correcting a licensee in the admin ------------------------------------------------


@pytest.mark.django_db
def test_staff_correcting_a_licensee_in_the_admin_follow_the_same_rules(admin_client):
    from tests.orders.test_admin import place
    from tests.reports.test_admin import post_data

    order = place(PaymentMethod.INVOICE)
    url = f"/admin/orders/order/{order.pk}/change/"
    data = post_data(admin_client.get(url))

    refused = admin_client.post(url, {**data, "full_name": "\u200b\u00ad"})
    assert refused.status_code == 200  # the form again, with the message
    assert "at least one letter or digit" in refused.content.decode()

    saved = admin_client.post(url, {**data, "full_name": "Zoe\u0301\u200b Lee"})
    assert saved.status_code == 302
    order.refresh_from_db()
    assert order.full_name == "Zoé Lee"
