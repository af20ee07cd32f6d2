"""The only module that imports the Stripe SDK; it pins the API version.

Everything here takes and returns plain Python values (dicts, ints), so the rest
of the shop never handles SDK objects and the boundary is easy to test over HTTP.
"""

import json
import math
from decimal import Decimal
from functools import lru_cache
from urllib.parse import quote_plus

import stripe
from django.conf import settings

from reports import currencies

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


# Stripe counts amounts in ISO 4217 minor units, except where its currency guide
# (docs.stripe.com/currencies: zero-decimal, three-decimal, "special cases") says otherwise:
# - ISK has no minor unit in ISO 4217, but Stripe kept it two-decimal for backwards
#   compatibility: ISK 5 is sent as 500, in multiples of 100 (whole krónur only, which
#   ISO's exponent 0 already guarantees).
# - MGA has two decimals in ISO 4217 (the iraimbilanja, a fifth of an ariary) but is
#   zero-decimal at Stripe: only whole ariary can be charged, so the payments system
#   check refuses MGA in SHOP_CURRENCIES, and a fractional amount raises AmountError.
# - BHD, JOD, KWD, OMR and TND are three-decimal as in ISO 4217, but Stripe's partners
#   need the last digit to be 0. Prices are stored with two decimals, so their minor
#   units are always multiples of 10; to_minor_units checks it all the same.
# - HUF and TWD are two-decimal for charges as in ISO 4217 (whole units only for payouts,
#   which the shop never makes); UGX is zero-decimal at Stripe as in ISO 4217.
STRIPE_EXPONENTS = {"ISK": 2, "MGA": 0}
THREE_DECIMAL_STEP = 10


class AmountError(PaymentError, ValueError):
    """An amount Stripe cannot be sent in this currency; retrying will not help."""


def stripe_exponent(currency: str) -> int | None:
    code = currency.upper()
    return STRIPE_EXPONENTS.get(code, currencies.exponent(code))


def to_minor_units(amount: Decimal, currency: str) -> int:
    """Stripe amounts are integers in the currency's smallest unit: cents, yen, fils.

    Exact: an amount finer than the currency (JPY 1234.50) raises AmountError, it is
    never rounded to something the buyer did not agree to pay.
    """
    code = currency.upper()
    places = stripe_exponent(code)
    try:
        currencies.to_minor_units(amount, code)  # no finer than ISO 4217 allows
        if places is None:
            raise currencies.UnknownCurrency(f"{code!r} has no minor unit.")
        units = currencies.scaled_to_integer(amount, places)
    except currencies.CurrencyError as error:
        raise AmountError(f"Stripe cannot be sent {amount} {code}: {error}") from error
    if places == 3 and units % THREE_DECIMAL_STEP:
        raise AmountError(f"Stripe takes {code} in multiples of 10 minor units, not {units}.")
    return units


def from_minor_units(amount: int, currency: str) -> Decimal:
    """The Decimal amount of a Stripe integer amount, exactly (never rounded).

    A currency ISO 4217 does not know is read as two-decimal, Stripe's default: it is
    never an order's currency, so the payment is flagged as not matching, not lost in
    an error that Stripe would retry for days.
    """
    code = currency.upper()
    places = stripe_exponent(code)
    if places is None:
        places = 2
    value = currencies.from_scaled_integer(amount, places)
    # Shown at ISO precision when that is exact (ISK 500 → 5, not 5.00).
    iso_places = currencies.exponent(code)
    if iso_places is not None and iso_places < places and currencies.has_at_most_places(
        value, iso_places
    ):
        value = value.quantize(Decimal(1).scaleb(-iso_places))
    return value


def _call(function, *args, **kwargs) -> dict:
    try:
        return function(*args, **kwargs).to_dict()
    except stripe.InvalidRequestError as error:
        # Rate limits, authentication and Stripe's own failures may pass; a
        # request Stripe calls invalid, or an object it does not know, never will.
        raise RequestRefused(f"Stripe: {error.user_message or error}") from error
    except stripe.StripeError as error:
        raise GatewayError(f"Stripe: {error.user_message or error}") from error


def _get(path: str, **params) -> dict:
    """A GET of the API as a plain dict, parsed once from the JSON Stripe sent.

    The SDK's typed retrieve methods build a StripeObject tree of the answer, which
    _call then turns back into dicts: a tenth of a paid webhook's CPU for an expanded
    session (bench/README.md, "Delivery burst: CPU per order per process").
    raw_request goes through the same client (key, API version, retries, timeout) and
    raises the same errors.
    """
    try:
        return client().raw_request("get", path, **params).data
    except stripe.InvalidRequestError as error:
        raise RequestRefused(f"Stripe: {error.user_message or error}") from error
    except stripe.StripeError as error:
        raise GatewayError(f"Stripe: {error.user_message or error}") from error


def _path_id(object_id: str) -> str:
    # As the SDK's own methods put an id into a path (quote_plus).
    return quote_plus(object_id)


def create_checkout_session(params: dict, *, idempotency_key: str) -> dict:
    return _call(
        client().v1.checkout.sessions.create,
        params=params,
        options={"idempotency_key": idempotency_key},
    )


def retrieve_checkout_session(session_id: str) -> dict:
    return _get(
        f"/v1/checkout/sessions/{_path_id(session_id)}",
        # The charge tells which method paid (card, Alipay, WeChat Pay …).
        expand=["payment_intent.latest_charge"],
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
    return _get(f"/v1/payment_intents/{_path_id(payment_intent_id)}", expand=["latest_charge"])


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
