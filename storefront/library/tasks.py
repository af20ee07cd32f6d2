"""Celery tasks of the library: thin wrappers that load ids and call one service."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings

from storefront.library import services
from storefront.queueing import TRANSIENT_ERRORS, retry_or_give_up

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, max_retries=None, ignore_result=True)
def send_sign_in_mail_task(self, sign_in_id: int) -> None:
    """Mail a sign-in link and code, once; transient errors retry with backoff.

    After LIBRARY_SIGN_IN_MAIL_MAX_RETRIES the task gives up (logged): the code
    expires within minutes anyway, and the buyer can ask for another.
    """
    try:
        services.send_sign_in_mail(sign_in_id=sign_in_id)
    except TRANSIENT_ERRORS as error:
        retry_or_give_up(
            self, error, max_retries=settings.LIBRARY_SIGN_IN_MAIL_MAX_RETRIES,
            give_up=lambda reason: logger.error(
                "sign-in mail %s not sent after its retries: %s", sign_in_id, reason
            ),
            # The code expires within minutes: a later retry would mail a dead code.
            maximum=120,
        )


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
