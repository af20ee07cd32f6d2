"""{% order_documents order %}: the links to an order's PDFs, for the buyer's pages."""

from django import template

from storefront.invoicing import selectors, services

register = template.Library()


@register.inclusion_tag("invoicing/order_documents.html")
def order_documents(order):
    # Credit notes exist only after a refund: no query for the other orders.
    credit_notes = selectors.credit_notes_of(order) if order.refunded_amount else []
    return {
        "order": order,
        "invoice": services.was_paid(order),
        "proforma": services.can_have_proforma(order),
        "credit_notes": credit_notes,
    }
