"""Business steps of delivery: stamp each bought report, hand out links, mail the buyer."""

import logging
import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.files.base import File
from django.core.mail import mail_admins, send_mail
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, override

from reports.models import DeliveryMode
from storefront.delivery import DeliveryError, mailer, stamping
from storefront.delivery.models import DownloadGrant, DownloadLog, StampedCopy, new_licence_id
from storefront.delivery.prepared_masters import stamp_stored
from storefront.delivery.stamping import LicenceStamp
from storefront.orders import services as order_services
from storefront.orders.business_days import add_business_days
from storefront.orders.mail import absolute_url, build_message
from reports.models import LicenseType
from storefront.orders.models import Order, OrderLine, OrderStatus, Seat
from storefront.queueing import delay_or_leave_to_sweep

logger = logging.getLogger(__name__)


class DeliveryFailed(DeliveryError):
    """Delivery cannot succeed by retrying (e.g. the master PDF is missing)."""


class AccessEnded(DeliveryError):
    """A dispute or a full refund ended the order's access: no link is handed out again."""


def refuse_if_access_ended(order: Order) -> None:
    if order.access_ended_at is not None:
        raise AccessEnded(
            f"Access to order {order.number} has ended ({order.access_ended_reason}); "
            f"no links are issued for it."
        )


# --- Stamping and delivering --------------------------------------------------------


def _stamp_line(line: OrderLine, order: Order, written: list[str]) -> StampedCopy:
    """Stamp the buyer's copy of a line and save its row; the file's name goes into ``written``."""
    return stamp_copy(order=order, line=line, licensee=order.full_name, written=written)


def stamp_copy(
    *, order: Order, line: OrderLine, licensee: str, written: list[str], seat: Seat | None = None
) -> StampedCopy:
    """Stamp one copy of a line for ``licensee`` (the buyer, or a seat's holder)."""
    report = line.report
    if report is None or not report.master_pdf:
        raise DeliveryFailed(f"No master PDF for {line.product_code} (order {order.number}).")
    if not report.master_pdf.storage.exists(report.master_pdf.name):
        raise DeliveryFailed(
            f"The master PDF file of {line.product_code} is missing from storage "
            f"({report.master_pdf.name}); upload it again (order {order.number})."
        )
    licence_id = new_licence_id()
    with override(order.language):
        stamp = LicenceStamp(
            licensee=licensee,
            company=order.company,
            site=order.site if line.license_type == LicenseType.SITE else "",
            licence_type=str(line.get_license_type_display()),
            order_number=order.number,
            licence_id=licence_id,
            issued_on=timezone.localdate(),
            language=order.language,
            issuer=settings.SHOP_NAME,
            author=report.publisher.name if report.publisher_id else "",
        )
    with stamped_temporary_copy(report.master_pdf.storage, report.master_pdf.name, stamp) as (
        output, result,
    ):
        return _save_copy(
            order=order, line=line, seat=seat, licence_id=licence_id, result=result,
            output=output, written=written,
        )


@contextmanager
def stamped_temporary_copy(storage, name: str, stamp: LicenceStamp):
    """Stamp the master stored as ``name`` into a temporary file on local disk.

    Yields the copy (a File at its start, for a storage to save) and stamping's
    StampResult; the file is removed afterwards unless a local storage moved it into
    place. The master is read from a local file (this host's prepared copy of it, see
    prepared_masters.py), so a 166 MB master never sits whole in memory
    (bench/README.md).
    """
    handle, output_path = tempfile.mkstemp(
        prefix="stamped-", suffix=".pdf", dir=settings.FILE_UPLOAD_TEMP_DIR
    )
    os.close(handle)
    try:
        # "r+b", not "w+b": mkstemp made the file empty, and truncating it again marks it
        # on ext4 (auto_da_alloc) for write-back when closed, which cost the close of a
        # 164 MB copy 40-60 ms (bench/README.md).
        with open(output_path, "r+b") as output:
            result = stamp_stored(storage, name, output, stamp)
            output.seek(0)
            yield _TemporaryCopy(output), result
    finally:
        _remove_if_left(output_path)


class _TemporaryCopy(File):
    """A stamped file on local disk: a local storage moves it into place (a rename on
    the same file system) instead of copying it; a bucket uploads it."""

    def temporary_file_path(self) -> str:
        return self.file.name


def _remove_if_left(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:  # moved into the storage
        pass


def _save_copy(*, order, line, seat, licence_id, result, output, written) -> StampedCopy:
    """Save a stamped file (``output``, at its start) to the storage and its row."""
    copy = StampedCopy(
        line=None if seat else line,
        seat=seat,
        seat_revision=seat.revision if seat else None,
        licence_id=licence_id,
        pages=result.pages,
        size=result.bytes_written,
    )
    # One name per copy (a line's, or a seat holder's): an attempt killed between writing
    # the file and committing its row left a file that no row owns; this attempt
    # replaces it instead of adding one.
    name = f"{order.number}/{line.pk}-{line.product_code}.pdf"
    if seat is not None:
        name = f"{order.number}/{line.pk}-{line.product_code}-seat{seat.number}-{seat.revision}.pdf"
    stored_name = copy.file.field.generate_filename(copy, name)
    if copy.file.storage.exists(stored_name):
        copy.file.storage.delete(stored_name)  # the line has no copy and its order is locked
    output.name = name
    copy.file.save(name, output, save=False)
    written.append(copy.file.name)
    copy.save()
    return copy


def new_grant(copy: StampedCopy) -> DownloadGrant:
    return DownloadGrant.objects.create(
        copy=copy,
        expires_at=timezone.now() + timedelta(days=settings.DOWNLOAD_EXPIRY_DAYS),
        downloads_left=settings.DOWNLOAD_LIMIT,
    )


def _waits_for_master(line: OrderLine) -> bool:
    """A line of a report sold "delivered on order" whose master PDF is not uploaded yet."""
    return line.report is not None and line.report.delivered_on_order


def _record_wait(order: Order, waiting: list[OrderLine]) -> None:
    """Give a waiting order its due time, once: payment plus the longest promise."""
    if order.delivery_due_at is not None:
        return
    days = max(line.report.delivery_days for line in waiting)
    order.delivery_due_at = add_business_days(order.paid_at or timezone.now(), days)
    order.save(update_fields=["delivery_due_at", "updated_at"])
    logger.info(
        "order %s waits for the master PDF of %s (due %s)",
        order.number,
        ", ".join(line.product_code for line in waiting),
        order.delivery_due_at.isoformat(),
    )


def deliver_order(*, order_id: int) -> Order:
    """Stamp every line of a paid order, create its links and mail them, once; the same
    for each named seat's current holder (their own copy, links and invitation).

    A line whose report is "delivered on order" and still has no master PDF is
    not a failure: the order stays paid, gets its due time (delivery_due_at) and
    waits; the other lines are stamped, and the one mail with every link (and the
    seat holders' copies and invitations) goes out when the master arrives
    (deliver_orders_waiting_for_master queues this again).

    Idempotent: lines and seat holders already stamped are kept, and the mail goes
    out only if it has not (delivery_mailed_at; a seat's invited_revision). Files
    are stored before the mail is sent; the order moves to delivered after it.
    Transient errors (storage, SMTP) propagate for the task to retry; DeliveryFailed
    means retrying will not help. When the stamping transaction fails (or its commit
    does), the files it wrote are removed; a file left by a killed attempt is
    replaced, since each copy (a line's, a seat holder's) has one file name. Nothing
    is delivered for an order whose access ended.
    """
    written: list[str] = []
    try:
        with transaction.atomic():
            order = Order.objects.select_for_update().get(pk=order_id)
            if order.status not in (OrderStatus.PAID, OrderStatus.DELIVERED):
                logger.info("order %s is %s: nothing to deliver", order.number, order.status)
                return order
            if order.access_ended_at is not None:
                logger.info("order %s: access ended, nothing to deliver", order.number)
                return order
            waiting = []
            # A custom line (a quoted service) has no file to deliver.
            lines = order.lines.select_related("report__publisher").filter(
                copy__isnull=True, is_custom=False
            )
            for line in lines:
                if _waits_for_master(line):
                    waiting.append(line)
                else:
                    new_grant(_stamp_line(line, order, written))
            if waiting:
                _record_wait(order, waiting)
                return order
            seat_ids = seats.stamp_seat_copies(order=order, written=written)
    except BaseException:
        # The rows are rolled back (or never committed): no file may outlive them.
        _delete_files(written)
        raise
    # The mail and the delivered state in one transaction: two commits per order in
    # all (bench/README.md). The mail goes out before that commit, as in
    # send_delivery_mail: a failed commit means a retry mails again, never no mail.
    # The mail's record and the delivered state go into one UPDATE of the order.
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        mailed = order.delivery_mailed_at is None and _send_delivery_mail(order, save=False)
        mail_fields = _MAILED_FIELDS if mailed else ()
        if order.status == OrderStatus.PAID:
            order_services.set_status(
                order, OrderStatus.DELIVERED, source="delivery", also_save=mail_fields
            )
        elif mailed:
            order.save(update_fields=[*mail_fields, "updated_at"])
    # After the buyer's own delivery: a holder's mailbox refusing mail must not keep
    # the buyer's order "being prepared"; a retry (or the sweep) invites them.
    for seat_id in seat_ids:
        seats.send_seat_invitation(seat_id=seat_id)
    return order


def _delete_files(names: list[str]) -> None:
    for name in names:
        try:
            StampedCopy._meta.get_field("file").storage.delete(name)
        except Exception:  # the original error matters more; the next attempt replaces it
            logger.exception("could not remove the stamped file %s of a failed delivery", name)


def deliver_again(*, order_id: int) -> bool:
    """Staff: stamp what is missing and mail the links, exactly once per call.

    An order whose links were never mailed (its delivery failed) gets them from
    deliver_order; one mailed before gets them again. Raises AccessEnded after a
    dispute or a full refund. Returns whether a mail went out.
    """
    order = Order.objects.get(pk=order_id)
    refuse_if_access_ended(order)
    if order.status not in (OrderStatus.PAID, OrderStatus.DELIVERED):
        return False
    if order.delivery_mailed_at is None:
        return deliver_order(order_id=order_id).delivery_mailed_at is not None
    deliver_order(order_id=order_id)
    return send_delivery_mail(order_id=order_id, force=True)


deliver_again.alters_data = True


@transaction.atomic
def send_delivery_mail(*, order_id: int, force: bool = False) -> bool:
    """Mail the buyer their links in the order's language; once, unless forced (staff resend).

    Raises AccessEnded for an order whose access a dispute or full refund ended.
    """
    order = Order.objects.select_for_update().get(pk=order_id)
    return _send_delivery_mail(order, force=force)


send_delivery_mail.alters_data = True


# What _send_delivery_mail records on the order once the mail went out.
_MAILED_FIELDS = ("delivery_mailed_at", "delivery_failed_at")


def _send_delivery_mail(order: Order, *, force: bool = False, save: bool = True) -> bool:
    """send_delivery_mail for an order locked by the caller's transaction.

    With ``save=False`` the mail's record (_MAILED_FIELDS) is set on ``order`` and
    left for the caller to save in its own UPDATE of the order, in this transaction.
    """
    if order.delivery_mailed_at is not None and not force:
        return False
    refuse_if_access_ended(order)
    # Each line's latest usable link, in the lines' order: one query for any number of lines.
    latest = {}
    for grant in (
        DownloadGrant.objects.usable()
        .filter(copy__line__order=order)
        .select_related("copy__line")
        .order_by("-expires_at", "-pk")
    ):
        latest.setdefault(grant.copy.line_id, grant)
    downloads = [
        {"line": grant.copy.line, "grant": grant} for _line_id, grant in sorted(latest.items())
    ]
    if not downloads:
        return False
    _mail_links(order, downloads)
    order.delivery_mailed_at = timezone.now()
    order.delivery_failed_at = None
    if save:
        order.save(update_fields=[*_MAILED_FIELDS, "updated_at"])
    return True


def _mail_links(order: Order, downloads: list[dict]) -> None:
    """Send the buyer the links of ``downloads`` ({"line", "grant"}); SMTP errors propagate."""
    downloads = [{**item, "url": download_url(item["grant"])} for item in downloads]
    with override(order.language):
        subject = gettext("Your report is ready: order %(number)s") % {"number": order.number}
        library_url = absolute_url(reverse("library:home"))
    message = build_message(
        template="delivery",
        subject=subject,
        to=[order.email],
        language=order.language,
        context={
            "order": order,
            "downloads": downloads,
            "order_url": absolute_url(order.get_absolute_url()),
            "library_url": library_url,
            "download_limit": settings.DOWNLOAD_LIMIT,
        },
    )
    mailer.send(message)  # over the process's kept connection


def prepare_worker() -> None:
    """Load once, before a worker's pool starts, what every delivery uses: the stamp's
    fonts and PDF libraries (stamping.warm_up), the delivery mail's templates and the
    translation catalogues. Pool processes forked afterwards share it, so the first
    delivery of each is as fast as the next (bench/README.md, "Delivery burst")."""
    from django.template.loader import get_template

    stamping.warm_up()
    for name in ("emails/delivery.txt", "emails/delivery.html"):
        get_template(name)
    for language, _name in settings.LANGUAGES:
        with override(language):
            gettext("Your report is ready: order %(number)s")


def download_url(grant: DownloadGrant) -> str:
    return absolute_url(reverse("delivery:download", kwargs={"token": grant.token}))


def mark_delivery_failed(*, order_id: int, reason: str) -> None:
    """After the last retry, or at once when retrying cannot help: flag the order, tell staff.

    Once per failure: an order already flagged as failed (a duplicated task) is left as
    it is. The sweep no longer queues it; staff resend once the cause is fixed.
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.delivery_failed_at is not None:
            return
        order.delivery_failed_at = timezone.now()
        order.save(update_fields=["delivery_failed_at", "updated_at"])
        order_services.flag_order(order, f"Delivery failed: {reason}")
    mail_admins(
        f"Delivery failed for order {order.number}",
        f"Order {order.number} ({order.email}) could not be delivered: {reason}\n"
        f"It is flagged in the admin; use 'Resend delivery' once the cause is fixed.",
        fail_silently=True,
    )
    send_mail(
        f"Delivery failed for order {order.number}",
        f"Order {order.number} could not be delivered: {reason}",
        settings.DEFAULT_FROM_EMAIL,
        [settings.SALES_EMAIL],
        fail_silently=True,
    )


def _line_waiting_for_master():
    return OrderLine.objects.filter(
        order=OuterRef("pk"),
        copy__isnull=True,
        report__master_pdf="",
        report__delivery_mode=DeliveryMode.ON_ORDER,
    )


def orders_awaiting_delivery(*, older_than: timedelta):
    """Paid orders whose delivery has not happened (broker down, worker lost).

    Orders waiting for the master PDF of a report delivered on order are left out
    until it is uploaded: queueing them would only find the master still missing.
    """
    return (
        Order.objects.filter(
            status=OrderStatus.PAID,
            delivery_failed_at__isnull=True,
            access_ended_at__isnull=True,
            paid_at__lte=timezone.now() - older_than,
        )
        .exclude(Exists(_line_waiting_for_master()))
        .values_list("pk", flat=True)
    )


def orders_waiting_for_master(*, report_id: int):
    """Paid orders with a line of this report not stamped yet (and nothing stopping them)."""
    return (
        Order.objects.filter(
            status=OrderStatus.PAID,
            delivery_failed_at__isnull=True,
            access_ended_at__isnull=True,
            lines__report_id=report_id,
            lines__copy__isnull=True,
        )
        .values_list("pk", flat=True)
        .distinct()
    )


def deliver_orders_waiting_for_master(*, report_id: int) -> int:
    """A report's master PDF was uploaded: queue delivery of every order waiting for it.

    Subscribed to reports' ``master_pdf_available`` (sent after commit), so the
    master is stored before any task looks for it. Queueing twice is harmless:
    deliver_order stamps each line once and mails once. With the broker down the
    orders are left to the sweep, which no longer skips them. Returns how many.
    """
    from storefront.delivery.tasks import deliver_order_task  # tasks import this module

    order_ids = list(orders_waiting_for_master(report_id=report_id))
    for order_id in order_ids:
        delay_or_leave_to_sweep(deliver_order_task, order_id)
    if order_ids:
        logger.info(
            "master PDF of report id %s uploaded: delivering %d waiting orders",
            report_id,
            len(order_ids),
        )
    return len(order_ids)


def master_pdf_available_receiver(sender, report_id: int, **kwargs) -> None:
    deliver_orders_waiting_for_master(report_id=report_id)


def hand_off_for_delivery(*, order_id: int) -> None:
    """Queue delivery of an order whose paid state or seat change is committed.

    Never raises: the payment is committed, so a webhook still succeeds and the
    delivery sweep picks the order up if queueing fails.
    """
    from storefront.delivery.tasks import deliver_order_task  # tasks import this module

    delay_or_leave_to_sweep(deliver_order_task, order_id)


def order_paid_receiver(sender, order_id: int, **kwargs) -> None:
    hand_off_for_delivery(order_id=order_id)


def seat_holders_changed_receiver(sender, order_id: int, **kwargs) -> None:
    hand_off_for_delivery(order_id=order_id)


# --- Links ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DownloadDecision:
    """What a download request gets: a file, or why not (as an HTTP status)."""

    status: int
    grant: DownloadGrant | None = None


def claim_download(*, token: str, ip_address: str | None, user_agent: str) -> DownloadDecision:
    """Count one download against a link, never past its limit, even under concurrency.

    The count is a conditional UPDATE, so ten simultaneous requests on a link with
    five downloads left serve exactly five.
    """
    grant = (
        DownloadGrant.objects.select_related("copy__line__order", "copy__seat__order", "copy__seat__line")
        .filter(token=token)
        .first()
    )
    if grant is None:
        return DownloadDecision(404)
    if grant.is_revoked or grant.is_expired or grant.copy.order.access_ended_at is not None:
        return DownloadDecision(410, grant)
    claimed = DownloadGrant.objects.usable().filter(pk=grant.pk).update(
        downloads_left=F("downloads_left") - 1
    )
    if not claimed:
        grant.refresh_from_db()
        return DownloadDecision(410 if grant.is_revoked or grant.is_expired else 403, grant)
    DownloadLog.objects.create(grant=grant, ip_address=ip_address, user_agent=user_agent[:400])
    grant.downloads_left -= 1
    return DownloadDecision(200, grant)


class FreshLinks:
    """What a request for fresh links came to."""

    REQUESTED = "requested"  # queued (or left to the sweep); the mail follows
    ALREADY_REQUESTED = "already_requested"  # an earlier request is still on its way
    NOT_DELIVERED = "not_delivered"  # nothing was delivered yet: nothing to renew


def request_fresh_links(*, order_id: int, reason: str) -> str:
    """Ask for new links to every stamped copy of a delivered order, mailed by a task.

    The request is saved on the order before the task is queued (after commit), so a
    broker outage leaves it to the sweep; nothing is revoked here: the old links keep
    working until the mail with the new ones has gone out (send_fresh_links).
    Idempotent while a request is pending. Raises AccessEnded after a dispute or a
    full refund. Returns a FreshLinks value.
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        refuse_if_access_ended(order)
        if order.status != OrderStatus.DELIVERED:
            return FreshLinks.NOT_DELIVERED
        if order.fresh_links_requested_at is not None:
            return FreshLinks.ALREADY_REQUESTED
        order.fresh_links_requested_at = timezone.now()
        order.fresh_links_reason = reason[:200]
        order.save(update_fields=["fresh_links_requested_at", "fresh_links_reason", "updated_at"])
        transaction.on_commit(lambda: _queue_fresh_links(order.pk))
    return FreshLinks.REQUESTED


request_fresh_links.alters_data = True


def _queue_fresh_links(order_id: int) -> None:
    from storefront.delivery.tasks import send_fresh_links_task  # tasks import this module

    delay_or_leave_to_sweep(send_fresh_links_task, order_id)


def send_fresh_links(*, order_id: int) -> int:
    """Carry out a pending fresh-links request: new links, one mail, then the old links end.

    Idempotent: the new links are made once per request (a retry mails the same ones),
    the old links are revoked only in the transaction that records the mail as sent,
    and a request already carried out changes nothing. SMTP errors propagate for the
    task to retry; the old links still work meanwhile. Returns how many links were mailed.
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        requested_at = order.fresh_links_requested_at
        if requested_at is None:
            return 0
        if order.access_ended_at is not None:
            _forget_fresh_links_request(order)
            return 0
        renewed = DownloadGrant.objects.filter(
            copy__line__order=order, created_at__gte=requested_at, revoked_at__isnull=True
        ).values("copy_id")
        for copy in StampedCopy.objects.filter(line__order=order).exclude(pk__in=renewed):
            new_grant(copy)
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.fresh_links_requested_at != requested_at or order.access_ended_at is not None:
            return 0  # carried out by a concurrent task, or access ended meanwhile
        fresh = list(
            DownloadGrant.objects.filter(
                copy__line__order=order, created_at__gte=requested_at, revoked_at__isnull=True
            ).select_related("copy__line")
        )
        _mail_links(order, [{"line": grant.copy.line, "grant": grant} for grant in fresh])
        DownloadGrant.objects.filter(copy__line__order=order, revoked_at__isnull=True).exclude(
            pk__in=[grant.pk for grant in fresh]
        ).update(revoked_at=timezone.now(), revoke_reason=f"replaced: {order.fresh_links_reason}"[:200])
        order.delivery_mailed_at = timezone.now()
        _forget_fresh_links_request(order, extra_fields=["delivery_mailed_at"])
    return len(fresh)


def _forget_fresh_links_request(order: Order, extra_fields=()) -> None:
    order.fresh_links_requested_at = None
    order.fresh_links_reason = ""
    order.save(
        update_fields=["fresh_links_requested_at", "fresh_links_reason", *extra_fields, "updated_at"]
    )


def mark_fresh_links_failed(*, order_id: int, reason: str) -> None:
    """After the last retry: drop the request, flag the order, tell sales.

    The old links were never revoked, so the buyer keeps whatever access they had.
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.fresh_links_requested_at is None:
            return
        _forget_fresh_links_request(order)
        order_services.flag_order(
            order,
            f"Fresh download links could not be mailed: {reason}. The old links still work; "
            f"issue fresh links again once mail works.",
        )
    send_mail(
        f"Fresh links not sent for order {order.number}",
        f"Fresh download links for order {order.number} could not be mailed: {reason}",
        settings.DEFAULT_FROM_EMAIL,
        [settings.SALES_EMAIL],
        fail_silently=True,
    )


def orders_awaiting_fresh_links(*, older_than: timedelta):
    """Fresh-links requests still not carried out (broker down, worker lost)."""
    return Order.objects.filter(
        fresh_links_requested_at__lte=timezone.now() - older_than
    ).values_list("pk", flat=True)


def end_access(*, order_id: int, reason: str) -> int:
    """A dispute or a full refund: record on the order that access ended, stop every link.

    From then on no service hands out links for the order (AccessEnded). The first
    reason is kept. Returns how many links were revoked.
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.access_ended_at is None:
            order.access_ended_at = timezone.now()
            order.access_ended_reason = reason[:200]
            order.fresh_links_requested_at = None
            order.fresh_links_reason = ""
            order.save(
                update_fields=[
                    "access_ended_at", "access_ended_reason", "fresh_links_requested_at",
                    "fresh_links_reason", "updated_at",
                ]  # fmt: skip
            )
        return revoke_access(order_id=order.pk, reason=reason)


end_access.alters_data = True


def revoke_access(*, order_id: int, reason: str) -> int:
    """Stop every link of an order, the seat holders' included (staff). Returns links revoked.

    Staff may issue fresh links afterwards; a dispute or full refund uses end_access.
    """
    return DownloadGrant.objects.of_order(order_id).filter(revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoke_reason=reason[:200]
    )


def renew_seat_link(*, seat_id: int) -> bool:
    """A seat holder's expired link: a fresh one is mailed to the seat's current holder.

    See storefront.delivery.seats.renew_seat_link.
    """
    return seats.renew_seat_link(seat_id=seat_id)


renew_seat_link.alters_data = True

# Seat delivery uses the helpers above; imported last, as it imports this module.
from storefront.delivery import seats  # noqa: E402
