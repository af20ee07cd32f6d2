"""Celery tasks of invoicing: thin wrappers that call one service."""

from celery import shared_task

from storefront.invoicing import services


@shared_task(acks_late=True, ignore_result=True)
def issue_missing_documents_task() -> dict[str, int]:
    """Beat: an invoice for every paid order and a credit note for every refund that
    lack one (their subscriber failed after commit)."""
    return services.issue_missing_documents()
