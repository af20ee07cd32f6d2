from django.conf import settings

from reports import currencies, pricing
from reports.page_cache import CSRF_PLACEHOLDER, RENDERING_FOR_CACHE


def shop(request):
    """Shop-wide names every page shows."""
    # Only read the session when the buyer has one, so new visitors cost no query.
    has_session = settings.SESSION_COOKIE_NAME in request.COOKIES
    cart_count = len(request.session.get("cart", {})) if has_session else 0
    context = {
        "shop_name": settings.SHOP_NAME,
        "sales_email": settings.SALES_EMAIL,
        # The seller's identity, printed in every footer (and on invoices).
        "seller_legal_name": settings.SELLER_LEGAL_NAME,
        "seller_address": settings.SELLER_ADDRESS,
        "seller_address_lines": [
            line.strip() for line in settings.SELLER_ADDRESS.splitlines() if line.strip()
        ],
        "seller_tax_id": settings.SELLER_TAX_ID,
        # Invoices work the tax out of the price when a rate is set: say so by the prices.
        "prices_include_tax": settings.INVOICE_TAX_RATE > 0,
        "tax_label": settings.INVOICE_TAX_LABEL,
        "tax_rate": settings.INVOICE_TAX_RATE,
        "cart_count": cart_count,
        # The currency switcher: the buyer's choice, or their language's default.
        "shop_currencies": currencies.sold_currencies(),
        "buyer_currency": pricing.buyer_currency(request),
    }
    if getattr(request, RENDERING_FOR_CACHE, False):
        # Shared content gets a placeholder; page_cache swaps in each buyer's token.
        context["csrf_token"] = CSRF_PLACEHOLDER
    return context
