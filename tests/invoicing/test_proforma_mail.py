"""The pro-forma mail of an invoice order carries its PDF and the real order number."""

import time
from smtplib import SMTPException

import pytest
from django.core import mail
from django.utils import timezone

from storefront.invoicing.models import Invoice
from storefront.orders.models import Order, PaymentMethod
from storefront.orders.mail import send_proforma_invoice
from tests.invoicing.conftest import CHINESE_BUYER, pdf_text, place


def proforma_attachment(message) -> tuple[str, bytes]:
    [(filename, content, mimetype)] = message.attachments
    assert mimetype == "application/pdf"
    return filename, content


@pytest.mark.django_db
def test_proforma_mail_carries_the_pdf_and_the_order_number_as_payment_reference(
    seller, django_capture_on_commit_callbacks
):
    # given / when: an invoice order is placed; its pro-forma task runs after commit
    with django_capture_on_commit_callbacks(execute=True):
        order = place(language="zh-hans", buyer=CHINESE_BUYER, payment_method=PaymentMethod.INVOICE)

    # then: one mail, whose text names the real reference
    [message] = mail.outbox
    assert f"Reference: {order.number}" in message.body
    assert "your order number" not in message.body
    # and whose PDF is the pro-forma with the invoice number it was given
    invoice = Invoice.objects.get(order=order)
    filename, content = proforma_attachment(message)
    assert filename == f"proforma-{order.number}.pdf"
    text = " ".join(pdf_text(content).split())
    for expected in ("形式发票", order.number, invoice.number, f"Reference: {order.number}",
                     CHINESE_BUYER.company, CHINESE_BUYER.vat_id, CHINESE_BUYER.po_number,
                     "Meridian Research Ltd", "GB987654321"):  # fmt: skip
        assert expected in text, expected
    assert "付款截止日期" in text


@pytest.mark.django_db
def test_order_page_gives_the_order_number_as_payment_reference(client, seller):
    order = place(payment_method=PaymentMethod.INVOICE)

    page = client.get(f"/en/orders/{order.public_token}/").content.decode()

    assert f"Reference: {order.number}" in page
    assert "your order number" not in page


@pytest.mark.django_db
def test_default_payment_instructions_name_the_order_number(settings):
    from storefront import settings as project_settings

    settings.INVOICE_PAYMENT_INSTRUCTIONS = project_settings.INVOICE_PAYMENT_INSTRUCTIONS
    order = place(payment_method=PaymentMethod.INVOICE)
    assert order.payment_instructions.endswith(f"Reference: {order.number}")


@pytest.mark.django_db
def test_a_proforma_that_cannot_be_mailed_keeps_no_invoice_number(seller, settings, smtp_sink):
    # given: an invoice order, and a mail server that refuses every mail
    order = place(payment_method=PaymentMethod.INVOICE)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = smtp_sink.host, smtp_sink.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    smtp_sink.fail_mail_from()

    # when
    with pytest.raises(SMTPException):
        send_proforma_invoice(order_id=order.pk)

    # then: the number went back with the rolled-back transaction
    assert not Invoice.objects.exists()
    order.refresh_from_db()
    assert order.proforma_sent_at is None


@pytest.mark.django_db(transaction=True)
def test_worker_mails_the_proforma_pdf_through_smtp(celery_worker, smtp_sink):
    # given / when: an invoice order is committed; the real worker sends its pro-forma
    order = place(language="en", payment_method=PaymentMethod.INVOICE)

    # then
    [received] = smtp_sink.wait_for(1, timeout=20)
    assert f"Reference: {order.number}" in received.text_body()
    [attachment] = list(received.message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"proforma-{order.number}.pdf"
    text = pdf_text(attachment.get_content())
    deadline = time.monotonic() + 10
    while not Order.objects.filter(pk=order.pk, proforma_sent_at__isnull=False).exists():
        assert time.monotonic() < deadline, "the worker never recorded the mail"
        time.sleep(0.05)
    invoice = Invoice.objects.get(order=order)
    assert invoice.number in text and order.number in text
    assert invoice.number == f"INV-{timezone.now().year}-000001"


@pytest.mark.django_db
def test_invoice_order_keeps_its_proforma_number_when_paid_and_its_invoice_becomes_a_receipt(
    client, seller, django_capture_on_commit_callbacks
):
    # given: an invoice order whose pro-forma was mailed (numbering its invoice)
    with django_capture_on_commit_callbacks(execute=True):
        order = place(payment_method=PaymentMethod.INVOICE)
    invoice = Invoice.objects.get(order=order)

    # when: sales staff mark it paid
    from storefront.orders import services as order_services

    with django_capture_on_commit_callbacks(execute=True):
        order_services.mark_order_paid(order_id=order.pk, source="admin")

    # then: the same number, printed as a receipt with the paid date
    assert list(Invoice.objects.filter(order=order)) == [invoice]
    response = client.get(f"/en/orders/{order.public_token}/invoice/")
    text = " ".join(pdf_text(response.content).split())
    assert invoice.number in text
    assert "Paid on" in text and "This invoice is also your receipt." in text
    assert "Bank details" not in text
