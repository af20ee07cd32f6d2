"""Celery tasks of quotes: thin wrappers that load ids and call one service."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from storefront.queueing import TRANSIENT_ERRORS, retry_or_give_up
from storefront.quotes import mail
from storefront.quotes.models import Quote, QuoteStatus

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=None)
def send_quote_mail_task(self, quote_id: int) -> None:
    """Mail the quote with its PDF; retried with backoff on transient errors. A quote
    whose mail never went out stays unmailed (mailed_at empty): the sweep and the
    quote's admin page ("Send to the buyer") send it again."""
    try:
        mail.send_quote_mail(quote_id=quote_id)
    except TRANSIENT_ERRORS as error:
        retry_or_give_up(
            self, error, max_retries=settings.PROFORMA_MAX_RETRIES,
            give_up=lambda reason: logger.error("quote id %s not mailed: %s", quote_id, reason),
        )


@shared_task(acks_late=True, ignore_result=True)
def sweep_unmailed_quotes_task() -> int:
    """Beat: sent quotes whose mail was never queued (broker down) are queued again."""
    quote_ids = list(
        Quote.objects.filter(
            status=QuoteStatus.SENT,
            mailed_at__isnull=True,
            sent_at__lte=timezone.now() - timedelta(minutes=settings.PROFORMA_SWEEP_AFTER_MINUTES),
        ).values_list("pk", flat=True)
    )
    for quote_id in quote_ids:
        send_quote_mail_task.delay(quote_id)
    return len(quote_ids)
