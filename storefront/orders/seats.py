"""Named seats of multi-user licences: naming, reassigning and the log of both.

A multi-user licence for N people (OrderLine.seat_limit, from the licence type) may
name up to N seat holders, at checkout or later from the order's seats page. Each
holder gets their own stamped copy and links from delivery (the order's delivery
is queued again after commit); the buyer keeps their own copy as before. A seat can
be given to someone else SEAT_REASSIGNMENT_LIMIT times; every naming and
reassignment is logged (SeatChange).
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from storefront.orders import signals
from storefront.orders.models import Order, OrderLine, OrderStatus, Seat, SeatChange

logger = logging.getLogger(__name__)

# Seats can be named while the order waits for payment and after; never once it is
# cancelled or refunded.
OPEN_STATUSES = {
    OrderStatus.PENDING, OrderStatus.AWAITING_INVOICE, OrderStatus.PAID, OrderStatus.DELIVERED,
}  # fmt: skip


class SeatError(Exception):
    """A seat rule refused the step; the message is written for the buyer (gettext)."""


@dataclass(frozen=True)
class Holder:
    name: str  # normalised by storefront.forms.NameField / normalise_name
    email: str


def name_seats_at_checkout(*, order: Order, holders: dict[int, list[Holder]]) -> list[Seat]:
    """Seats typed at checkout, {report id: holders}; part of place_order's transaction.

    Nothing is queued: the seats are delivered with the order once it is paid.
    Raises SeatError (the whole order is rolled back) past a line's seat limit.
    """
    seats = []
    for line in order.lines.filter(report_id__in=holders):
        for holder in holders[line.report_id]:
            seats.append(_add_seat(order, line, holder, source="checkout", actor=None))
    return seats


def name_seat(*, order_id: int, line_id: int, holder: Holder, source: str, actor=None) -> Seat:
    """Give the next free seat of a line to ``holder``; after commit, a paid order's
    delivery is queued (stamp the holder's copy, mail their invitation).

    Raises SeatError when every seat is taken, the licence has no named seats, the
    holder already has a seat on the line, or the order is closed.
    """
    with transaction.atomic():
        order = _open_order(order_id)
        line = OrderLine.objects.filter(pk=line_id, order=order).first()
        if line is None or line.seat_limit == 0:
            raise SeatError(gettext("This licence has no named seats."))
        seat = _add_seat(order, line, holder, source=source, actor=actor)
        _deliver_after_commit(order)
    return seat


name_seat.alters_data = True


def reassign_seat(*, seat_id: int, holder: Holder, source: str, actor=None) -> Seat:
    """Give a seat to another person, at most SEAT_REASSIGNMENT_LIMIT times, logged.

    Only a change away from a holder who was sent their copy counts against the limit:
    correcting a holder before the order is paid hands no extra copy to anyone. The
    new holder gets their own copy and links; the old holder's links end when that
    copy has been delivered (delivery.seats.send_seat_invitation), not before.
    """
    with transaction.atomic():
        order_id = Seat.objects.values_list("order_id", flat=True).filter(pk=seat_id).first()
        if order_id is None:
            raise SeatError(gettext("This seat does not exist."))
        order = _open_order(order_id)
        seat = Seat.objects.select_for_update().get(pk=seat_id)
        limit = settings.SEAT_REASSIGNMENT_LIMIT
        counts = seat.is_invited
        if counts and seat.reassignments >= limit:
            raise SeatError(
                gettext(
                    "Seat %(number)s has been reassigned %(limit)s times, as often as the "
                    "licence allows. Please contact us if you need to change it again."
                )
                % {"number": seat.number, "limit": limit}
            )
        if seat.holder_email.casefold() == holder.email.casefold():
            raise SeatError(
                gettext("This seat is already held by %(email)s.") % {"email": holder.email}
            )
        _refuse_second_seat(seat.line, holder, except_seat=seat)
        SeatChange.objects.create(
            seat=seat, source=source, actor=actor, from_name=seat.holder_name,
            from_email=seat.holder_email, to_name=holder.name, to_email=holder.email,
        )  # fmt: skip
        seat.holder_name = holder.name
        seat.holder_email = holder.email
        seat.revision += 1
        seat.reassignments += 1 if counts else 0
        seat.assigned_at = timezone.now()
        seat.save(
            update_fields=[
                "holder_name", "holder_email", "revision", "reassignments", "assigned_at",
            ]  # fmt: skip
        )
        _deliver_after_commit(order)
    return seat


reassign_seat.alters_data = True


def can_change_seats(order: Order) -> bool:
    return order.status in OPEN_STATUSES and order.access_ended_at is None


def reassignments_left(seat: Seat) -> int:
    return max(settings.SEAT_REASSIGNMENT_LIMIT - seat.reassignments, 0)


def _open_order(order_id: int) -> Order:
    # The order's row lock serialises every seat change of the order: two buyers'
    # tabs naming "the last seat" at once cannot both get it.
    order = Order.objects.select_for_update().get(pk=order_id)
    if not can_change_seats(order):
        raise SeatError(gettext("Seats of this order can no longer be changed."))
    return order


def _add_seat(order: Order, line: OrderLine, holder: Holder, *, source: str, actor) -> Seat:
    taken = sorted(Seat.objects.filter(line=line).values_list("number", flat=True))
    if len(taken) >= line.seat_limit:
        raise SeatError(
            gettext(
                "All %(limit)s named seats of the %(licence)s licence for %(code)s are taken. "
                "Reassign a seat instead, or buy another licence for more people."
            )
            % {
                "limit": line.seat_limit,
                "licence": line.get_license_type_display(),
                "code": line.product_code,
            }
        )
    _refuse_second_seat(line, holder)
    number = next(n for n in range(1, line.seat_limit + 1) if n not in taken)
    seat = Seat.objects.create(
        order=order, line=line, number=number, holder_name=holder.name, holder_email=holder.email
    )
    SeatChange.objects.create(
        seat=seat, source=source, actor=actor, to_name=holder.name, to_email=holder.email
    )
    return seat


def _refuse_second_seat(line: OrderLine, holder: Holder, except_seat: Seat | None = None) -> None:
    others = Seat.objects.filter(line=line, holder_email__iexact=holder.email)
    if except_seat is not None:
        others = others.exclude(pk=except_seat.pk)
    if others.exists():
        raise SeatError(
            gettext(
                "%(email)s already holds a seat of this licence: each seat is for another person."
            )
            % {"email": holder.email}
        )


def _deliver_after_commit(order: Order) -> None:
    if order.status not in (OrderStatus.PAID, OrderStatus.DELIVERED):
        return  # delivered with the order once it is paid
    order_id = order.pk
    transaction.on_commit(lambda: _announce_seat_holders_changed(order_id=order_id))


def _announce_seat_holders_changed(*, order_id: int) -> None:
    # Robust: the seat change is committed, so a subscriber's failure must not turn
    # the buyer's saved change into an error page; the delivery sweep catches up.
    for receiver, result in signals.seat_holders_changed.send_robust(
        sender=Seat, order_id=order_id
    ):
        if isinstance(result, Exception):
            logger.error(
                "order id %s: %r failed on seat_holders_changed", order_id, receiver,
                exc_info=result,
            )
