"""Sales prepare a quote from an inquiry, edit its lines and send it, in the admin."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from storefront.inquiries.models import InquiryKind
from storefront.quotes.models import Quote, QuoteStatus
from tests.factories import make_report
from tests.inquiries.test_admin import make_inquiry
from tests.quotes.conftest import make_quote

pytestmark = pytest.mark.django_db


def formset_data(quote, *rows):
    data = {
        "lines-TOTAL_FORMS": str(len(rows)), "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0", "lines-MAX_NUM_FORMS": "1000",
        "full_name": quote.full_name, "email": quote.email, "company": quote.company,
        "country": quote.country.code, "vat_id": quote.vat_id, "po_number": quote.po_number,
        "language": quote.language, "currency": quote.currency,
        "valid_until": quote.valid_until.isoformat(), "note": "",
    }  # fmt: skip
    for index, row in enumerate(rows):
        for name, value in row.items():
            data[f"lines-{index}-{name}"] = value
        data[f"lines-{index}-quote"] = quote.pk
    return data


def test_sales_prepare_a_quote_from_the_inquiry_page(sales_client):
    report = make_report()
    inquiry = make_inquiry(report=report, kind=InquiryKind.QUOTATION)
    page = sales_client.get(f"/admin/inquiries/inquiry/{inquiry.pk}/change/").content.decode()
    assert f"/admin/quotes/quote/from-inquiry/{inquiry.pk}/" in page

    response = sales_client.post(f"/admin/quotes/quote/from-inquiry/{inquiry.pk}/")

    quote = Quote.objects.get()
    assert response["Location"] == f"/admin/quotes/quote/{quote.pk}/change/"
    assert quote.lines.get().license_option == report.license_options.order_by("price").first()


def test_lines_discount_and_currency_are_edited_and_checked(sales_client):
    quote = make_quote()
    url = f"/admin/quotes/quote/{quote.pk}/change/"
    option = quote.lines.exclude(license_option=None).get().license_option
    quote.lines.all().delete()

    refused = sales_client.post(url, formset_data(
        quote,
        {"license_option": option.pk, "discount_percent": "5", "discount_amount": "10"},
        {"description": "", "price": "100"},
        ) | {"vat_id": "DE 000"})  # fmt: skip
    page = refused.content.decode()
    assert refused.status_code == 200
    assert "not both" in page and "A custom line needs a description." in page
    assert "not a valid VAT / tax ID for Germany" in page

    saved = sales_client.post(url, formset_data(
        quote,
        {"license_option": option.pk, "discount_amount": "449"},
        {"description": "Data pack", "price": "250"},
    ))  # fmt: skip
    assert saved.status_code == 302
    assert Quote.objects.get(pk=quote.pk).display_total() == "EUR 4,750.00"


def test_sending_from_the_quote_page(sales_client, django_capture_on_commit_callbacks):
    quote = make_quote()
    page = sales_client.get(f"/admin/quotes/quote/{quote.pk}/change/").content.decode()
    assert "Send to the buyer" in page
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sales_client.post(f"/admin/quotes/quote/{quote.pk}/send/")
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.SENT
    assert len(mail.outbox) == 1


def test_a_past_validity_date_is_refused_with_a_message(sales_client):
    quote = make_quote()
    Quote.objects.filter(pk=quote.pk).update(valid_until=timezone.localdate() - timedelta(days=1))
    page = sales_client.post(f"/admin/quotes/quote/{quote.pk}/send/", follow=True).content.decode()
    assert "The validity date has passed" in page
    assert Quote.objects.get(pk=quote.pk).status == QuoteStatus.DRAFT


@pytest.mark.parametrize("quotes", [1, 6])
def test_the_quote_list_keeps_a_fixed_query_count(sales_client, quotes):
    for _ in range(quotes):
        make_quote(lines=2)
    sales_client.get("/admin/quotes/quote/")
    with CaptureQueriesContext(connection) as captured:
        assert sales_client.get("/admin/quotes/quote/").status_code == 200
    assert len(captured) == QUERIES_LIST


@pytest.mark.parametrize("lines", [1, 6])
def test_the_quote_page_keeps_a_fixed_query_count(sales_client, lines):
    quote = make_quote(lines=lines)
    url = f"/admin/quotes/quote/{quote.pk}/change/"
    sales_client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert sales_client.get(url).status_code == 200
    assert len(captured) == QUERIES_PAGE


def test_the_quote_page_does_not_grow_with_the_catalogue(sales_client):
    """A line's licence select lists the licences of the reports the quote is about
    (the inquiry's and those already on it), not every licence in the catalogue."""
    quote = make_quote(lines=2)
    url = f"/admin/quotes/quote/{quote.pk}/change/"
    sales_client.get(url)

    def measured():
        with CaptureQueriesContext(connection) as captured:
            page = sales_client.get(url).content.decode()
        return len(captured), page.count("<option"), len(page)

    small = measured()
    for _ in range(8):
        make_report(licence_prices={"single_user": "900", "site": "1900"})
    large = measured()

    assert large == small
    quoted = {line.license_option_id for line in quote.lines.all() if line.license_option_id}
    page = sales_client.get(url).content.decode()
    assert all(f'<option value="{pk}"' in page for pk in quoted)


QUERIES_LIST = 9  # the same with one quote or six
QUERIES_PAGE = 13  # the same with one line or six


def test_the_list_filters_expired_quotes_by_their_date(sales_client):
    from tests.quotes.conftest import expire, sent

    current, old = sent(make_quote()), expire(sent(make_quote()))
    expired_page = sales_client.get("/admin/quotes/quote/?status=expired").content.decode()
    sent_page = sales_client.get("/admin/quotes/quote/?status=sent").content.decode()
    assert old.number in expired_page and current.number not in expired_page
    assert current.number in sent_page and old.number not in sent_page


def test_a_quote_without_the_buyers_country_is_not_sent(sales_client):
    quote = make_quote(country="Atlantis")
    assert not quote.country
    page = sales_client.post(f"/admin/quotes/quote/{quote.pk}/send/", follow=True).content.decode()
    assert "Set the buyer&#x27;s country" in page
    assert Quote.objects.get(pk=quote.pk).status == QuoteStatus.DRAFT
