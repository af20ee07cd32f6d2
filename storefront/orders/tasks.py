"""Celery tasks of orders: thin wrappers that load ids and call one service."""

from smtplib import SMTPException

from celery import shared_task
from django.conf import settings

from storefront.orders import mail


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
