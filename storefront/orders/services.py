"""Business steps of orders. Every status change goes through set_status()."""

import logging
import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from reports import currencies as currency_facts
from reports.models import LicenseType
from storefront.orders import signals
from storefront.orders.cart import CartLine
from storefront.orders.countries import country_code
from storefront.orders.models import (
    ALLOWED_TRANSITIONS,
    PAID_STATUSES,
    Order,
    OrderLine,
    OrderStatus,
    OrderStatusChange,
    PaymentMethod,
)
from storefront.queueing import delay_or_leave_to_sweep

logger = logging.getLogger(__name__)


class OrderError(Exception):
    """A business rule refused the step; the message is safe to show to staff."""


class InvalidTransition(OrderError):
    pass


class EmptyCart(OrderError):
    pass


@dataclass(frozen=True)
class Buyer:
    email: str
    full_name: str
    company: str
    # An ISO 3166-1 code; a country's name in English or Chinese is taken too.
    country: str
    vat_id: str = ""
    po_number: str = ""
    billing_line1: str = ""
    billing_line2: str = ""
    billing_postcode: str = ""
    billing_city: str = ""
    site: str = ""  # the company location of site licences


def _new_order_number() -> str:
    return f"MR-{timezone.now():%y%m%d}-{secrets.token_hex(3).upper()}"


def set_status(
    order: Order, to_status: str, *, source: str, note: str = "", actor=None, also_save=()
) -> Order:
    """Move an order along ALLOWED_TRANSITIONS, save it and write the history row.

    Call inside a transaction holding the order's row lock (select_for_update).
    ``also_save`` names further fields the caller changed on ``order``: they go into
    the same UPDATE.
    """
    if to_status not in ALLOWED_TRANSITIONS[order.status]:
        raise InvalidTransition(f"{order.number}: {order.status} → {to_status} is not allowed")
    from_status = order.status
    order.status = to_status
    update_fields = ["status", "updated_at", *also_save]
    if to_status == OrderStatus.PAID:
        order.paid_at = timezone.now()
        update_fields.append("paid_at")
    order.save(update_fields=update_fields)
    OrderStatusChange.objects.create(
        order=order, from_status=from_status, to_status=to_status, source=source, note=note,
        actor=actor,
    )
    return order


set_status.alters_data = True


def _check_prices(lines: list[CartLine]) -> None:
    # The catalogue refuses these on save; a row written around it (or a currency
    # dropped from SHOP_CURRENCIES since) must not reach a payment either.
    for line in lines:
        if not currency_facts.is_sold(line.currency):
            raise OrderError(
                gettext("%(code)s licences cannot be bought: the shop sells in %(currencies)s.")
                % {"code": line.currency, "currencies": ", ".join(currency_facts.sold_currencies())}
            )
        if not currency_facts.fits(line.price, line.currency):
            raise OrderError(
                gettext("The price %(price)s %(code)s has more decimals than %(code)s has.")
                % {"price": line.price, "code": line.currency}
            )


def _new_order(*, buyer, language: str, currency: str, total: Decimal,
               payment_method: str) -> Order:
    """An order for ``buyer`` saved with its number: waiting for Stripe, or for sales
    staff when paid by invoice. Raises OrderError for an unknown country."""
    country = country_code(buyer.country)
    if country is None:
        raise OrderError(f"Unknown country: {buyer.country!r}.")
    order = Order(
        email=buyer.email,
        full_name=buyer.full_name,
        company=buyer.company,
        country=country,
        vat_id=buyer.vat_id,
        po_number=buyer.po_number,
        billing_line1=buyer.billing_line1,
        billing_line2=buyer.billing_line2,
        billing_postcode=buyer.billing_postcode,
        billing_city=buyer.billing_city,
        site=buyer.site,
        language=language,
        currency=currency,
        total=total,
        payment_method=payment_method,
        status=(
            OrderStatus.AWAITING_INVOICE
            if payment_method == PaymentMethod.INVOICE
            else OrderStatus.PENDING
        ),
        terms_accepted_at=timezone.now(),
    )
    _save_with_number(order)
    return order


@transaction.atomic
def place_order(
    *,
    lines: list[CartLine],
    buyer: Buyer,
    language: str,
    payment_method: str,
    seat_holders: dict | None = None,
) -> Order:
    """Save a pending order with price and title snapshots from the given cart lines.

    The buyer's country is stored as its ISO code (an unknown one is refused); the
    VAT id and billing address are stored as given: the checkout form checks them.
    ``seat_holders`` ({report id: [seats.Holder]}) names seats of multi-user licences;
    more than a licence's seats is refused (seats.SeatError) and nothing is saved.

    Card orders wait for Stripe; invoice orders wait for sales staff, and the buyer
    is mailed a pro-forma invoice once the order is committed.
    """
    if not lines:
        raise EmptyCart("The cart is empty.")
    currencies = {line.currency for line in lines}
    if len(currencies) != 1:
        raise OrderError("A cart must hold one currency.")
    _check_prices(lines)
    order = _new_order(
        buyer=buyer, language=language, currency=currencies.pop(),
        total=sum((line.price for line in lines), Decimal("0")), payment_method=payment_method,
    )
    status = order.status
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            report=line.report,
            license_option=line.option,
            product_code=line.report.product_code,
            # The title as the buyer read it: the order's language, else the fallback.
            title=line.report.safe_translation_getter(
                "title", language_code=language, any_language=True
            )
            or "",
            license_type=line.option.license_type,
            unit_price=line.price,
            currency=line.currency,
            seat_limit=LicenseType(line.option.license_type).named_seats,
        )
        for line in lines
    )
    if seat_holders:
        from storefront.orders.seats import name_seats_at_checkout  # it imports this module

        name_seats_at_checkout(order=order, holders=seat_holders)
    OrderStatusChange.objects.create(
        order=order, from_status="", to_status=status, source="checkout"
    )
    if status == OrderStatus.AWAITING_INVOICE:
        queue_proforma(order.pk)
    return order


def _save_with_number(order: Order) -> None:
    for _attempt in range(5):
        order.number = _new_order_number()
        try:
            with transaction.atomic():
                order.save()
            return
        except IntegrityError:
            # A random order number collided with an existing one: draw again.
            order.pk = None
            order._state.adding = True
    raise OrderError("Could not allocate an order number.")


def queue_proforma(order_id: int) -> None:
    from storefront.orders.tasks import send_proforma_invoice_task  # tasks imports this module

    transaction.on_commit(lambda: delay_or_leave_to_sweep(send_proforma_invoice_task, order_id))


@dataclass(frozen=True)
class AgreedLine:
    """A line at a price agreed outside the cart (a quote): a licence, or free text."""

    title: str
    price: Decimal
    report: object = None  # reports.Report, or None for a custom line
    license_option: object = None
    product_code: str = ""
    license_type: str = ""
    seat_limit: int = 0

    @property
    def is_custom(self) -> bool:
        return self.report is None


@transaction.atomic
def place_agreed_order(
    *,
    lines: list[AgreedLine],
    currency: str,
    buyer: Buyer,
    language: str,
    payment_method: str,
    source: str,
    note: str = "",
) -> Order:
    """Save an order at prices agreed with the buyer (a quote), not the catalogue's.

    The prices are taken as given (in ``currency``, checked to be sold and to fit its
    minor unit); custom lines have nothing to deliver. Otherwise as place_order: card
    orders wait for Stripe, invoice orders are mailed their pro-forma after commit.
    The first history row names ``source`` (the quote) and carries ``note``.
    """
    if not lines:
        raise EmptyCart("The order has no lines.")
    if not currency_facts.is_sold(currency):
        raise OrderError(
            gettext("%(code)s licences cannot be bought: the shop sells in %(currencies)s.")
            % {"code": currency, "currencies": ", ".join(currency_facts.sold_currencies())}
        )
    for line in lines:
        if line.price < 0 or not currency_facts.fits(line.price, currency):
            raise OrderError(
                gettext("The price %(price)s %(code)s has more decimals than %(code)s has.")
                % {"price": line.price, "code": currency}
            )
    order = _new_order(
        buyer=buyer, language=language, currency=currency,
        total=sum((line.price for line in lines), Decimal("0")), payment_method=payment_method,
    )
    status = order.status
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            report=line.report,
            license_option=line.license_option,
            product_code=line.product_code,
            title=line.title,
            license_type=line.license_type,
            is_custom=line.is_custom,
            unit_price=line.price,
            currency=currency,
            seat_limit=line.seat_limit,
        )
        for line in lines
    )
    OrderStatusChange.objects.create(
        order=order, from_status="", to_status=status, source=source, note=note
    )
    if status == OrderStatus.AWAITING_INVOICE:
        queue_proforma(order.pk)
    return order


place_agreed_order.alters_data = True


def orders_awaiting_proforma(*, older_than):
    """Invoice orders whose pro-forma was never sent (its task was not queued)."""
    return Order.objects.filter(
        status=OrderStatus.AWAITING_INVOICE,
        proforma_sent_at__isnull=True,
        proforma_failed_at__isnull=True,
        created_at__lte=timezone.now() - older_than,
    ).values_list("pk", flat=True)


def mark_proforma_failed(*, order_id: int, reason: str) -> Order:
    """After the last retry: flag the order with the reason and tell sales, once.

    The sweep leaves an order whose pro-forma failed alone; staff send it by hand.
    """
    with transaction.atomic():
        order = locked_order(order_id)
        if order.proforma_sent_at is not None or order.proforma_failed_at is not None:
            return order
        order.proforma_failed_at = timezone.now()
        order.save(update_fields=["proforma_failed_at", "updated_at"])
        flag_order(
            order,
            f"Pro-forma invoice could not be sent: {reason}. Send it to {order.email} by hand.",
        )
    send_mail(
        f"Pro-forma invoice not sent for order {order.number}",
        f"The pro-forma invoice of order {order.number} ({order.email}) could not be sent: "
        f"{reason}\nThe order is flagged in the admin.",
        settings.DEFAULT_FROM_EMAIL,
        [settings.SALES_EMAIL],
        fail_silently=True,
    )
    return order


mark_proforma_failed.alters_data = True


def locked_order(order_id: int) -> Order:
    return Order.objects.select_for_update().get(pk=order_id)


def flag_order(order: Order, reason: str) -> Order:
    """Mark an order for staff attention, keeping earlier reasons."""
    order.needs_attention = True
    stamp = timezone.now().strftime("%Y-%m-%d %H:%M")
    order.attention_reason = f"{order.attention_reason}\n[{stamp}] {reason}".strip()
    order.save(update_fields=["needs_attention", "attention_reason", "updated_at"])
    logger.warning("order %s flagged: %s", order.number, reason)
    return order


flag_order.alters_data = True


@transaction.atomic
def mark_order_paid(
    *,
    order_id: int,
    source: str,
    amount: Decimal | None = None,
    currency: str | None = None,
    note: str = "",
    actor=None,
) -> Order:
    """Record that an order is paid, once; after commit, send signals.order_paid (which
    delivery and invoicing subscribe to).

    Idempotent: an order already paid (or delivered, or refunded later) is
    returned unchanged. When the amount or currency received differs from the
    order, or the order was cancelled meanwhile, it is flagged for staff and not
    fulfilled.
    """
    order = locked_order(order_id)
    if order.status in PAID_STATUSES or order.status == OrderStatus.REFUNDED:
        return order
    if amount is not None and (
        amount != order.total or (currency or "").upper() != order.currency
    ):
        reason = (
            f"Payment of {amount} {(currency or '').upper()} does not match the order total "
            f"{order.total} {order.currency} ({source}); not fulfilled."
        )
        # Reconciliation asks again every run: staff need the reason once, not a new
        # line every few minutes.
        if order.needs_attention and reason in order.attention_reason:
            return order
        return flag_order(order, reason)
    if order.status == OrderStatus.CANCELLED:
        return flag_order(order, f"Payment received after the order was cancelled ({source}).")
    set_status(order, OrderStatus.PAID, source=source, note=note, actor=actor)
    order_id = order.pk
    transaction.on_commit(lambda: after_paid_commit(order_id=order_id))
    return order


mark_order_paid.alters_data = True


def after_paid_commit(*, order_id: int) -> None:
    """Once the paid state is committed: tell the subscribers (delivery, invoicing, …)."""
    announce_order_paid(order_id=order_id)


def announce_order_paid(*, order_id: int) -> None:
    """Tell subscribers (delivery, invoicing, …) that the order's paid state is committed.

    Receivers run in the order they connected, which is INSTALLED_APPS' order:
    delivery (listed before invoicing) queues the buyer's copy first.
    """
    # Robust: the payment is committed, so a subscriber's failure must neither fail
    # the webhook nor keep the other subscribers from hearing of it.
    for receiver, result in signals.order_paid.send_robust(sender=Order, order_id=order_id):
        if isinstance(result, Exception):
            logger.error(
                "order id %s: %r failed on order_paid", order_id, receiver, exc_info=result
            )


@transaction.atomic
def cancel_order(*, order_id: int, source: str, note: str = "", actor=None) -> Order:
    """Cancel an order that is still waiting for payment; otherwise leave it as it is."""
    order = locked_order(order_id)
    if can_cancel(order):
        set_status(order, OrderStatus.CANCELLED, source=source, note=note, actor=actor)
    return order


cancel_order.alters_data = True


def can_cancel(order: Order) -> bool:
    """Waiting for payment, with no bank payment recorded against it (that money is the
    buyer's, to be returned by hand first)."""
    return OrderStatus.CANCELLED in ALLOWED_TRANSITIONS[order.status] and not (
        order.bank_payments.exists()
    )


@transaction.atomic
def record_refund(
    *, order_id: int, refunded_total: Decimal, source: str, note: str = "", actor=None
) -> Order:
    """Record the cumulative amount refunded; a full refund moves the order to refunded.

    Takes the highest cumulative amount seen, so refunds reported twice or out of
    order never count twice or go backwards.
    """
    order = locked_order(order_id)
    if refunded_total > order.total:
        return flag_order(order, f"Refund of {refunded_total} exceeds the order total ({source}).")
    if refunded_total > order.refunded_amount:
        order.refunded_amount = refunded_total
        order.save(update_fields=["refunded_amount", "updated_at"])
    if order.refunded_amount == order.total and order.status in PAID_STATUSES:
        set_status(order, OrderStatus.REFUNDED, source=source, note=note, actor=actor)
    return order


record_refund.alters_data = True


@transaction.atomic
def flag_order_by_id(*, order_id: int, reason: str) -> Order:
    return flag_order(locked_order(order_id), reason)
