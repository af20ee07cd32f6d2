"""Celery tasks of delivery: thin wrappers that load ids and call one service."""

import logging
from datetime import timedelta
from smtplib import SMTPException

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings

from storefront.delivery import services

logger = logging.getLogger(__name__)

# Worth retrying: the mail server or the storage may be back in a minute.
TRANSIENT_ERRORS = (SMTPException, ConnectionError, TimeoutError, OSError)


# Nobody reads the result; keeping it would leave a key per delivery in Redis.
@shared_task(bind=True, acks_late=True, max_retries=None, ignore_result=True)
def deliver_order_task(self, order_id: int) -> None:
    """Deliver a paid order; retried with exponential backoff on transient errors.

    After the last retry, or at once for an error retrying cannot fix, the order
    is flagged "delivery failed" and staff are told.
    """
    try:
        services.deliver_order(order_id=order_id)
    except services.DeliveryFailed as error:
        services.mark_delivery_failed(order_id=order_id, reason=str(error))
        raise
    except TRANSIENT_ERRORS as error:
        if self.request.retries >= settings.DELIVERY_MAX_RETRIES:
            services.mark_delivery_failed(
                order_id=order_id, reason=f"{type(error).__name__}: {error}"
            )
            raise
        countdown = get_exponential_backoff_interval(
            factor=settings.TASK_RETRY_BACKOFF_SECONDS,
            retries=self.request.retries,
            maximum=600,
            full_jitter=True,
        )
        raise self.retry(exc=error, countdown=countdown)


@shared_task(acks_late=True)
def sweep_undelivered_orders_task() -> int:
    """Beat: paid orders still undelivered after a few minutes are queued again."""
    order_ids = list(
        services.orders_awaiting_delivery(
            older_than=timedelta(minutes=settings.DELIVERY_SWEEP_AFTER_MINUTES)
        )
    )
    for order_id in order_ids:
        deliver_order_task.delay(order_id)
    if order_ids:
        logger.warning("re-queued delivery of %d paid orders", len(order_ids))
    return len(order_ids)
