"""Celery tasks of delivery: thin wrappers that load ids and call one service."""

import logging
from datetime import timedelta

from celery import shared_task
from celery.signals import worker_init, worker_process_shutdown
from django.conf import settings

from storefront.delivery import mailer, seats, services
from storefront.queueing import TRANSIENT_ERRORS, retry_or_give_up

logger = logging.getLogger(__name__)


@worker_process_shutdown.connect
def close_kept_mail_connection(**kwargs) -> None:
    """A pool process ending says goodbye to the mail server (QUIT) on its way out."""
    mailer.close()


@worker_init.connect
def prepare_worker(**kwargs) -> None:
    """Before the pool starts (and forks): fonts, PDF libraries, mail templates loaded once."""
    try:
        services.prepare_worker()
    except Exception:  # a cold first delivery is slower, not wrong: the worker still starts
        logger.exception("delivery warm-up failed; the first deliveries load what they need")


def _describe(error: Exception) -> str:
    if isinstance(error, services.DeliveryError):
        return str(error)
    return f"{type(error).__name__}: {error}"


# Nobody reads the result; keeping it would leave a key per delivery in Redis.
@shared_task(bind=True, acks_late=True, max_retries=None, ignore_result=True)
def deliver_order_task(self, order_id: int) -> None:
    """Deliver a paid order; retried with exponential backoff on transient errors.

    After the last retry, or at once for an error retrying cannot fix, the order
    is flagged "delivery failed" with the reason and staff are told; the sweep
    leaves a flagged order alone.
    """

    def flag(reason: str) -> None:
        services.mark_delivery_failed(order_id=order_id, reason=reason)

    try:
        services.deliver_order(order_id=order_id)
    except TRANSIENT_ERRORS as error:
        retry_or_give_up(
            self, error, max_retries=settings.DELIVERY_MAX_RETRIES, give_up=flag,
            reason=_describe(error),
        )
    except Exception as error:
        logger.exception("delivery of order id %s cannot succeed by retrying", order_id)
        flag(_describe(error))
        raise


@shared_task(bind=True, acks_late=True, max_retries=None, ignore_result=True)
def send_fresh_links_task(self, order_id: int) -> None:
    """Carry out an order's fresh-links request (new links, mail, then the old ones end).

    Idempotent; transient errors retry with backoff; after the last retry, or at once
    for an error retrying cannot fix, the request is dropped, the order flagged and
    sales told. The old links keep working throughout.
    """

    def flag(reason: str) -> None:
        services.mark_fresh_links_failed(order_id=order_id, reason=reason)

    try:
        services.send_fresh_links(order_id=order_id)
    except TRANSIENT_ERRORS as error:
        retry_or_give_up(
            self, error, max_retries=settings.DELIVERY_MAX_RETRIES, give_up=flag,
            reason=_describe(error),
        )
    except Exception as error:
        logger.exception("fresh links of order id %s cannot be sent by retrying", order_id)
        flag(_describe(error))
        raise


@shared_task(acks_late=True)
def sweep_undelivered_orders_task() -> int:
    """Beat: paid orders still undelivered after a few minutes are queued again, and so
    are delivered orders with a seat holder named (or a seat link renewed) but not mailed."""
    older_than = timedelta(minutes=settings.DELIVERY_SWEEP_AFTER_MINUTES)
    order_ids = list(services.orders_awaiting_delivery(older_than=older_than))
    # Seat holders named or renewed on a delivered order whose delivery was not queued.
    order_ids += [
        order_id
        for order_id in seats.orders_with_seats_awaiting_delivery(older_than=older_than)
        if order_id not in order_ids
    ]
    for order_id in order_ids:
        deliver_order_task.delay(order_id)
    if order_ids:
        logger.warning("re-queued delivery of %d paid orders", len(order_ids))
    return len(order_ids)


@shared_task(acks_late=True, ignore_result=True)
def sweep_fresh_links_task() -> int:
    """Beat: fresh-links requests not carried out after a few minutes are queued again."""
    order_ids = list(
        services.orders_awaiting_fresh_links(
            older_than=timedelta(minutes=settings.DELIVERY_SWEEP_AFTER_MINUTES)
        )
    )
    for order_id in order_ids:
        send_fresh_links_task.delay(order_id)
    if order_ids:
        logger.warning("re-queued fresh links of %d orders", len(order_ids))
    return len(order_ids)
