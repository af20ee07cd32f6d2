"""The only module that imports the Stripe SDK; it pins the API version.

Everything here takes and returns plain Python values (dicts, ints), so the rest
of the shop never handles SDK objects and the boundary is easy to test over HTTP.
"""

from decimal import Decimal
from functools import lru_cache

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
