"""Reads for the cart and order pages, with a fixed number of queries."""

from django.db.models import Prefetch

from reports.models import LicenseOption, Report
from reports.selectors import translations_of
from storefront.orders.cart import Cart, CartLine
from storefront.orders.models import Order


def cart_lines(cart: Cart) -> list[CartLine]:
    """The cart's lines with current prices; lines whose report or licence is gone drop out."""
    option_ids = cart.option_ids()
    if not option_ids:
        return []
    options = (
        LicenseOption.objects.filter(pk__in=option_ids, report__in=Report.objects.published())
        .select_related("report", "report__publisher")
        .prefetch_related(
            Prefetch("report__translations", queryset=translations_of(Report).queryset),
            "report__license_options",
        )
        .order_by("report__product_code")
    )
    lines = [CartLine(option) for option in options]
    if len(lines) != len(option_ids):
        cart.keep_only({line.option.pk for line in lines})
    return lines


def order_for_buyer(token: str) -> Order | None:
    return (
        Order.objects.filter(public_token=token)
        .prefetch_related("lines")
        .first()
    )
