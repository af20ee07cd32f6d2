"""Business steps of quotes: numbering, preparing lines, sending, accepting into an order.

Numbers are "Q-YYYY-NNNNNN", taken from the year's QuoteCounter row locked in the
transaction that saves the quote: concurrent quotes get consecutive numbers, never
the same one. A sent quote past its validity date is expired (computed, never stored).
"""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, override

from reports import currencies
from reports.models import LicenseOption, LicenseType
from storefront.inquiries.models import Inquiry, InquiryStatus
from storefront.orders import services as order_services
from storefront.orders.countries import country_code
from storefront.orders.models import Order
from storefront.queueing import delay_or_leave_to_sweep
from storefront.quotes.models import Quote, QuoteCounter, QuoteLine, QuoteStatus

TOKEN_SALT = "storefront.quotes.accept"


class QuoteError(Exception):
    """A business rule refused the step; the message is safe to show."""


class QuoteExpired(QuoteError):
    pass


class QuoteAlreadyAccepted(QuoteError):
    def __init__(self, message: str, order: Order | None):
        super().__init__(message)
        self.order = order


class BadToken(QuoteError):
    pass


# --- Numbering and drafting -------------------------------------------------------


def allocate_number(year: int) -> str:
    """The next "Q-YYYY-NNNNNN"; call inside the transaction that saves the quote."""
    # The year's first quote makes the counter; ON CONFLICT DO NOTHING lets two first
    # quotes race without an error, then both queue on the row lock.
    QuoteCounter.objects.bulk_create([QuoteCounter(year=year)], ignore_conflicts=True)
    counter = QuoteCounter.objects.select_for_update().get(year=year)
    counter.last_value += 1
    counter.save(update_fields=["last_value"])
    return f"Q-{year}-{counter.last_value:06d}"


@transaction.atomic
def create_quote_from_inquiry(*, inquiry_id: int, actor) -> Quote:
    """A draft quote for the inquiry's buyer, numbered, valid QUOTE_VALIDITY_DAYS, with a
    line for the cheapest licence of the inquiry's report (if any) at its list price.
    Sales edit the lines, the currency and the dates before sending it."""
    inquiry = Inquiry.objects.select_for_update().get(pk=inquiry_id)
    options = (
        list(LicenseOption.objects.filter(report_id=inquiry.report_id).order_by("price"))
        if inquiry.report_id
        else []
    )
    sold = currencies.sold_currencies()
    currency = options[0].currency if options and options[0].currency in sold else sold[0]
    quote = Quote(
        inquiry=inquiry,
        email=inquiry.email,
        full_name=inquiry.name,
        company=inquiry.company,
        country=country_code(inquiry.country) or "",
        language=inquiry.language,
        currency=currency,
        valid_until=timezone.localdate() + timedelta(days=settings.QUOTE_VALIDITY_DAYS),
        created_by=actor,
    )
    quote.number = allocate_number(timezone.localdate().year)
    quote.save()
    if options:
        line = QuoteLine(quote=quote, license_option=options[0])
        prepare_line(line)
        line.save()
    fields = ["updated_at"]
    if inquiry.assignee_id is None and actor is not None:
        inquiry.assignee = actor
        fields.append("assignee")
    inquiry.save(update_fields=fields)
    return quote


create_quote_from_inquiry.alters_data = True


def prepare_line(line: QuoteLine) -> QuoteLine:
    """Fill a line's snapshot from its licence: report, code, type, list price (when the
    licence is priced in the quote's currency), the title in the quote's language, and
    the list price as the price when none was given. A custom line is left as typed."""
    option = line.license_option
    if option is None:
        line.report = None
        line.product_code = ""
        line.license_type = ""
        line.list_price = None
        return line
    report = option.report
    line.report = report
    line.product_code = report.product_code
    line.license_type = option.license_type
    line.list_price = option.price if option.currency == line.quote.currency else None
    if not line.description:
        line.description = (
            report.safe_translation_getter(
                "title", language_code=line.quote.language, any_language=True
            )
            or ""
        )
    if line.price is None:
        line.price = line.list_price
    return line


def line_problem(line: QuoteLine, currency: str) -> str:
    """Why a line cannot be quoted as it stands, or ""."""
    if line.license_option_id is None and not (line.description or "").strip():
        return gettext("A custom line needs a description.")
    if line.price is None:
        return gettext(
            "Give a price in %(currency)s: the licence has no list price in that currency."
        ) % {"currency": currency}
    if line.discount_percent and line.discount_amount:
        return gettext("Give the discount in percent or as an amount, not both.")
    for value in (line.price, line.discount_amount):
        if value is not None and not currencies.fits(value, currency):
            return gettext("%(amount)s has more decimals than %(currency)s has.") % {
                "amount": value, "currency": currency,
            }
    if (line.discount_amount or Decimal(0)) > line.price:
        return gettext("The discount is more than the price.")
    return ""


# --- Sending ---------------------------------------------------------------------


def accept_token(quote: Quote) -> str:
    """The quote's key in its link: the same for every mail of the quote; the validity
    date, not the link, decides how long it can be accepted."""
    return signing.Signer(salt=TOKEN_SALT).sign_object({"quote": quote.pk, "number": quote.number})


def quote_for_token(token: str) -> Quote:
    """The quote a signed link names; BadToken when the link was altered."""
    try:
        payload = signing.Signer(salt=TOKEN_SALT).unsign_object(token)
        return Quote.objects.get(pk=payload["quote"], number=payload["number"])
    except (signing.BadSignature, ValueError, KeyError, TypeError, Quote.DoesNotExist) as error:
        raise BadToken(gettext("This quote link is not valid.")) from error


@transaction.atomic
def send_quote(*, quote_id: int, actor) -> Quote:
    """Mark a draft (or a sent quote, for a resend) sent and queue the mail with its PDF
    after commit. Refused: no lines, a line that cannot be quoted, a past validity date,
    an accepted quote."""
    quote = Quote.objects.select_for_update().get(pk=quote_id)
    if quote.status == QuoteStatus.ACCEPTED:
        raise QuoteError(gettext("This quote was accepted; it cannot be sent again."))
    if quote.valid_until < timezone.localdate():
        raise QuoteError(gettext("The validity date has passed: set a new one first."))
    if not quote.country:
        raise QuoteError(gettext("Set the buyer's country before sending the quote."))
    lines = list(quote.lines.all())
    if not lines:
        raise QuoteError(gettext("Add at least one line before sending the quote."))
    for line in lines:
        problem = line_problem(line, quote.currency)
        if problem:
            raise QuoteError(f"{line}: {problem}")
    if not currencies.is_sold(quote.currency):
        raise QuoteError(gettext("The shop does not sell in %(code)s.") % {"code": quote.currency})
    quote.status = QuoteStatus.SENT
    quote.sent_at = timezone.now()
    quote.mailed_at = None
    quote.save(update_fields=["status", "sent_at", "mailed_at", "updated_at"])
    if quote.inquiry_id:
        Inquiry.objects.filter(pk=quote.inquiry_id).update(status=InquiryStatus.WAITING)
    from storefront.quotes.tasks import send_quote_mail_task  # tasks imports this module

    quote_id = quote.pk
    transaction.on_commit(lambda: delay_or_leave_to_sweep(send_quote_mail_task, quote_id))
    return quote


send_quote.alters_data = True


# --- Accepting -------------------------------------------------------------------


@transaction.atomic
def accept_quote(*, quote_id: int, payment_method: str) -> Order:
    """The buyer accepts a sent quote: an order with the quote's lines at their net
    prices, in its currency, for card (waits for Stripe) or invoice (pro-forma mailed).

    Once: a second acceptance raises QuoteAlreadyAccepted with the order; an expired
    or unsent quote is refused. The order's first history row names the quote.
    """
    quote = Quote.objects.select_for_update().get(pk=quote_id)
    if quote.status == QuoteStatus.ACCEPTED:
        raise QuoteAlreadyAccepted(
            gettext("This quote was already accepted (order %(number)s).")
            % {"number": quote.order.number if quote.order else "-"},
            quote.order,
        )
    if quote.status != QuoteStatus.SENT:
        raise QuoteError(gettext("This quote has not been sent yet."))
    if quote.is_expired:
        raise QuoteExpired(
            gettext("This quote expired on %(date)s.") % {"date": quote.valid_until.isoformat()}
        )
    lines = list(quote.lines.select_related("report"))
    agreed = []
    with override(quote.language):
        for line in lines:
            agreed.append(
                order_services.AgreedLine(
                    title=line.description,
                    price=line.net_price,
                    report=line.report,
                    license_option=line.license_option,
                    product_code=line.product_code,
                    license_type=line.license_type,
                    seat_limit=(
                        LicenseType(line.license_type).named_seats if line.license_type else 0
                    ),
                )
            )
    order = order_services.place_agreed_order(
        lines=agreed,
        currency=quote.currency,
        buyer=order_services.Buyer(
            email=quote.email,
            full_name=quote.full_name,
            company=quote.company,
            country=quote.country.code,
            vat_id=quote.vat_id,
            po_number=quote.po_number,
        ),
        language=quote.language,
        payment_method=payment_method,
        source=f"quote {quote.number}",
        note=f"Quote {quote.number} accepted by the buyer ({quote.display_total(lines)}).",
    )
    quote.order = order
    quote.status = QuoteStatus.ACCEPTED
    quote.accepted_at = timezone.now()
    quote.save(update_fields=["order", "status", "accepted_at", "updated_at"])
    if quote.inquiry_id:
        Inquiry.objects.filter(pk=quote.inquiry_id, order__isnull=True).update(order=order)
    return order


accept_quote.alters_data = True
