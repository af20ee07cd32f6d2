"""The buyer's documents as PDFs, opened by the order's public token."""

from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from storefront.invoicing import documents, pdf, selectors, services


def pdf_response(document: documents.Document) -> HttpResponse:
    response = HttpResponse(pdf.render(document), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{document.filename}"'
    response["X-Robots-Tag"] = "noindex"
    return response


def _order(token: str):
    order = selectors.order_for_buyer(token)
    if order is None:
        raise Http404(_("There is no order at this address."))
    return order


@never_cache  # the buyer's name, address and tax id: never kept by a browser or proxy
@require_safe
def invoice_pdf(request, token):
    order = _order(token)
    if not services.was_paid(order):
        raise Http404(_("This order has no invoice yet."))
    invoice = selectors.invoice_of(order)
    if invoice is None:  # its subscriber failed after the payment; the sweep would too
        invoice = services.issue_invoice(order_id=order.pk)
    invoice.order = order
    return pdf_response(documents.invoice(invoice))


@never_cache
@require_safe
def proforma_pdf(request, token):
    order = _order(token)
    if not services.can_have_proforma(order):
        raise Http404(_("This order has no pro-forma invoice."))
    return pdf_response(documents.proforma(order, invoice=selectors.invoice_of(order)))


@never_cache
@require_safe
def credit_note_pdf(request, token, number):
    order = _order(token)
    credit_note = selectors.credit_note_of(order, number)
    if credit_note is None:
        raise Http404(_("There is no such credit note for this order."))
    return pdf_response(documents.credit_note(credit_note))
