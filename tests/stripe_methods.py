"""Payment method types as Stripe checks them on a Checkout Session, for tests/stripe_server.py.

Stripe refuses a session that names a method for a currency the method does not
take, and a WeChat Pay session without ``payment_method_options[wechat_pay][client]``.
The currency lists are Stripe's documented presentment currencies ("Determine
compatibility" on docs.stripe.com/payments/alipay/accept-a-payment and
…/wechat-pay/accept-a-payment); a method not listed here is taken in any currency.
Problems come back as (message, param) for the server to answer as Stripe errors.
"""

from __future__ import annotations

import secrets
from typing import Any, Optional

PRESENTMENT_CURRENCIES = {
    "alipay": frozenset("aud cad cny eur gbp hkd jpy myr nzd sgd usd".split()),
    "wechat_pay": frozenset("aud cad chf cny dkk eur gbp hkd jpy nok sek sgd usd".split()),
}

# The options Stripe knows per method (the SDK's SessionCreateParams), and their enums.
OPTION_PARAMS = {
    "alipay": {"setup_future_usage"},
    "card": {"capture_method", "installments", "request_extended_authorization",
             "request_incremental_authorization", "request_multicapture",
             "request_overcapture", "request_three_d_secure", "restrictions",
             "setup_future_usage", "statement_descriptor_suffix_kana",
             "statement_descriptor_suffix_kanji"},
    "wechat_pay": {"app_id", "client", "setup_future_usage"},
}
WECHAT_PAY_CLIENTS = ("android", "ios", "web")

Problem = Optional[tuple[str, str]]


def currency_problem(method_types: list[str], currency: str) -> Problem:
    """Why Stripe would refuse these methods in ``currency``, or None."""
    for index, method in enumerate(method_types):
        allowed = PRESENTMENT_CURRENCIES.get(method)
        if allowed is not None and currency not in allowed:
            return (
                f"The currency provided ({currency}) is invalid for one or more payment method "
                f"types on this Checkout Session. Payment method type {method} supports: "
                f"{', '.join(sorted(allowed))}.",
                f"payment_method_types[{index}]",
            )
    return None


def options_problem(options: Any, method_types: list[str]) -> Problem:
    """Why Stripe would refuse ``payment_method_options`` for these methods, or None."""
    if options in (None, ""):
        options = {}
    if not isinstance(options, dict):
        return "Invalid object", "payment_method_options"
    for method, values in options.items():
        param = f"payment_method_options[{method}]"
        if method not in OPTION_PARAMS:
            return f"Received unknown parameter: {param}", param
        if not isinstance(values, dict):
            return "Invalid object", param
        for key in values:
            if key not in OPTION_PARAMS[method]:
                return f"Received unknown parameter: {param}[{key}]", f"{param}[{key}]"
    if "wechat_pay" in method_types:
        wechat = options.get("wechat_pay") or {}
        client = wechat.get("client")
        param = "payment_method_options[wechat_pay][client]"
        if not client:
            return (f"You must provide `{param}` when `wechat_pay` is one of the "
                    "`payment_method_types`.", param)
        if client not in WECHAT_PAY_CLIENTS:
            return (f"Invalid {param}: must be one of {', '.join(WECHAT_PAY_CLIENTS)}", param)
        if client in ("android", "ios") and not wechat.get("app_id"):
            return ("`payment_method_options[wechat_pay][app_id]` is required when the client "
                    f"is {client}.", "payment_method_options[wechat_pay][app_id]")
    return None


def wallet_details(method: str) -> dict:
    """A charge's ``payment_method_details`` for a wallet payment."""
    transaction_id = secrets.token_hex(14)
    if method == "alipay":
        return {"type": "alipay", "alipay": {"buyer_id": f"2088{secrets.randbelow(10**12):012d}",
                                             "fingerprint": secrets.token_hex(8),
                                             "transaction_id": transaction_id}}
    if method == "wechat_pay":
        return {"type": "wechat_pay", "wechat_pay": {"fingerprint": secrets.token_hex(8),
                                                     "location": None, "reader": None,
                                                     "transaction_id": transaction_id}}
    raise ValueError(f"{method!r} is not a wallet this server pays with")
