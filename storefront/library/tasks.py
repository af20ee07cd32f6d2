"""Celery tasks of the library: thin wrappers that load ids and call one service."""

import logging
from datetime import timedelta
from smtplib import SMTPException

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings

from storefront.library import services

logger = logging.getLogger(__name__)

# Worth retrying: the mail server may be back in a minute.
TRANSIENT_ERRORS = (SMTPException, ConnectionError, TimeoutError, OSError)


@shared_task(bind=True, acks_late=True, max_retries=None, ignore_result=True)
def send_sign_in_mail_task(self, sign_in_id: int) -> None:
    """Mail a sign-in link and code, once; transient errors retry with backoff.

    After LIBRARY_SIGN_IN_MAIL_MAX_RETRIES the task gives up (logged): the code
    expires within minutes anyway, and the buyer can ask for another.
    """
    try:
        services.send_sign_in_mail(sign_in_id=sign_in_id)
    except TRANSIENT_ERRORS as error:
        if self.request.retries >= settings.LIBRARY_SIGN_IN_MAIL_MAX_RETRIES:
            logger.error("sign-in mail %s not sent after its retries: %s", sign_in_id, error)
            raise
        countdown = get_exponential_backoff_interval(
            factor=settings.TASK_RETRY_BACKOFF_SECONDS,
            retries=self.request.retries,
            maximum=120,
            full_jitter=True,
        )
        raise self.retry(exc=error, countdown=countdown)


@shared_task(acks_late=True, ignore_result=True)
def sweep_sign_in_mail_task() -> int:
    """Beat: sign-ins still usable but unmailed after a minute are queued again;
    sign-ins that ended a day ago are deleted."""
    sign_in_ids = list(services.unmailed_sign_ins(older_than=timedelta(minutes=1)))
    for sign_in_id in sign_in_ids:
        send_sign_in_mail_task.delay(sign_in_id)
    if sign_in_ids:
        logger.warning("re-queued %d sign-in mails", len(sign_in_ids))
    services.delete_old_sign_ins(older_than=timedelta(days=1))
    return len(sign_in_ids)
