"""Subscribers to what orders and payments announce; connected in InvoicingConfig.ready()."""

from storefront.invoicing import documents, pdf, services


def issue_invoice_when_paid(sender, *, order_id: int, **kwargs) -> None:
    services.issue_invoice(order_id=order_id)


def issue_credit_note_for_refund(sender, *, refund_id: int, **kwargs) -> None:
    services.issue_credit_note(refund_id=refund_id)


def attach_proforma(sender, *, order, message, **kwargs) -> None:
    """Number the invoice of an invoice order and attach its pro-forma PDF to the mail.

    Runs in the transaction that records the mail as sent: a mail that fails gives the
    number back.
    """
    invoice = services.issue_invoice(order_id=order.pk)
    document = documents.proforma(order, invoice=invoice)
    message.attach(document.filename, pdf.render(document), "application/pdf")
