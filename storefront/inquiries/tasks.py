"""Celery tasks of inquiries: thin wrappers that load ids and call one service.

Every task is idempotent (the services write a "sent" mark under a row lock),
acknowledged late, and retried with exponential backoff on transient errors;
after INQUIRY_MAIL_MAX_RETRIES the inquiry or reply is flagged in the admin.
"""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings

from storefront.inquiries import services
from storefront.queueing import TRANSIENT_ERRORS, retry_or_give_up

logger = logging.getLogger(__name__)


def _retry_or_give_up(task, error, give_up) -> None:
    retry_or_give_up(task, error, max_retries=settings.INQUIRY_MAIL_MAX_RETRIES, give_up=give_up)


@shared_task(bind=True, acks_late=True, max_retries=None)
def send_acknowledgement_task(self, inquiry_id: int) -> bool:
    """Mail the buyer the acknowledgement with the reference, once."""
    try:
        return services.send_acknowledgement(inquiry_id=inquiry_id)
    except TRANSIENT_ERRORS as error:
        _retry_or_give_up(
            self,
            error,
            lambda reason: services.mark_mail_failed(inquiry_id=inquiry_id, reason=reason),
        )


@shared_task(bind=True, acks_late=True, max_retries=None)
def send_sales_notice_task(self, inquiry_id: int) -> bool:
    """Mail the sales inbox a notice with the admin link, once."""
    try:
        return services.send_sales_notice(inquiry_id=inquiry_id)
    except TRANSIENT_ERRORS as error:
        _retry_or_give_up(
            self,
            error,
            lambda reason: services.mark_mail_failed(inquiry_id=inquiry_id, reason=reason),
        )


@shared_task(bind=True, acks_late=True, max_retries=None)
def send_reply_task(self, reply_id: int) -> bool:
    """Mail a staff reply, once; after the last retry it shows as failed."""
    try:
        return services.send_reply(reply_id=reply_id)
    except TRANSIENT_ERRORS as error:
        _retry_or_give_up(
            self, error, lambda reason: services.mark_reply_failed(reply_id=reply_id, reason=reason)
        )


@shared_task(acks_late=True)
def sweep_inquiry_mail_task() -> int:
    """Beat: queue again the mails of inquiries and replies still unsent after a few minutes
    (broker down when they were saved, worker lost). Returns how many tasks it queued."""
    older_than = timedelta(minutes=settings.INQUIRY_SWEEP_AFTER_MINUTES)
    queued = 0
    pending = list(services.inquiries_with_pending_mail(older_than=older_than))
    for inquiry_id, acknowledged_at, notified_at in pending:
        if acknowledged_at is None:
            send_acknowledgement_task.delay(inquiry_id)
            queued += 1
        if notified_at is None:
            send_sales_notice_task.delay(inquiry_id)
            queued += 1
    for reply_id in list(services.replies_pending(older_than=older_than)):
        send_reply_task.delay(reply_id)
        queued += 1
    if queued:
        logger.warning("re-queued %d inquiry mails", queued)
    return queued
