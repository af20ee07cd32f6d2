"""Celery tasks of the catalogue: thin wrappers that call one service."""

from celery import shared_task

from reports import services


@shared_task(acks_late=True, ignore_result=True)
def publish_due_reports() -> int:
    """Beat, every minute: scheduled reports whose time has come become published.

    Idempotent (a second run finds nothing due); returns how many it published.
    Buyers do not wait for it: a due scheduled report is already listed.
    """
    return services.publish_due_reports()
