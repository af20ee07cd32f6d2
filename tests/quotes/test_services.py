"""Quotes: numbering, totals in minor units, expiry, acceptance once, signed links."""

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from storefront.orders.models import OrderStatus, PaymentMethod
from storefront.quotes import services
from storefront.quotes.models import Quote, QuoteLine, QuoteStatus
from tests.quotes.conftest import expire, make_quote, sent

pytestmark = pytest.mark.django_db


def test_numbers_are_q_year_and_six_digits_in_sequence():
    year = timezone.localdate().year
    first, second = make_quote(), make_quote()
    assert first.number == f"Q-{year}-000001"
    assert second.number == f"Q-{year}-000002"


@pytest.mark.django_db(transaction=True)
def test_concurrent_quotes_never_share_a_number():
    # given four requests allocating numbers at once, each in its own transaction
    from django.db import transaction

    numbers, errors = [], []

    def allocate():
        try:
            with transaction.atomic():
                numbers.append(services.allocate_number(2031))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=allocate) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then every number is different and consecutive
    assert not errors
    assert sorted(numbers) == [f"Q-2031-{n:06d}" for n in range(1, 5)]


def test_a_draft_starts_from_the_inquiry_with_the_list_price():
    quote = make_quote(discount_percent=None)
    line = quote.lines.exclude(license_option=None).get()
    assert (quote.email, quote.company, quote.country.code) == (
        "ann.lee@example.com", "Acme Medical", "DE"
    )
    assert (line.list_price, line.price, line.description) == (
        Decimal("4949"), Decimal("4949"), "Continuing Medical Education Market"
    )


def test_totals_take_the_discount_in_minor_units_rounded_half_up():
    quote = make_quote(discount_percent="12.5")
    # 4949.00 × 12.5 % = 618.625 → 618.63; net 4330.37; plus the custom line 500
    licence = quote.lines.exclude(license_option=None).get()
    assert licence.discount_minor == 61863
    assert licence.net_price == Decimal("4330.37")
    assert quote.total() == Decimal("4830.37")
    assert quote.display_total() == "EUR 4,830.37"


def test_a_discount_amount_and_a_currency_without_minor_units():
    quote = make_quote(currency="JPY", discount_percent="33.3")
    licence = quote.lines.exclude(license_option=None).get()
    assert licence.discount_minor == 1648  # 4949 × 33.3 % = 1648.017 yen
    licence.discount_percent, licence.discount_amount = None, Decimal("49")
    licence.save()
    assert quote.total() == Decimal("5400")  # 4900 + 500


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"discount_amount": Decimal("10"), "discount_percent": Decimal("5")}, "not both"),
        ({"discount_amount": Decimal("6000"), "discount_percent": None}, "more than the price"),
    ],
)
def test_a_line_that_cannot_be_quoted_is_refused_when_sending(changes, problem):
    quote = make_quote()
    line = quote.lines.exclude(license_option=None).get()
    for name, value in changes.items():
        setattr(line, name, value)
    line.save()
    with pytest.raises(services.QuoteError, match=problem):
        services.send_quote(quote_id=quote.pk, actor=None)
    assert Quote.objects.get(pk=quote.pk).status == QuoteStatus.DRAFT


def test_a_price_finer_than_the_currency_is_refused():
    quote = make_quote(currency="JPY")
    line = QuoteLine(quote=quote, description="Briefing", price=Decimal("10.50"))
    assert "more decimals than JPY" in services.line_problem(line, "JPY")


def test_a_custom_line_needs_a_description():
    quote = make_quote()
    line = QuoteLine(quote=quote, price=Decimal("1"))
    assert "description" in services.line_problem(line, "EUR")


def test_a_sent_quote_past_its_date_reads_as_expired_and_cannot_be_accepted():
    quote = expire(sent(make_quote()))
    assert quote.effective_status == QuoteStatus.EXPIRED
    assert list(Quote.objects.expired()) == [quote]
    with pytest.raises(services.QuoteExpired):
        services.accept_quote(quote_id=quote.pk, payment_method=PaymentMethod.INVOICE)
    assert quote.order is None


def test_accepting_makes_an_order_with_the_quoted_lines_and_prices():
    quote = sent(make_quote(discount_percent="10"))
    order = services.accept_quote(quote_id=quote.pk, payment_method=PaymentMethod.INVOICE)
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.ACCEPTED and quote.order == order
    assert order.status == OrderStatus.AWAITING_INVOICE
    assert (order.currency, order.total) == ("EUR", Decimal("4954.10"))  # 4454.10 + 500
    assert (order.vat_id, order.po_number) == ("DE136695976", "PO-4711")
    lines = list(order.lines.order_by("id"))
    assert [line.unit_price for line in lines] == [Decimal("4454.10"), Decimal("500.00")]
    assert [line.is_custom for line in lines] == [False, True]
    history = order.status_changes.get()
    assert history.source == f"quote {quote.number}"
    assert quote.number in history.note


def test_accepting_twice_makes_one_order():
    quote = sent(make_quote())
    order = services.accept_quote(quote_id=quote.pk, payment_method=PaymentMethod.CARD)
    with pytest.raises(services.QuoteAlreadyAccepted) as refused:
        services.accept_quote(quote_id=quote.pk, payment_method=PaymentMethod.INVOICE)
    assert refused.value.order == order
    assert Quote.objects.get(pk=quote.pk).order == order


def test_a_draft_cannot_be_accepted():
    quote = make_quote()
    with pytest.raises(services.QuoteError):
        services.accept_quote(quote_id=quote.pk, payment_method=PaymentMethod.CARD)


def test_a_tampered_link_is_refused():
    quote = sent(make_quote())
    token = services.accept_token(quote)
    assert services.quote_for_token(token) == quote
    other = sent(make_quote())
    forged = services.accept_token(other).split(":")[0] + ":" + token.split(":", 1)[1]
    for bad in (token[:-2] + "xx", forged, "nonsense"):
        with pytest.raises(services.BadToken):
            services.quote_for_token(bad)


def test_a_paid_quoted_order_delivers_the_licence_and_skips_the_custom_line(
    django_capture_on_commit_callbacks,
):
    from storefront.orders import services as order_services

    quote = sent(make_quote())
    with django_capture_on_commit_callbacks(execute=True):
        order = services.accept_quote(quote_id=quote.pk, payment_method=PaymentMethod.INVOICE)
    with django_capture_on_commit_callbacks(execute=True):
        order_services.mark_order_paid(order_id=order.pk, source="test")
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    licence, custom = order.lines.order_by("id")
    assert hasattr(licence, "copy")
    assert not hasattr(custom, "copy")
