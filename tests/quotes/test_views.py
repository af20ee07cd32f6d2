"""The buyer's quote page: read, accept by card or bank transfer, or be told why not."""

from decimal import Decimal

import pytest
from django.core import mail

from storefront.orders.models import Order, OrderStatus, PaymentMethod
from storefront.quotes import services
from storefront.quotes.models import Quote, QuoteStatus
from tests.quotes.conftest import expire, make_quote, sent

pytestmark = pytest.mark.django_db


def url(quote, language="en"):
    return f"/{language}/quotes/{services.accept_token(quote)}/"


def test_the_page_shows_lines_discount_and_total(client):
    quote = sent(make_quote(discount_percent="10"))
    page = client.get(url(quote)).content.decode()
    assert "Continuing Medical Education Market" in page
    assert "10 % (EUR 494.90)" in page
    assert "Analyst briefing, 2 hours" in page
    assert "EUR 4,954.10" in page
    assert 'name="payment_method" value="card"' in page


def test_a_tampered_or_draft_link_is_not_found(client):
    quote = make_quote()
    assert client.get(url(quote)).status_code == 404  # a draft
    sent(quote)
    assert client.get(url(quote)[:-3] + "x/").status_code == 404


def test_an_expired_quote_says_so_and_cannot_be_accepted(client):
    quote = expire(sent(make_quote()))
    response = client.post(url(quote), {"payment_method": "invoice"})
    page = response.content.decode()
    assert "This quote expired on" in page
    assert 'name="payment_method"' not in page
    assert not Order.objects.exists()


def test_accepting_by_bank_transfer_makes_an_invoice_order_with_its_pro_forma(
    client, django_capture_on_commit_callbacks,
):
    quote = sent(make_quote())
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(quote), {"payment_method": "invoice"})
    order = Order.objects.get()
    assert response.status_code == 302 and response["Location"] == order.get_absolute_url()
    assert order.payment_method == PaymentMethod.INVOICE
    assert order.status == OrderStatus.AWAITING_INVOICE
    assert [message.subject for message in mail.outbox] == [
        f"Pro-forma invoice for order {order.number}"
    ]
    attachment = mail.outbox[0].attachments[0]
    assert attachment[2] == "application/pdf"


def test_a_second_acceptance_leads_to_the_same_order(client):
    quote = sent(make_quote())
    client.post(url(quote), {"payment_method": "invoice"})
    again = client.post(url(quote), {"payment_method": "card"}).content.decode()
    order = Order.objects.get()  # still one
    assert order.payment_method == PaymentMethod.INVOICE
    assert "You have accepted this quote." in again
    assert order.get_absolute_url() in again


def test_accepting_by_card_charges_exactly_the_quoted_total(client, stripe):
    quote = sent(make_quote(discount_percent="10"))
    response = client.post(url(quote), {"payment_method": "card"})
    order = Order.objects.get()
    session = order.checkout_sessions.get()
    assert response["Location"] == session.url
    assert (session.amount, session.currency) == (495410, "EUR")
    names = [item["description"] for item in stripe.line_items(session.session_id)]
    assert "Analyst briefing, 2 hours" in names
    # the buyer pays; the return page confirms it and delivery follows
    stripe.pay(session.session_id, send_webhook=False)
    client.get(f"/en/orders/{order.public_token}/paid/?session_id={session.session_id}")
    order.refresh_from_db()
    assert order.status in (OrderStatus.PAID, OrderStatus.DELIVERED)
    assert order.total == Decimal("4954.10")
    assert Quote.objects.get(pk=quote.pk).status == QuoteStatus.ACCEPTED


def test_choosing_no_payment_method_asks_for_one(client):
    quote = sent(make_quote())
    page = client.post(url(quote), {}, follow=True).content.decode()
    assert "Choose how you would like to pay." in page
    assert not Order.objects.exists()


@pytest.mark.parametrize("lines", [1, 5])
def test_the_page_keeps_a_fixed_query_count(client, django_assert_num_queries, lines):
    quote = sent(make_quote(lines=lines))
    with django_assert_num_queries(2):  # the quote, its lines
        assert client.get(url(quote)).status_code == 200
