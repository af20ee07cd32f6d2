"""Reads for the library page, with a fixed number of queries however many orders."""

from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils import timezone

from storefront.delivery.models import DownloadGrant
from storefront.orders.models import Order, OrderLine, OrderStatus

# Orders a buyer has bought (or been invoiced for); abandoned card checkouts and
# cancelled orders are not part of the library.
LIBRARY_STATUSES = (
    OrderStatus.AWAITING_INVOICE,
    OrderStatus.PAID,
    OrderStatus.DELIVERED,
    OrderStatus.REFUNDED,
)


@dataclass
class LibraryLine:
    line: OrderLine
    grant: DownloadGrant | None  # the newest usable link, if any


@dataclass
class LibraryOrder:
    order: Order
    lines: list[LibraryLine] = field(default_factory=list)

    @property
    def can_renew(self) -> bool:
        """Fresh links may be asked for: delivered, access not ended, none pending."""
        order = self.order
        return (
            order.status == OrderStatus.DELIVERED
            and order.access_ended_at is None
            and order.fresh_links_requested_at is None
        )


def library_of(email: str) -> list[LibraryOrder]:
    """Every order bought with ``email`` (any case, any language), newest first,
    each line with its newest usable download link. Three queries."""
    now = timezone.now()
    usable = DownloadGrant.objects.usable(now).order_by("-expires_at", "-id")
    orders = (
        Order.objects.filter(email__iexact=email, status__in=LIBRARY_STATUSES)
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.select_related("copy")),
            Prefetch("lines__copy__grants", queryset=usable, to_attr="usable_grants"),
        )
        .order_by("-created_at", "-id")
    )
    library = []
    for order in orders:
        entry = LibraryOrder(order=order)
        for line in order.lines.all():
            copy = getattr(line, "copy", None)  # none while delivery runs
            grants = copy.usable_grants if copy is not None else []
            usable_grant = grants[0] if grants and order.access_ended_at is None else None
            entry.lines.append(LibraryLine(line=line, grant=usable_grant))
        library.append(entry)
    return library
