"""The only module that imports the Stripe SDK; it pins the API version.

Everything here takes and returns plain Python values (dicts, ints), so the rest
of the shop never handles SDK objects and the boundary is easy to test over HTTP.
"""

import json
import math
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
    """Stripe could not be reached or failed on its side; worth retrying later."""


class RequestRefused(PaymentError):
    """Stripe answered that the request itself is wrong (400, 404): asking again cannot help."""


class SignatureError(PaymentError):
    """A webhook whose signature, secret or timestamp does not check out."""


class MalformedEvent(PaymentError):
    """A correctly signed webhook body that is not a Stripe event the shop can read."""


# Stripe's events nest a handful of levels (event → data → object → refunds → data
# → refund → metadata); anything far deeper is hostile and would exhaust the stack
# of json, the JSON field or PostgreSQL's jsonb.
MAX_EVENT_DEPTH = 32


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
    except stripe.InvalidRequestError as error:
        # Rate limits, authentication and Stripe's own failures may pass; a
        # request Stripe calls invalid, or an object it does not know, never will.
        raise RequestRefused(f"Stripe: {error.user_message or error}") from error
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
    """The event of a webhook request, if Stripe signed it with our secret recently.

    Raises SignatureError for an unsigned or forged request and MalformedEvent for
    a signed body that is not a JSON object the shop can store.
    """
    if not settings.STRIPE_WEBHOOK_SECRET:
        raise SignatureError("STRIPE_WEBHOOK_SECRET is not set.")
    try:
        stripe.WebhookSignature.verify_header(
            payload,
            signature_header,
            settings.STRIPE_WEBHOOK_SECRET,
            tolerance=stripe.Webhook.DEFAULT_TOLERANCE,
        )
    except (stripe.SignatureVerificationError, ValueError, UnicodeDecodeError) as error:
        raise SignatureError(str(error)) from error
    # Parsed here rather than by the SDK's construct_event, which turns the body
    # into SDK objects and fails with TypeError or RecursionError on a list, a
    # string or deep nesting.
    try:
        event = json.loads(payload)
    except (ValueError, RecursionError) as error:
        raise MalformedEvent(f"not JSON: {error}") from error
    if not isinstance(event, dict):
        raise MalformedEvent(f"a JSON {type(event).__name__}, not an object")
    problem = _storage_problem(event)
    if problem:
        raise MalformedEvent(problem)
    return event


def _storage_problem(event: dict) -> str:
    """Why the event cannot be stored as jsonb and read safely; "" if it can.

    Iterative, so a deep body cannot exhaust the stack while being measured.
    PostgreSQL refuses NUL characters, lone surrogates and infinite numbers
    (1e999 parses as one) in jsonb.
    """
    stack = [(event, 1)]
    while stack:
        node, level = stack.pop()
        if level > MAX_EVENT_DEPTH:
            return f"nested deeper than {MAX_EVENT_DEPTH} levels"
        if isinstance(node, dict):
            stack.extend((key, level) for key in node)
            stack.extend((child, level + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, level + 1) for child in node)
        elif isinstance(node, str):
            if "\x00" in node:
                return "a NUL character in a string"
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                return "a lone surrogate in a string"
        elif isinstance(node, float) and not math.isfinite(node):
            return "a number out of range"
    return ""
