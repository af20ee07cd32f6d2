"""The only module that imports the Stripe SDK; it pins the API version.

Everything here takes and returns plain Python values (dicts, ints), so the rest
of the shop never handles SDK objects and the boundary is easy to test over HTTP.
"""

from decimal import Decimal
from functools import lru_cache

import stripe
from django.conf import settings

from reports.formatting import ZERO_DECIMAL_CURRENCIES

API_VERSION = "2026-10-28.endive"
STRIPE_TIMEOUT_SECONDS = 10


class PaymentError(Exception):
    """Base of every payment failure."""


class NotConfigured(PaymentError):
    """No Stripe secret key: card payments are not available."""


class GatewayError(PaymentError):
    """Stripe could not be reached or refused the request; worth retrying later."""


class SignatureError(PaymentError):
    """A webhook whose signature, secret or timestamp does not check out."""


def is_configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


@lru_cache(maxsize=4)
def _client(secret_key: str, api_base: str) -> stripe.StripeClient:
    base_addresses = {"api": api_base} if api_base else None
    return stripe.StripeClient(
        secret_key,
        base_addresses=base_addresses,
        stripe_version=API_VERSION,
        max_network_retries=2,
        # Well below gunicorn's 30 s, so a slow Stripe fails a request, not a worker.
        http_client=stripe.RequestsClient(timeout=STRIPE_TIMEOUT_SECONDS),
    )


def client() -> stripe.StripeClient:
    if not is_configured():
        raise NotConfigured("STRIPE_SECRET_KEY is not set.")
    return _client(settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE)


def to_minor_units(amount: Decimal, currency: str) -> int:
    """Stripe amounts are integers in the currency's smallest unit (cents; yen)."""
    if currency.upper() in ZERO_DECIMAL_CURRENCIES:
        return int(amount.quantize(Decimal("1")))
    return int((amount * 100).quantize(Decimal("1")))


def from_minor_units(amount: int, currency: str) -> Decimal:
    if currency.upper() in ZERO_DECIMAL_CURRENCIES:
        return Decimal(amount)
    return (Decimal(amount) / 100).quantize(Decimal("0.01"))


def _call(function, *args, **kwargs) -> dict:
    try:
        return function(*args, **kwargs).to_dict()
    except stripe.StripeError as error:
        raise GatewayError(f"Stripe: {error.user_message or error}") from error


def create_checkout_session(params: dict, *, idempotency_key: str) -> dict:
    return _call(
        client().v1.checkout.sessions.create,
        params=params,
        options={"idempotency_key": idempotency_key},
    )


def retrieve_checkout_session(session_id: str) -> dict:
    return _call(
        client().v1.checkout.sessions.retrieve,
        session_id,
        params={"expand": ["payment_intent"]},
    )


def expire_checkout_session(session_id: str) -> dict:
    return _call(client().v1.checkout.sessions.expire, session_id)


def create_refund(*, payment_intent: str, amount: int, idempotency_key: str) -> dict:
    return _call(
        client().v1.refunds.create,
        params={"payment_intent": payment_intent, "amount": amount},
        options={"idempotency_key": idempotency_key},
    )


def retrieve_payment_intent(payment_intent_id: str) -> dict:
    return _call(
        client().v1.payment_intents.retrieve,
        payment_intent_id,
        params={"expand": ["latest_charge"]},
    )


def verify_webhook(payload: bytes, signature_header: str) -> dict:
    """The event of a webhook request, if Stripe signed it with our secret recently."""
    if not settings.STRIPE_WEBHOOK_SECRET:
        raise SignatureError("STRIPE_WEBHOOK_SECRET is not set.")
    try:
        event = stripe.Webhook.construct_event(
            payload, signature_header, settings.STRIPE_WEBHOOK_SECRET
        )
    except (stripe.SignatureVerificationError, ValueError, UnicodeDecodeError) as error:
        raise SignatureError(str(error)) from error
    return event.to_dict()
