"""The buyer's page of a quote, reached by the signed link in the quote's mail: read it,
then accept it by card (Stripe Checkout for exactly the quoted total) or bank transfer."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from storefront.orders import services as order_services
from storefront.orders.models import PaymentMethod
from storefront.orders.views import redirect_to_payment, allow_stripe_checkout
from storefront.quotes import services
from storefront.quotes.models import QuoteStatus


@never_cache  # the link is the buyer's key to the quote
@require_http_methods(["GET", "POST"])
def accept(request, token):
    try:
        quote = services.quote_for_token(token)
    except services.BadToken:
        raise Http404(_("This quote link is not valid.")) from None
    if quote.status == QuoteStatus.DRAFT:
        raise Http404(_("This quote link is not valid."))
    if request.method == "POST" and quote.effective_status == QuoteStatus.SENT:
        method = request.POST.get("payment_method")
        if method not in (PaymentMethod.CARD, PaymentMethod.INVOICE):
            messages.error(request, _("Choose how you would like to pay."))
        else:
            try:
                order = services.accept_quote(quote_id=quote.pk, payment_method=method)
            except services.QuoteAlreadyAccepted as error:
                if error.order is not None:
                    return redirect(error.order)
                messages.error(request, str(error))
            except (services.QuoteError, order_services.OrderError) as error:
                messages.error(request, str(error))
            else:
                if method == PaymentMethod.CARD:
                    return allow_stripe_checkout(redirect_to_payment(request, order))
                return redirect(order)
        quote.refresh_from_db()
    lines = list(quote.lines.all())
    response = render(
        request,
        "quotes/accept.html",
        {
            "quote": quote,
            "lines": lines,
            "total": quote.display_total(lines),
            "status": quote.effective_status,
            "order_url": quote.order.get_absolute_url() if quote.order_id else "",
        },
    )
    return allow_stripe_checkout(response)
