import logging

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from storefront.orders import services as order_services
from storefront.orders.cart import Cart
from storefront.orders.models import Order, OrderStatus, PaymentMethod
from storefront.payments import services, stripe_api

logger = logging.getLogger(__name__)


@csrf_exempt  # Stripe cannot send a CSRF token; the signature authenticates the request.
@require_POST
def stripe_webhook(request):
    """400 for what no retry can fix (Stripe stops resending); 503 only for what may pass."""
    try:
        event = stripe_api.verify_webhook(
            request.body, request.headers.get("Stripe-Signature", "")
        )
        services.handle_stripe_event(event)
    except stripe_api.SignatureError as error:
        logger.warning("rejected Stripe webhook: %s", error)
        return HttpResponseBadRequest("invalid signature")
    except stripe_api.MalformedEvent as error:
        logger.error("rejected signed Stripe webhook: %s", error)
        return HttpResponseBadRequest("not an event the shop can process")
    except stripe_api.RequestRefused as error:
        logger.error("rejected Stripe event %s: %s", event.get("id"), error)
        return HttpResponseBadRequest("Stripe does not know the object of this event")
    except stripe_api.GatewayError:
        logger.exception("Stripe unreachable while handling %s; Stripe will retry", event.get("id"))
        return HttpResponse("retry later", status=503)
    return HttpResponse("ok")


@never_cache  # its address carries the order token
def checkout_success(request, token):
    """Where Stripe sends the buyer back; confirms the payment if the webhook is late."""
    order = get_object_or_404(Order, public_token=token)
    session_id = request.GET.get("session_id", "")
    if order.status == OrderStatus.PENDING and session_id:
        try:
            order = services.confirm_checkout_session(order=order, session_id=session_id)
        except stripe_api.PaymentError:
            logger.exception("could not confirm session %s", session_id)
    if order.is_paid:
        Cart(request.session).clear()
    return redirect(order)


@never_cache
@require_http_methods(["GET", "POST"])
def development_gateway(request, token):
    """A stand-in for Stripe Checkout on a local run: no money moves.

    Only with DEBUG on and no Stripe key; it drives the same order services.
    """
    if not settings.DEBUG or stripe_api.is_configured():
        raise Http404
    order = get_object_or_404(Order, public_token=token, payment_method=PaymentMethod.CARD)
    if request.method == "POST" and order.status == OrderStatus.PENDING:
        if request.POST.get("outcome") == "pay":
            order = order_services.mark_order_paid(
                order_id=order.pk,
                source="development gateway",
                amount=order.total,
                currency=order.currency,
            )
            Cart(request.session).clear()
            messages.success(request, _("Test payment accepted. No money was moved."))
            return redirect(order)
        return redirect("orders:cart")
    return render(request, "payments/development_gateway.html", {"order": order})
