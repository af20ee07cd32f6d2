"""Celery tasks of the catalogue: thin wrappers that call one service."""

import logging

from celery import shared_task

from reports import services

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True)
def publish_due_reports() -> int:
    """Beat, every minute: scheduled reports whose time has come become published.

    Idempotent (a second run finds nothing due); returns how many it published.
    Buyers do not wait for it: a due scheduled report is already listed.
    """
    return services.publish_due_reports()


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_kwargs={"max_retries": 5},
)
def render_sample_pages(report_id: int) -> int:
    """Queued on commit when a report's sample PDF is added, replaced or removed.

    Idempotent (reports.sample_pages.render_sample_pages); storage and network
    errors retry with backoff; an unreadable sample is logged and not retried.
    """
    from reports.sample_pages import SampleUnreadable, render_sample_pages

    try:
        return render_sample_pages(report_id=report_id)
    except SampleUnreadable as error:
        logger.warning("sample PDF of report %s cannot be rendered: %s", report_id, error)
        return 0
