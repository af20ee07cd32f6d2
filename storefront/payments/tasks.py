"""Celery tasks of payments: thin wrappers around services."""

from celery import shared_task

from storefront.payments import services


@shared_task(acks_late=True)
def reconcile_pending_card_orders_task() -> dict[str, int]:
    """Beat: pending card orders whose webhook never came are checked with Stripe."""
    return services.reconcile_pending_card_orders()
