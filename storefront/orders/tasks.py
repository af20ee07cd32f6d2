"""Celery tasks of orders: thin wrappers that load ids and call one service."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings

from storefront.orders import mail, services
from storefront.queueing import TRANSIENT_ERRORS, retry_or_give_up

logger = logging.getLogger(__name__)

@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=None)
def send_proforma_invoice_task(self, order_id: int) -> None:
    """Mail the pro-forma invoice, once; retried with exponential backoff on transient errors.

    After PROFORMA_MAX_RETRIES, or at once for an error retrying cannot fix, the
    order is flagged with the reason, sales are told and the sweep leaves it alone.
    """
    try:
        mail.send_proforma_invoice(order_id=order_id)
    except TRANSIENT_ERRORS as error:
        retry_or_give_up(
            self, error, max_retries=settings.PROFORMA_MAX_RETRIES,
            give_up=lambda reason: services.mark_proforma_failed(order_id=order_id, reason=reason),
        )
    except Exception as error:
        logger.exception("the pro-forma of order id %s cannot be sent by retrying", order_id)
        services.mark_proforma_failed(order_id=order_id, reason=f"{type(error).__name__}: {error}")
        raise


@shared_task(acks_late=True, ignore_result=True)
def sweep_unsent_proformas_task() -> int:
    """Beat: invoice orders whose pro-forma was not queued (broker down) are queued again."""
    order_ids = list(
        services.orders_awaiting_proforma(
            older_than=timedelta(minutes=settings.PROFORMA_SWEEP_AFTER_MINUTES)
        )
    )
    for order_id in order_ids:
        send_proforma_invoice_task.delay(order_id)
    return len(order_ids)
