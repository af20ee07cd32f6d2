"""Delivery to named seats: each holder's own stamped copy, links and invitation mail.

deliver_order() calls stamp_seat_copies() inside its stamping transaction and
send_seat_invitation() for each seat afterwards, so a seat named at checkout is
delivered with the order and one named or reassigned later by queueing the order's
delivery again.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext, override

from storefront.delivery import services
from storefront.delivery.models import DownloadGrant, StampedCopy
from storefront.orders.mail import build_message
from storefront.orders.models import Order, OrderStatus, Seat

logger = logging.getLogger(__name__)


def stamp_seat_copies(*, order: Order, written: list[str]) -> list[int]:
    """Stamp a copy, with a link, for every seat holder of ``order`` who has none.

    Call inside the transaction that holds the order's row lock; files written go
    into ``written`` (removed by the caller if the transaction fails). Returns the
    ids of the order's seats whose current holder has not been invited yet.
    """
    # Most orders have no seat: for them this is one plain query. The seats' copies
    # (and the lines and reports to stamp) are read only for an order that has seats,
    # in a fixed number of queries however many it has.
    order_seats = list(Seat.objects.filter(order_id=order.pk))
    if not order_seats:
        return []
    stamped = set(
        StampedCopy.objects.filter(seat__order_id=order.pk).values_list("seat_id", "seat_revision")
    )
    unstamped = [seat for seat in order_seats if (seat.pk, seat.revision) not in stamped]
    prefetch_related_objects(unstamped, "line__report__publisher")
    for seat in unstamped:
        copy = services.stamp_copy(
            order=order, line=seat.line, licensee=seat.holder_name, written=written, seat=seat
        )
        services.new_grant(copy)
    return [seat.pk for seat in order_seats if seat.invited_revision != seat.revision]


def send_seat_invitation(*, seat_id: int) -> bool:
    """Mail a seat's current holder their own link, in the order's language, once.

    In the same transaction the links of the seat's earlier holders are revoked: the
    old holder's access ends when the new holder's copy is delivered, not before.
    Idempotent (invited_revision); SMTP errors propagate for the task to retry, and
    then nothing is revoked. Returns whether a mail went out.
    """
    with transaction.atomic():
        order_id = Seat.objects.values_list("order_id", flat=True).get(pk=seat_id)
        order = Order.objects.select_for_update().get(pk=order_id)
        seat = Seat.objects.select_for_update().select_related("line").get(pk=seat_id)
        if seat.invited_revision == seat.revision or order.access_ended_at is not None:
            return False
        if order.status not in (OrderStatus.PAID, OrderStatus.DELIVERED):
            return False
        copy = StampedCopy.objects.filter(seat=seat, seat_revision=seat.revision).first()
        if copy is None:
            return False  # deliver_order stamps it first
        grant = DownloadGrant.objects.usable().filter(copy=copy).order_by("-expires_at").first()
        if grant is None:
            grant = services.new_grant(copy)
        _mail_invitation(order, seat, grant)
        DownloadGrant.objects.filter(copy__seat=seat, revoked_at__isnull=True).exclude(
            copy=copy
        ).update(
            revoked_at=timezone.now(),
            revoke_reason=f"seat {seat.number} reassigned to {seat.holder_email}"[:200],
        )
        seat.invited_revision = seat.revision
        seat.invited_at = timezone.now()
        seat.save(update_fields=["invited_revision", "invited_at"])
    return True


send_seat_invitation.alters_data = True


def _mail_invitation(order: Order, seat: Seat, grant: DownloadGrant) -> None:
    with override(order.language):
        subject = gettext("%(buyer)s named you on a licence for %(title)s") % {
            "buyer": order.full_name,
            "title": seat.line.title,
        }
    message = build_message(
        template="seat_invitation",
        subject=subject[:250],
        to=[seat.holder_email],
        language=order.language,
        context={
            "order": order,
            "seat": seat,
            "line": seat.line,
            "grant": grant,
            "url": services.download_url(grant),
            "download_limit": settings.DOWNLOAD_LIMIT,
        },
    )
    message.send()


def renew_seat_link(*, seat_id: int) -> bool:
    """A seat holder's link expired: a new link to the current holder's copy, mailed to them.

    The mail is sent by the order's delivery task (queued after commit, or left to the
    sweep), which treats it as a fresh invitation. Raises AccessEnded after a dispute
    or a full refund. Returns False when the seat's holder already has a usable link.
    """
    with transaction.atomic():
        order_id = Seat.objects.values_list("order_id", flat=True).get(pk=seat_id)
        order = Order.objects.select_for_update().get(pk=order_id)
        services.refuse_if_access_ended(order)
        seat = Seat.objects.select_for_update().get(pk=seat_id)
        copy = StampedCopy.objects.filter(seat=seat, seat_revision=seat.revision).first()
        if copy is None or DownloadGrant.objects.usable().filter(copy=copy).exists():
            return False
        services.new_grant(copy)
        seat.invited_revision = 0  # the current holder is invited again, with the new link
        seat.save(update_fields=["invited_revision"])
        transaction.on_commit(lambda: _queue_delivery(order_id))
    return True


renew_seat_link.alters_data = True


def _queue_delivery(order_id: int) -> None:
    services.hand_off_for_delivery(order_id=order_id)


def orders_with_seats_awaiting_delivery(*, older_than: timedelta):
    """Delivered orders with a seat holder not yet invited (a task lost, the broker down)."""
    return (
        Seat.objects.filter(
            assigned_at__lte=timezone.now() - older_than,
            order__status=OrderStatus.DELIVERED,
            order__access_ended_at__isnull=True,
            order__delivery_failed_at__isnull=True,
        )
        .exclude(invited_revision=F("revision"))
        .values_list("order_id", flat=True)
        .distinct()
    )
