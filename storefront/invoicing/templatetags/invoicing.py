"""{% order_documents order %}: the links to an order's PDFs, for the buyer's pages."""

from django import template

from storefront.invoicing import selectors, services

register = template.Library()


def _documents(order) -> dict:
    # Credit notes exist only after a refund: no query for the other orders.
    credit_notes = selectors.credit_notes_of(order) if order.refunded_amount else []
    return {
        "order": order,
        "invoice": services.was_paid(order),
        "proforma": services.can_have_proforma(order),
        "credit_notes": credit_notes,
    }


@register.inclusion_tag("invoicing/order_documents.html")
def order_documents(order):
    """The order page's section of PDFs, with its heading."""
    return _documents(order)


@register.inclusion_tag("invoicing/order_document_links.html")
def order_document_links(order):
    """The same PDFs as a line of links, for a list of orders (the buyer's library)."""
    return _documents(order)
