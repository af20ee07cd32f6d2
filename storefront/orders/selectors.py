"""Reads for the cart and order pages, with a fixed number of queries."""

from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from reports import currencies
from reports.models import LicenseOption, Report
from reports.selectors import translations_of
from storefront.orders.business_days import add_business_days
from storefront.orders.cart import Cart, CartLine
from storefront.orders.models import Order, OrderLine, OrderStatus, Seat


def cart_lines(cart: Cart) -> list[CartLine]:
    """The cart's lines with current prices; lines whose report or licence is gone drop out.

    So do reports that can no longer be delivered (no master PDF and not delivered
    on order) and licences the shop cannot charge: priced in a currency it no longer sells, or
    finer than their currency (rows older than the catalogue's checks).
    """
    option_ids = cart.option_ids()
    if not option_ids:
        return []
    options = (
        LicenseOption.objects.filter(
            pk__in=option_ids,
            # Only what can be delivered: a master PDF, or sold "delivered on order".
            report__in=Report.objects.published().purchasable(),
            currency__in=currencies.sold_currencies(),
        )
        .select_related("report", "report__publisher")
        .prefetch_related(
            Prefetch("report__translations", queryset=translations_of(Report).queryset),
            "report__license_options",
        )
        .order_by("report__product_code")
    )
    lines = [
        CartLine(option) for option in options if currencies.fits(option.price, option.currency)
    ]
    if len(lines) != len(option_ids):
        cart.keep_only({line.option.pk for line in lines})
    return lines


def cart_currency(lines: list[CartLine]) -> str | None:
    """The currency the cart is paid in: that of most lines (ties: the first line's)."""
    # A Counter keeps first-seen order and max() returns the first of equals.
    counts = Counter(line.currency for line in lines)
    return max(counts, key=counts.__getitem__, default=None)


def lines_in_other_currencies(lines: list[CartLine]) -> list[CartLine]:
    """Lines that cannot be paid with the rest of the cart.

    The cart refuses a second currency when a licence is added, but an editor can
    re-price a licence that is already in someone's cart.
    """
    currency = cart_currency(lines)
    return [line for line in lines if line.currency != currency]


def order_for_buyer(token: str) -> Order | None:
    return (
        Order.objects.filter(public_token=token)
        .prefetch_related(
            # The report says whether a line still waits for its master PDF; its
            # stamped copy too (delivery's download links start from it).
            Prefetch("lines", queryset=OrderLine.objects.select_related("copy", "report")),
        )
        .first()
    )


def order_with_seats(token: str) -> Order | None:
    """An order with its lines and their seats, in three queries."""
    return (
        Order.objects.filter(public_token=token)
        .prefetch_related(Prefetch("lines__seats", queryset=Seat.objects.order_by("number")))
        .first()
    )
def lines_waiting_for_master(order: Order) -> list[OrderLine]:
    """Lines of a paid order not stamped yet because their report, delivered on order,
    has no master PDF yet. Reads the lines as order_for_buyer() prefetched them."""
    return [
        line
        for line in order.lines.all()
        if getattr(line, "copy", None) is None
        and line.report is not None
        and line.report.delivered_on_order
    ]


def delivery_due(order: Order, waiting: list[OrderLine]):
    """When a waiting order is due: as recorded by delivery, or (before the delivery
    task ran) payment plus the longest promise of its waiting lines."""
    if order.delivery_due_at is not None or not waiting:
        return order.delivery_due_at
    days = max(line.report.delivery_days for line in waiting)
    return add_business_days(order.paid_at or timezone.now(), days)


@dataclass(frozen=True)
class OrderWorkload:
    awaiting_invoice_payment: int
    needing_attention: int


def order_workload() -> OrderWorkload:
    """Orders waiting for sales, in one query."""
    counts = Order.objects.aggregate(
        awaiting_invoice_payment=Count("pk", filter=Q(status=OrderStatus.AWAITING_INVOICE)),
        needing_attention=Count("pk", filter=Q(needs_attention=True)),
    )
    return OrderWorkload(**counts)
