"""Business steps of card payments through Stripe Checkout.

The shop learns of a payment three ways, all ending in the same idempotent
orders.services.mark_order_paid(): the webhook, the buyer's return to the
success page, and the periodic reconciliation of pending orders.
"""

import logging
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, override

from reports import currencies
from reports.formatting import format_price
from storefront.delivery import services as delivery_services
from storefront.orders import services as order_services
from storefront.orders.models import Order, OrderStatus, PaymentMethod
from storefront.payments import methods, signals, stripe_api
from storefront.payments.models import CheckoutSession, PaymentEvent, PaymentEventOutcome, Refund

logger = logging.getLogger(__name__)

CHECKOUT_SESSION_LIFETIME = timedelta(minutes=60)
# Pending card orders younger than this are left to the webhook.
RECONCILE_AFTER = timedelta(minutes=5)
STRIPE_LOCALES = {"en": "en", "zh-hans": "zh", "zh-hant": "zh-TW"}
# Traditional Chinese as written in Hong Kong, for buyers there.
STRIPE_LOCALES_BY_COUNTRY = {("zh-hant", "HK"): "zh-HK", ("zh-hant", "MO"): "zh-HK"}


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{path}"


# --- Starting a payment ---------------------------------------------------------


def checkout_locale(order: Order) -> str:
    """Stripe Checkout's language for the order: its own, in the buyer's regional form."""
    regional = STRIPE_LOCALES_BY_COUNTRY.get((order.language, order.country.code or ""))
    return regional or STRIPE_LOCALES.get(order.language, "auto")


def checkout_session_params(order: Order, *, expires_at) -> dict:
    """The Checkout Session for an order, built from the order's saved prices only.

    Its amount is the order total in the currency's minor units, exactly, or
    AmountError is raised and no session is made.
    """
    lines = list(order.lines.all())
    if any(line.currency != order.currency for line in lines):
        raise stripe_api.AmountError(f"Order {order.number} has lines in another currency.")
    with override(order.language):
        success_path = reverse("payments:success", kwargs={"token": order.public_token})
        cancel_path = reverse("orders:cart")
        line_items = [
            {
                "price_data": {
                    "currency": order.currency.lower(),
                    "unit_amount": stripe_api.to_minor_units(line.unit_price, order.currency),
                    "product_data": {
                        "name": (
                            line.title
                            if line.is_custom
                            else f"{line.title} ({line.get_license_type_display()})"
                        )[:250],
                        "metadata": {"product_code": line.product_code},
                    },
                },
                "quantity": 1,
            }
            for line in lines
        ]
        description = gettext("Order %(number)s") % {"number": order.number}
    charged = sum(item["price_data"]["unit_amount"] for item in line_items)
    if charged != stripe_api.to_minor_units(order.total, order.currency):
        raise stripe_api.AmountError(
            f"Order {order.number}: its lines add up to {charged} minor units, "
            f"not its total {order.total} {order.currency}."
        )
    return {
        "mode": "payment",
        "line_items": line_items,
        "customer_email": order.email,
        "client_reference_id": order.number,
        "metadata": {"order_number": order.number, "order_id": str(order.pk)},
        "payment_intent_data": {
            "description": description,
            "metadata": {"order_number": order.number},
        },
        "locale": checkout_locale(order),
        **methods.checkout_params(order.currency),
        "success_url": absolute_url(success_path) + "?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": absolute_url(cancel_path),
        "expires_at": int(expires_at.timestamp()),
    }


def start_card_checkout(*, order_id: int) -> str:
    """The Stripe Checkout URL for a pending card order.

    Reuses the latest session while it is open; otherwise creates the next
    attempt with a deterministic idempotency key, so a double click or a retried
    request never creates two sessions for one attempt.
    """
    order = Order.objects.get(pk=order_id)
    if order.status != OrderStatus.PENDING or order.payment_method != PaymentMethod.CARD:
        raise order_services.OrderError(f"Order {order.number} is not awaiting card payment.")
    latest = order.checkout_sessions.first()
    if latest and latest.expires_at > timezone.now() + timedelta(minutes=2):
        return latest.url
    attempt = latest.attempt + 1 if latest else 1
    expires_at = timezone.now() + CHECKOUT_SESSION_LIFETIME
    session = stripe_api.create_checkout_session(
        checkout_session_params(order, expires_at=expires_at),
        idempotency_key=f"checkout-{order.public_token}-{attempt}",
    )
    CheckoutSession.objects.get_or_create(
        session_id=session["id"],
        defaults={
            "order": order,
            "attempt": attempt,
            "url": session["url"],
            "amount": session["amount_total"],
            "currency": session["currency"].upper(),
            "expires_at": timezone.now() + CHECKOUT_SESSION_LIFETIME,
        },
    )
    return session["url"]


# --- Learning of a payment -----------------------------------------------------


def _order_id_for_session(session: dict) -> int | None:
    """The id of the order a Checkout Session pays for: its recorded session, else the
    order number it carries. The id only: the services that act on it (mark_order_paid,
    cancel_order) lock and read the order themselves."""
    known = (
        CheckoutSession.objects.filter(session_id=session["id"])
        .values_list("order_id", flat=True)
        .first()
    )
    if known is not None:
        return known
    number = (session.get("metadata") or {}).get("order_number") or session.get(
        "client_reference_id"
    )
    if not number:
        return None
    return Order.objects.filter(number=number).values_list("pk", flat=True).first()


def _payment_intent_id(session: dict) -> str:
    payment_intent = session.get("payment_intent")
    if isinstance(payment_intent, dict):
        return payment_intent.get("id", "")
    return payment_intent or ""


def _method_type(session: dict) -> str:
    """The payment method type that paid or is paying, when the session carries its charge."""
    payment_intent = session.get("payment_intent")
    charge = payment_intent.get("latest_charge") if isinstance(payment_intent, dict) else None
    details = charge.get("payment_method_details") if isinstance(charge, dict) else None
    method_type = details.get("type") if isinstance(details, dict) else None
    return method_type[:40] if isinstance(method_type, str) else ""


def apply_checkout_session(session: dict, *, source: str) -> Order | None:
    """Bring an order in line with its Checkout Session as Stripe reports it now.

    Paid → mark paid (amount and currency checked); expired → cancel while
    pending. Anything else changes nothing. Safe to call any number of times.
    """
    order_id = _order_id_for_session(session)
    if order_id is None:
        logger.warning("checkout session %s matches no order", session.get("id"))
        return None
    payment_intent_id = _payment_intent_id(session)
    method_type = _method_type(session)
    if payment_intent_id:
        CheckoutSession.objects.filter(session_id=session["id"]).update(
            payment_intent_id=payment_intent_id, method_type=method_type
        )
    if session.get("payment_status") in {"paid", "no_payment_required"}:
        currency = (session.get("currency") or "").upper()
        paid_with = f" ({method_type})" if method_type else ""
        return order_services.mark_order_paid(
            order_id=order_id,
            source=source,
            amount=stripe_api.from_minor_units(session.get("amount_total") or 0, currency),
            currency=currency,
            note=f"Stripe session {session['id']}{paid_with}",
        )
    if session.get("status") == "expired":
        return order_services.cancel_order(
            order_id=order_id, source=source, note=f"Stripe session {session['id']} expired"
        )
    return Order.objects.get(pk=order_id)


def confirm_checkout_session(*, order: Order, session_id: str) -> Order:
    """The success page's check: ask Stripe about the session the buyer came back from."""
    if not CheckoutSession.objects.filter(order=order, session_id=session_id).exists():
        return order
    session = stripe_api.retrieve_checkout_session(session_id)
    return apply_checkout_session(session, source="success page") or order


# --- Webhooks --------------------------------------------------------------------


def _refetched_session(event: dict) -> dict:
    # Act on the session as Stripe knows it now, not on the event's copy: events
    # can arrive late or out of order.
    return stripe_api.retrieve_checkout_session(event["data"]["object"]["id"])


def _on_session_event(event: dict) -> tuple[Order | None, str]:
    session = _refetched_session(event)
    order = apply_checkout_session(session, source=f"webhook {event['type']}")
    return order, ""


def _on_async_payment_failed(event: dict) -> tuple[Order | None, str]:
    session = _refetched_session(event)
    order_id = _order_id_for_session(session)
    if order_id is None:
        return None, "no matching order"
    if session.get("payment_status") == "paid":
        return apply_checkout_session(session, source="webhook async_payment_failed"), ""
    order = order_services.cancel_order(
        order_id=order_id,
        source=f"webhook {event['type']}",
        note=f"Delayed payment failed for Stripe session {session['id']}",
    )
    return order, ""


def _order_for_charge(charge: dict) -> Order | None:
    payment_intent = charge.get("payment_intent")
    if isinstance(payment_intent, dict):
        payment_intent = payment_intent.get("id")
    if not payment_intent:
        return None
    known = (
        CheckoutSession.objects.filter(payment_intent_id=payment_intent)
        .select_related("order")
        .first()
    )
    return known.order if known else None


def _on_charge_refunded(event: dict) -> tuple[Order | None, str]:
    charge = event["data"]["object"]
    order = _order_for_charge(charge)
    if order is None:
        return None, "no matching order"
    currency = (charge.get("currency") or order.currency).upper()
    for refund in (charge.get("refunds") or {}).get("data", []):
        record, created = Refund.objects.get_or_create(
            refund_id=refund["id"],
            defaults={
                "order": order,
                "amount": stripe_api.from_minor_units(refund.get("amount", 0), currency),
                "currency": currency,
            },
        )
        if created:
            _announce_refund_on_commit(record)
    refunded_total = stripe_api.from_minor_units(charge.get("amount_refunded") or 0, currency)
    order = order_services.record_refund(
        order_id=order.pk, refunded_total=refunded_total, source=f"webhook {event['type']}"
    )
    _end_access_if_fully_refunded(order)
    return order, ""


def _announce_refund_on_commit(refund: Refund) -> None:
    refund_id = refund.pk
    transaction.on_commit(lambda: announce_refund_recorded(refund_id=refund_id))


def announce_refund_recorded(*, refund_id: int) -> None:
    """Tell subscribers (invoicing, …) that a new refund is committed."""
    # Robust: the refund is made at Stripe and recorded; a subscriber's failure must
    # not fail the webhook (Stripe would send it again, to no effect) or the admin page.
    for receiver, result in signals.refund_recorded.send_robust(sender=Refund, refund_id=refund_id):
        if isinstance(result, Exception):
            logger.error(
                "refund id %s: %r failed on refund_recorded", refund_id, receiver, exc_info=result
            )


def _end_access_if_fully_refunded(order: Order) -> None:
    # A partial refund keeps the buyer's access; a full one ends it.
    if order.status == OrderStatus.REFUNDED:
        delivery_services.end_access(order_id=order.pk, reason="full refund")


def _on_dispute_created(event: dict) -> tuple[Order | None, str]:
    dispute = event["data"]["object"]
    order = _order_for_charge(dispute)
    if order is None:
        return None, "no matching order"
    reason = dispute.get("reason") or "unknown reason"
    order = order_services.flag_order_by_id(
        order_id=order.pk, reason=f"Card payment disputed ({reason}); check with Stripe."
    )
    delivery_services.end_access(order_id=order.pk, reason=f"payment disputed ({reason})")
    return order, ""


EVENT_HANDLERS = {
    "checkout.session.completed": _on_session_event,
    "checkout.session.async_payment_succeeded": _on_session_event,
    "checkout.session.async_payment_failed": _on_async_payment_failed,
    "checkout.session.expired": _on_session_event,
    "charge.refunded": _on_charge_refunded,
    "charge.dispute.created": _on_dispute_created,
}


def _is_id(value) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 255


def _is_payment_intent(value) -> bool:
    return value is None or _is_id(value) or (isinstance(value, dict) and _is_id(value.get("id")))


def _charge_problem(charge: dict) -> str:
    if not _is_payment_intent(charge.get("payment_intent")):
        return "data.object.payment_intent is not an id"
    if not isinstance(charge.get("currency"), (str, type(None))):
        return "data.object.currency is not a string"
    if not isinstance(charge.get("amount_refunded", 0), (int, type(None))) or isinstance(
        charge.get("amount_refunded"), bool
    ):
        return "data.object.amount_refunded is not an integer"
    refunds = charge.get("refunds")
    if refunds is None:
        return ""
    if not isinstance(refunds, dict) or not isinstance(refunds.get("data", []), list):
        return "data.object.refunds is not a list object"
    for refund in refunds.get("data", []):
        if not isinstance(refund, dict) or not _is_id(refund.get("id")):
            return "a refund without an id"
        amount = refund.get("amount", 0)
        if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
            return f"refund {refund['id']} has no whole, positive amount"
    return ""


def _dispute_problem(dispute: dict) -> str:
    if not _is_payment_intent(dispute.get("payment_intent")):
        return "data.object.payment_intent is not an id"
    if not isinstance(dispute.get("reason"), (str, type(None))):
        return "data.object.reason is not a string"
    return ""


def event_problem(event: dict) -> str:
    """Why a signed event cannot be processed, ever; "" when its shape is sound.

    Checks every field the handler of its type reads, so a handler never meets a
    missing key or a wrong type halfway through its writes.
    """
    if not _is_id(event.get("id")):
        return "no event id"
    if not isinstance(event.get("type"), str) or not 0 < len(event["type"]) <= 100:
        return "no event type"
    if event["type"] not in EVENT_HANDLERS:
        return ""  # recorded as ignored, whatever it carries
    data = event.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        return "no data.object"
    obj = data["object"]
    if event["type"].startswith("checkout.session."):
        return "" if _is_id(obj.get("id")) else "data.object has no id"
    if event["type"] == "charge.refunded":
        return _charge_problem(obj)
    return _dispute_problem(obj)


def handle_stripe_event(event: dict) -> PaymentEvent | None:
    """Act on a verified Stripe event exactly once.

    The event id is recorded in the same transaction as the state change it
    causes; a duplicate delivery (even a concurrent one) finds the id taken and
    changes nothing. Returns None for a duplicate. Unknown types are recorded as
    ignored. Raises MalformedEvent, before anything is written, for an event whose
    shape can never be processed, and lets RequestRefused (Stripe does not know
    the session) propagate with everything rolled back: neither is worth a retry.
    A GatewayError (Stripe unreachable) propagates so that Stripe retries the
    delivery later.
    """
    problem = event_problem(event)
    if problem:
        raise stripe_api.MalformedEvent(problem)
    event_id = event["id"]
    event_type = event["type"]
    if PaymentEvent.objects.filter(event_id=event_id).exists():
        return None
    handler = EVENT_HANDLERS.get(event_type)
    with transaction.atomic():
        try:
            with transaction.atomic():  # a savepoint: only the insert may clash
                record = PaymentEvent.objects.create(
                    event_id=event_id,
                    event_type=event_type,
                    payload=event,
                    outcome=PaymentEventOutcome.IGNORED,
                )
        except IntegrityError:
            # The same event is being (or was just) processed by another request.
            return None
        if handler is None:
            logger.info("ignored Stripe event %s of type %s", event_id, event_type)
            return record
        # Any error from here on rolls the record back too, so Stripe's retry of
        # this event is processed rather than taken for a duplicate.
        order, note = handler(event)
        record.order = order
        record.note = note
        record.outcome = (
            PaymentEventOutcome.FLAGGED
            if order is not None and order.needs_attention
            else PaymentEventOutcome.PROCESSED
        )
        record.save(update_fields=["order", "note", "outcome"])
        return record


# --- Reconciliation and refunds ------------------------------------------------


def reconcile_pending_card_orders(*, now=None) -> dict[str, int]:
    """Ask Stripe about pending card orders whose webhook has not come.

    Paid sessions are fulfilled, expired ones cancelled, and open sessions past
    their expiry are expired at Stripe first. Returns counts per outcome.
    """
    now = now or timezone.now()
    counts = {"paid": 0, "cancelled": 0, "unchanged": 0, "errors": 0}
    pending = Order.objects.filter(
        status=OrderStatus.PENDING,
        payment_method=PaymentMethod.CARD,
        created_at__lte=now - RECONCILE_AFTER,
    ).prefetch_related("checkout_sessions")
    for order in pending.iterator(chunk_size=200):
        latest = next(iter(order.checkout_sessions.all()), None)
        try:
            if latest is None:
                # The buyer never reached Stripe: drop the order once it is stale.
                if order.created_at <= now - CHECKOUT_SESSION_LIFETIME:
                    order_services.cancel_order(
                        order_id=order.pk, source="reconciliation", note="No payment started"
                    )
                    counts["cancelled"] += 1
                else:
                    counts["unchanged"] += 1
                continue
            session = stripe_api.retrieve_checkout_session(latest.session_id)
            if session.get("status") == "open" and latest.expires_at <= now:
                session = stripe_api.expire_checkout_session(latest.session_id)
            result = apply_checkout_session(session, source="reconciliation")
        except stripe_api.PaymentError:
            logger.exception("reconciliation of order %s failed", order.number)
            counts["errors"] += 1
            continue
        if result is not None and result.status == OrderStatus.PAID:
            counts["paid"] += 1
        elif result is not None and result.status == OrderStatus.CANCELLED:
            counts["cancelled"] += 1
        else:
            counts["unchanged"] += 1
    return counts


def refund_order(*, order_id: int, amount: Decimal, actor=None) -> Refund:
    """Refund part or all of a card order through Stripe, then record it.

    The order's row stays locked from the check of what is left to refund until the
    refund is recorded, so refunds made at the same time go one after the other:
    each sees what the one before it refunded, the recorded total is what Stripe
    refunded, and a refund over what is left is refused before Stripe is asked.
    Holding the lock over the call to Stripe is deliberate: refunds are rare staff
    actions, the call is bounded by the SDK's timeout, and the webhook for the same
    charge simply waits for it. Should the database fail after Stripe refunded, the
    charge.refunded webhook records the cumulative amount. The idempotency key is derived from the order and the amount
    already refunded, so a double-submitted form refunds once.
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.payment_method != PaymentMethod.CARD:
            raise order_services.OrderError(
                gettext("Only card orders can be refunded through Stripe.")
            )
        if not order.is_paid:
            raise order_services.OrderError(gettext("Only paid orders can be refunded."))
        if amount <= 0 or amount > order.refundable_amount:
            raise order_services.OrderError(
                gettext("The refund must be more than zero and at most %(max)s.")
                % {"max": format_price(order.refundable_amount, order.currency)}
            )
        if currencies.exponent(order.currency) is not None and not currencies.fits(
            amount, order.currency
        ):
            raise order_services.OrderError(
                gettext("%(code)s has no smaller unit than %(unit)s: refund a multiple of it.")
                % {"code": order.currency, "unit": currencies.from_minor_units(1, order.currency)}
            )
        session = order.checkout_sessions.exclude(payment_intent_id="").first()
        if session is None:
            raise order_services.OrderError(
                gettext("No Stripe payment is recorded for this order.")
            )
        minor_amount = stripe_api.to_minor_units(amount, order.currency)
        refund = stripe_api.create_refund(
            payment_intent=session.payment_intent_id,
            amount=minor_amount,
            idempotency_key=f"refund-{order.public_token}-{order.refunded_amount}-{minor_amount}",
        )
        record, created = Refund.objects.get_or_create(
            refund_id=refund["id"],
            defaults={
                "order": order,
                "amount": amount,
                "currency": order.currency,
                "requested_by": actor,
            },
        )
        if created:  # a replayed request returns the same refund: count it once
            _announce_refund_on_commit(record)
            order = order_services.record_refund(
                order_id=order.pk,
                refunded_total=order.refunded_amount + amount,
                source="admin refund",
                note=f"Stripe refund {refund['id']}",
                actor=actor,
            )
            _end_access_if_fully_refunded(order)
    return record
