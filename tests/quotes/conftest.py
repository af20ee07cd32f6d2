from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from reports.models import LicenseType
from storefront.inquiries.models import InquiryKind
from storefront.quotes import services
from storefront.quotes.models import Quote, QuoteLine
from tests.factories import make_report, minimal_pdf
from tests.inquiries.test_admin import make_inquiry
from tests.payments.conftest import stripe  # noqa: F401 (fixture)


@pytest.fixture
def sales_user():
    user = User.objects.create_user("mei", "mei@example.com", "pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Sales"))  # made by the data migrations
    return user


@pytest.fixture
def sales_client(client, sales_user):
    client.force_login(sales_user)
    return client


def make_quote(*, language="en", currency="EUR", lines=1, discount_percent="10", sales=None,
               country="Germany", master=True) -> Quote:
    """A draft quote from a quotation inquiry: `lines` licences in `currency` at a list
    price of 4,949 with a discount, plus a custom line of EUR 500."""
    report = make_report(
        title_en="Continuing Medical Education Market",
        title_zh="继续医学教育市场",
        licence_prices={LicenseType.SINGLE_USER: "4949"},
        licence_currency=currency,
        master_pdf=minimal_pdf() if master else None,
    )
    inquiry = make_inquiry(report=report, kind=InquiryKind.QUOTATION, language=language,
                           country=country)  # fmt: skip
    quote = services.create_quote_from_inquiry(inquiry_id=inquiry.pk, actor=sales)
    quote.vat_id, quote.po_number = "DE136695976", "PO-4711"
    quote.save()
    first = quote.lines.get()
    first.discount_percent = Decimal(discount_percent) if discount_percent else None
    first.save()
    for _ in range(lines - 1):
        extra = make_report(licence_prices={LicenseType.SINGLE_USER: "1000"},
                            licence_currency=currency)  # fmt: skip
        line = QuoteLine(quote=quote, license_option=extra.license_options.get())
        services.prepare_line(line)
        line.save()
    QuoteLine.objects.create(quote=quote, description="Analyst briefing, 2 hours",
                             price=Decimal("500"))  # fmt: skip
    return quote


def sent(quote: Quote, sales=None) -> Quote:
    services.send_quote(quote_id=quote.pk, actor=sales)
    return Quote.objects.get(pk=quote.pk)


def expire(quote: Quote) -> Quote:
    Quote.objects.filter(pk=quote.pk).update(valid_until=timezone.localdate() - timedelta(days=1))
    return Quote.objects.get(pk=quote.pk)
