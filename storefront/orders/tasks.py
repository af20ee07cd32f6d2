"""Celery tasks of orders: thin wrappers that load ids and call one service."""

from datetime import timedelta
from smtplib import SMTPException

from celery import shared_task
from django.conf import settings

from storefront.orders import mail, services


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=settings.TASK_RETRY_BACKOFF_SECONDS,
    retry_backoff_max=600,
    max_retries=8,
)
def send_proforma_invoice_task(order_id: int) -> None:
    mail.send_proforma_invoice(order_id=order_id)


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
