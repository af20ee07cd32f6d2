"""A Stripe-compatible HTTP server for the test suite.

The shop talks to Stripe only through the real ``stripe`` SDK.  Tests point the
SDK at this server instead of mocking it::

    server = StripeServer().start()
    client = stripe.StripeClient(
        server.api_key, base_addresses={"api": server.url}, max_network_retries=0
    )
    session = client.v1.checkout.sessions.create(params={...})
    server.pay(session.id)          # completes it and POSTs a signed webhook
    server.stop()

Standard library only (and ISO 4217's table, from the ``iso4217`` package): a
``ThreadingHTTPServer`` on 127.0.0.1 (free port) in a daemon thread.  What it implements, in Stripe's wire format (form-encoded
requests with bracket syntax, JSON answers, Stripe error JSON and statuses):

* ``POST /v1/checkout/sessions``, ``GET /v1/checkout/sessions`` (list),
  ``GET /v1/checkout/sessions/<id>``, ``POST /v1/checkout/sessions/<id>/expire``,
  ``GET /v1/checkout/sessions/<id>/line_items``
* ``GET /v1/payment_intents/<id>``, ``GET /v1/charges/<id>``
* ``POST /v1/refunds``, ``GET /v1/refunds/<id>``, ``GET /v1/events/<id>``
* ``expand[]`` on all of them, idempotency keys, API-key checks, ``Request-Id``.

Test controls (Python methods, and the same over HTTP without an API key):
``pay``, ``expire``, ``succeed_async``, ``fail_async``, ``send_event``,
``refund_event``, ``build_event``, ``sign``, ``post_event``.  A hosted checkout
page lives at ``GET /pay/<session id>`` for browser journeys.

Webhooks go out only from the test controls (``pay``, ``expire``, ...); API
calls the shop makes (expiring a session, refunding) change state but send no
event, so a test decides itself when the shop hears about them.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import html
import json
import re
import secrets
import string
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from decimal import Decimal
from typing import Any, Callable, Iterable, Optional, Pattern, Union

import iso4217
import pytest

from tests import stripe_methods

__all__ = [
    "DEFAULT_API_VERSION",
    "DeliveredEvent",
    "RecordedRequest",
    "StripeAPIError",
    "StripeServer",
    "parse_form",
    "stripe_server",
]

# The version the installed SDK (stripe 16.1.0) pins; events carry it.
DEFAULT_API_VERSION = "2026-10-28.endive"

HOSTED_CHECKOUT_TITLE = "Test checkout — no money moves"

_ALNUM = string.ascii_letters + string.digits
_API_VERSION_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(\.[a-z_]+)?$")
_INT_RE = re.compile(r"^-?\d+$")
_CURRENCY_RE = re.compile(r"^[a-z]{3}$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_KEY_RE = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_SEGMENT_RE = re.compile(r"\[([^\[\]]*)\]")

# Amounts are in ISO 4217 minor units (ISO's own table, from the iso4217 package), except
# where https://docs.stripe.com/currencies says otherwise ("special cases"): ISK has no
# minor unit in ISO 4217 but Stripe still counts it in hundredths, whole krónur only;
# MGA has two decimals in ISO 4217 but is zero-decimal at Stripe. Three-decimal
# currencies (BHD, JOD, KWD, OMR, TND) take amounts whose last digit is 0.
ISO_4217_EXPONENTS = {currency.code.lower(): currency.exponent for currency in iso4217.Currency}
STRIPE_EXPONENTS = {**ISO_4217_EXPONENTS, "isk": 2, "mga": 0}
# The step every amount in the currency must be a multiple of.
AMOUNT_STEPS = {"isk": 100, **{code: 10 for code in "bhd jod kwd omr tnd".split()}}
# Minimum charge amounts in minor units (https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts).
MINIMUM_AMOUNTS = {
    "usd": 50, "aed": 200, "aud": 50, "brl": 50, "cad": 50, "chf": 50, "czk": 1500,
    "dkk": 250, "eur": 50, "gbp": 30, "hkd": 400, "huf": 17500, "inr": 50, "jpy": 50,
    "mxn": 1000, "myr": 200, "nok": 300, "nzd": 50, "pln": 200, "ron": 200,
    "sek": 300, "sgd": 50, "thb": 1000,
}
MAXIMUM_AMOUNT = 99_999_999

CHECKOUT_LOCALES = frozenset(
    "auto bg cs da de el en en-GB es es-419 et fi fil fr fr-CA hi-IN hr hu id it ja "
    "ko lt lv ms mt nb nl pl pt pt-BR ro ru sk sl sv th tr vi zh zh-HK zh-TW".split()
)
# The wallets the hosted page offers a button for, when the session names them.
WALLET_NAMES = {"alipay": "Alipay", "wechat_pay": "WeChat Pay"}
PAYMENT_METHOD_TYPES = frozenset(
    "acss_debit affirm afterpay_clearpay alipay alma amazon_pay au_becs_debit bacs_debit "
    "bancontact billie bizum blik boleto card cashapp crypto customer_balance eps fpx giropay "
    "grabpay ideal kakao_pay klarna konbini kr_card link mb_way mobilepay multibanco naver_pay "
    "nz_bank_account oxxo p24 pay_by_bank payco paynow paypal paypay payto pix promptpay "
    "revolut_pay samsung_pay satispay scalapay sepa_debit sequra sofort sunbit swish twint upi "
    "us_bank_account wechat_pay zip".split()
)

# Parameters Stripe knows (from the SDK's *CreateParams); anything else is
# answered with "Received unknown parameter", as Stripe does.
SESSION_CREATE_PARAMS = frozenset(
    "adaptive_pricing after_expiration allow_promotion_codes allowed_payment_method_types "
    "automatic_tax billing_address_collection branding_settings cancel_url client_reference_id "
    "consent_collection currency custom_fields custom_text customer customer_account "
    "customer_creation customer_email customer_update discounts excluded_payment_method_types "
    "expand expires_at integration_identifier invoice_creation line_items locale "
    "managed_payments metadata mode name_collection optional_items origin_context "
    "payment_intent_data payment_method_collection payment_method_configuration "
    "payment_method_data payment_method_options payment_method_types permissions "
    "phone_number_collection redirect_on_completion return_url saved_payment_method_options "
    "setup_intent_data shipping_address_collection shipping_options submit_type "
    "subscription_data success_url tax_id_collection ui_mode wallet_options".split()
)
LINE_ITEM_PARAMS = frozenset("adjustable_quantity metadata price price_data quantity tax_rates".split())
PRICE_DATA_PARAMS = frozenset(
    "currency product product_data recurring tax_behavior unit_amount unit_amount_decimal".split()
)
PRODUCT_DATA_PARAMS = frozenset("description images metadata name tax_code tax_details unit_label".split())
PAYMENT_INTENT_DATA_PARAMS = frozenset(
    "application_fee_amount capture_method description metadata on_behalf_of receipt_email "
    "setup_future_usage shipping statement_descriptor statement_descriptor_suffix "
    "transfer_data transfer_group".split()
)
REFUND_CREATE_PARAMS = frozenset(
    "amount charge currency customer expand instructions_email metadata origin payment_intent "
    "reason refund_application_fee reverse_transfer".split()
)
REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")

# Which fields of which objects ``expand`` may replace.
_EXPANDABLE = {
    "checkout.session": {"payment_intent", "line_items", "customer", "invoice", "subscription",
                         "setup_intent", "payment_link"},
    "payment_intent": {"latest_charge", "customer", "payment_method", "invoice"},
    "charge": {"payment_intent", "balance_transaction", "customer", "refunds"},
    "refund": {"charge", "payment_intent", "balance_transaction"},
    "event": set(),
    "item": {"price"},
}


def _rand(n: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(n))


def _now() -> int:
    return int(time.time())


# --------------------------------------------------------------------------- errors


class StripeAPIError(Exception):
    """An error answered as Stripe's error JSON with an HTTP status."""

    def __init__(self, status: int, message: str, *, type: str = "invalid_request_error",
                 param: Optional[str] = None, code: Optional[str] = None,
                 headers: Optional[dict] = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = headers or {}

    def to_json(self, request_id: Optional[str] = None) -> dict:
        err: dict[str, Any] = {}
        if self.code:
            err["code"] = self.code
            err["doc_url"] = "https://stripe.com/docs/error-codes/" + self.code.replace("_", "-")
        err["message"] = self.message
        if self.param:
            err["param"] = self.param
        if request_id:
            err["request_log_url"] = (
                f"https://dashboard.stripe.com/test/logs/{request_id}?t={_now()}"
            )
        err["type"] = self.type
        return {"error": err}


def _missing(param: str) -> StripeAPIError:
    return StripeAPIError(400, f"Missing required param: {param}.", param=param,
                          code="parameter_missing")


def _unknown(param: str) -> StripeAPIError:
    return StripeAPIError(
        400,
        f"Received unknown parameter: {param}",
        param=param,
        code="parameter_unknown",
    )


def _no_such(kind: str, ident: str, param: str, status: int = 400) -> StripeAPIError:
    return StripeAPIError(status, f"No such {kind}: '{ident}'", param=param, code="resource_missing")


def _invalid_enum(param: str, value: str, allowed: Iterable[str]) -> StripeAPIError:
    allowed = list(allowed)
    choices = ", ".join(allowed[:-1]) + (", or " if len(allowed) > 2 else " or ") + allowed[-1]
    return StripeAPIError(400, f"Invalid {param}: must be one of {choices}", param=param,
                          code="parameter_invalid_string" if value else "parameter_missing")


# --------------------------------------------------------------------------- form parsing


def parse_form(body: Union[str, bytes]) -> dict:
    """Parse Stripe's form encoding (``a[b][0][c]=x``, ``expand[]=y``) into dicts/lists.

    Keys whose children are all numeric indices become lists (in index order);
    ``[]`` appends.  Children of ``metadata`` always stay a dict.
    """
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    root: dict = {}
    for key, value in urllib.parse.parse_qsl(body, keep_blank_values=True):
        m = _KEY_RE.match(key)
        if not m:
            raise StripeAPIError(400, f"Invalid parameter name: {key}", param=key)
        parts = [m.group(1)] + _SEGMENT_RE.findall(m.group(2))
        node = root
        for i, part in enumerate(parts):
            if part == "":
                part = str(sum(1 for k in node if k.isdigit()))
            if i == len(parts) - 1:
                if isinstance(node.get(part), dict):
                    raise StripeAPIError(400, f"Invalid hash: {key}", param=parts[0])
                node[part] = value
            else:
                child = node.setdefault(part, {})
                if not isinstance(child, dict):
                    raise StripeAPIError(400, f"Invalid hash: {key}", param=parts[0])
                node = child
    return {k: _listify(v, k) for k, v in root.items()}


def _listify(node: Any, parent_key: Optional[str]) -> Any:
    if not isinstance(node, dict):
        return node
    out = {k: _listify(v, k) for k, v in node.items()}
    if out and parent_key != "metadata" and all(k.isdigit() for k in out):
        return [out[k] for k in sorted(out, key=int)]
    return out


def _param_path(*parts: Union[str, int]) -> str:
    head, *rest = parts
    return str(head) + "".join(f"[{p}]" for p in rest)


def _check_known(params: Any, allowed: Iterable[str], prefix: tuple = ()) -> None:
    if not isinstance(params, dict):
        return
    for key in params:
        if key not in allowed:
            raise _unknown(_param_path(*prefix, key))


def _as_dict(value: Any, param: str) -> dict:
    if value == "":
        return {}
    if not isinstance(value, dict):
        raise StripeAPIError(400, "Invalid object", param=param)
    return value


def _as_list(value: Any, param: str) -> list:
    if value == "":
        return []
    if isinstance(value, dict) and not value:
        return []
    if not isinstance(value, list):
        raise StripeAPIError(400, "Invalid array", param=param)
    return value


def _as_int(value: Any, param: str, *, minimum: Optional[int] = None) -> int:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise StripeAPIError(400, f"Invalid integer: {value}", param=param,
                             code="parameter_invalid_integer")
    if isinstance(value, str) and not _INT_RE.match(value.strip()):
        raise StripeAPIError(400, f"Invalid integer: {value}", param=param,
                             code="parameter_invalid_integer")
    number = int(value)
    if minimum is not None and number < minimum:
        raise StripeAPIError(400, f"This value must be greater than or equal to {minimum}.",
                             param=param, code="parameter_invalid_integer")
    return number


def _as_bool(value: Any, param: str) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise StripeAPIError(400, f"Invalid boolean: {value}", param=param)


def _as_str(value: Any, param: str, *, max_length: Optional[int] = None) -> str:
    if not isinstance(value, str):
        raise StripeAPIError(400, "Invalid string", param=param, code="parameter_invalid_string")
    if max_length is not None and len(value) > max_length:
        raise StripeAPIError(
            400,
            f"Invalid string: {value[:20]}...; must be at most {max_length} characters",
            param=param,
            code="parameter_invalid_string",
        )
    return value


def _metadata(value: Any, param: str = "metadata") -> dict:
    data = _as_dict(value, param)
    out = {}
    for key, val in data.items():
        if not isinstance(val, str):
            raise StripeAPIError(400, "Invalid string", param=f"{param}[{key}]")
        if len(key) > 40:
            raise StripeAPIError(400, "Metadata keys can have up to 40 characters, but you passed "
                                 f"in a key that is {len(key)} characters: '{key}'", param=param)
        if len(val) > 500:
            raise StripeAPIError(400, "Metadata values can have up to 500 characters, but you "
                                 f"passed in a value that is {len(val)} characters. Invalid "
                                 f"value: {val[:40]}...", param=f"{param}[{key}]")
        if val != "":  # an empty value unsets the key
            out[key] = val
    if len(out) > 50:
        raise StripeAPIError(400, "Metadata can have up to 50 keys, but you passed in "
                             f"{len(out)} keys.", param=param)
    return out


def _valid_url(value: str) -> bool:
    try:
        parts = urllib.parse.urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def minor_unit_digits(currency: str) -> int:
    """How many decimals Stripe's integer amounts carry in this currency (2 if unknown)."""
    digits = STRIPE_EXPONENTS.get(currency.lower())
    return 2 if digits is None else digits


def format_amount(amount: int, currency: str) -> str:
    """``1999, "usd"`` -> ``"19.99 USD"``; ``1000000, "kwd"`` -> ``"1,000.000 KWD"``."""
    digits = minor_unit_digits(currency)
    # Exact: Decimal, not float division (1,000,000.123 KWD must not print as .12299…).
    value = Decimal(amount).scaleb(-digits)
    return f"{value:,.{digits}f} {currency.upper()}"


def _check_amount_step(amount: int, currency: str, param: str) -> None:
    step = AMOUNT_STEPS.get(currency.lower(), 1)
    if amount % step:
        raise StripeAPIError(
            400,
            f"Invalid amount. Amounts in {currency.upper()} must be evenly divisible by {step}. "
            "See https://docs.stripe.com/currencies#special-cases for more information.",
            param=param,
            code="invalid_charge_amount_no_decimal_compatible",
        )


# --------------------------------------------------------------------------- records


@dataclass
class RecordedRequest:
    """One request the server received on ``/v1/...``."""

    method: str
    path: str
    query: str
    params: dict
    headers: dict
    body: str
    request_id: str
    status: Optional[int] = None
    response: Any = None
    replayed: bool = False
    time: float = field(default_factory=time.time)

    def header(self, name: str, default: Optional[str] = None) -> Optional[str]:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return default

    @property
    def idempotency_key(self) -> Optional[str]:
        return self.header("Idempotency-Key")

    @property
    def stripe_version(self) -> Optional[str]:
        return self.header("Stripe-Version")

    @property
    def authorization(self) -> Optional[str]:
        return self.header("Authorization")

    @property
    def api_key(self) -> Optional[str]:
        auth = self.authorization or ""
        return auth[7:].strip() if auth.startswith("Bearer ") else None


@dataclass
class DeliveredEvent:
    """One webhook POST to the shop and its answer (``status`` None: no answer at all)."""

    event: Optional[dict]
    url: str
    payload: bytes
    signature: Optional[str]
    status: Optional[int]
    body: str
    error: Optional[str] = None
    time: float = field(default_factory=time.time)

    @property
    def type(self) -> Optional[str]:
        return (self.event or {}).get("type")

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Stripe does not follow redirects from webhook endpoints: a 3xx is a failed delivery."""

    def redirect_request(self, *args, **kwargs):  # noqa: D401
        return None


# --------------------------------------------------------------------------- the server


class StripeServer:
    """A small Stripe: Checkout Sessions, PaymentIntents, Charges, Refunds, Events, webhooks."""

    def __init__(self, *, api_key: Optional[str] = None, webhook_secret: Optional[str] = None,
                 webhook_url: Optional[str] = None, api_version: str = DEFAULT_API_VERSION,
                 accept_any_test_key: bool = True, webhook_timeout: float = 10.0,
                 host: str = "127.0.0.1", port: int = 0):
        self.api_key = api_key or "sk_test_" + _rand(24)
        self.webhook_secret = webhook_secret or "whsec_" + _rand(32)
        self.webhook_url = webhook_url
        self.api_version = api_version
        self.accept_any_test_key = accept_any_test_key
        self.webhook_timeout = webhook_timeout
        self._host = host
        self._port = port
        self._lock = threading.RLock()
        self._httpd: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None
        self._reset_state()

    def _reset_state(self) -> None:
        with self._lock:
            self._sessions: dict[str, dict] = {}
            self._line_items: dict[str, list] = {}
            self._session_extra: dict[str, dict] = {}
            self._payment_intents: dict[str, dict] = {}
            self._charges: dict[str, dict] = {}
            self._refunds: dict[str, dict] = {}
            self._refund_requests: dict[str, dict] = {}
            self._events: dict[str, dict] = {}
            self._idempotency: dict[tuple, dict] = {}
            self._requests: list[RecordedRequest] = []
            self._delivered: list[DeliveredEvent] = []

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> "StripeServer":
        if self._httpd is not None:
            return self
        httpd = _HTTPServer((self._host, self._port), _Handler, self)
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"stripe-server-{httpd.server_address[1]}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, thread = self._httpd, self._thread
        self._httpd = self._thread = None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> "StripeServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("StripeServer is not running; call start() first")
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        """Base address for the SDK: ``base_addresses={"api": server.url}``."""
        return f"http://{self._host}:{self.port}"

    def checkout_url(self, session_id: str) -> str:
        return f"{self.url}/pay/{session_id}"

    def __repr__(self) -> str:
        where = self.url if self._httpd else "stopped"
        return f"<StripeServer {where}>"

    # ------------------------------------------------------------------ state views (copies)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Requests received on ``/v1/...`` in order (the hosted page and test controls are not recorded)."""
        with self._lock:
            return list(self._requests)

    def requests_to(self, method: Optional[str] = None,
                    path: Union[str, Pattern[str], None] = None) -> list[RecordedRequest]:
        """Recorded requests with this method and path (exact string, or a compiled regex matched fully)."""
        out = []
        for req in self.requests:
            if method and req.method != method.upper():
                continue
            if isinstance(path, str) and req.path != path:
                continue
            if path is not None and not isinstance(path, str) and not path.fullmatch(req.path):
                continue
            out.append(req)
        return out

    @property
    def delivered_events(self) -> list[DeliveredEvent]:
        with self._lock:
            return list(self._delivered)

    def _copy_of(self, store: dict) -> dict:
        with self._lock:
            return copy.deepcopy(store)

    @property
    def sessions(self) -> dict[str, dict]:
        """Checkout Sessions by id (a deep copy: changing it changes nothing on the server)."""
        with self._lock:
            for sid in list(self._sessions):
                self._maybe_lapse(sid)
            return copy.deepcopy(self._sessions)

    @property
    def payment_intents(self) -> dict[str, dict]:
        return self._copy_of(self._payment_intents)

    @property
    def charges(self) -> dict[str, dict]:
        return self._copy_of(self._charges)

    @property
    def refunds(self) -> dict[str, dict]:
        return self._copy_of(self._refunds)

    @property
    def events(self) -> dict[str, dict]:
        """Every event built (sent or not), by id."""
        return self._copy_of(self._events)

    def line_items(self, session_id: str) -> list[dict]:
        with self._lock:
            self._session_or_raise(session_id)
            return copy.deepcopy(self._line_items[session_id])

    def clear(self, *, objects: bool = False) -> None:
        """Forget recorded requests and deliveries; with ``objects=True`` forget everything."""
        with self._lock:
            if objects:
                self._reset_state()
            else:
                self._requests.clear()
                self._delivered.clear()

    # ------------------------------------------------------------------ ids

    @staticmethod
    def _new_id(kind: str) -> str:
        return {
            "cs": lambda: "cs_test_a1" + _rand(56),
            "pi": lambda: "pi_3" + _rand(23),
            "ch": lambda: "ch_3" + _rand(23),
            "re": lambda: "re_3" + _rand(23),
            "evt": lambda: "evt_1" + _rand(23),
            "li": lambda: "li_1" + _rand(23),
            "price": lambda: "price_1" + _rand(23),
            "prod": lambda: "prod_" + _rand(14),
            "pm": lambda: "pm_1" + _rand(23),
            "txn": lambda: "txn_3" + _rand(23),
            "req": lambda: "req_" + _rand(14),
        }[kind]()

    # ------------------------------------------------------------------ API dispatch

    _ROUTES: list[tuple[str, Pattern[str], str]] = [
        ("POST", re.compile(r"/v1/checkout/sessions"), "_api_create_session"),
        ("GET", re.compile(r"/v1/checkout/sessions"), "_api_list_sessions"),
        ("GET", re.compile(r"/v1/checkout/sessions/(?P<id>[^/]+)"), "_api_retrieve_session"),
        ("POST", re.compile(r"/v1/checkout/sessions/(?P<id>[^/]+)/expire"), "_api_expire_session"),
        ("GET", re.compile(r"/v1/checkout/sessions/(?P<id>[^/]+)/line_items"), "_api_list_line_items"),
        ("GET", re.compile(r"/v1/payment_intents/(?P<id>[^/]+)"), "_api_retrieve_payment_intent"),
        ("GET", re.compile(r"/v1/charges/(?P<id>[^/]+)"), "_api_retrieve_charge"),
        ("POST", re.compile(r"/v1/refunds"), "_api_create_refund"),
        ("GET", re.compile(r"/v1/refunds/(?P<id>[^/]+)"), "_api_retrieve_refund"),
        ("GET", re.compile(r"/v1/events/(?P<id>[^/]+)"), "_api_retrieve_event"),
    ]

    def _handle_api(self, method: str, path: str, query: str, body: bytes,
                    headers: dict) -> tuple[int, dict, Any]:
        request_id = self._new_id("req")
        resp_headers = {"Request-Id": request_id, "Stripe-Version": self.api_version}
        text = body.decode("utf-8", errors="replace")
        record = RecordedRequest(method=method, path=path, query=query, params={},
                                 headers=dict(headers), body=text, request_id=request_id)
        with self._lock:
            self._requests.append(record)
            try:
                params = parse_form(query)
                if method == "POST" and text:
                    params.update(parse_form(text))
                record.params = params
                self._authenticate(record)
                version = record.stripe_version
                if version:
                    if not _API_VERSION_RE.match(version):
                        raise StripeAPIError(400, f"Invalid Stripe API version: {version}")
                    resp_headers["Stripe-Version"] = version
                handler, path_args = self._route(method, path)
                key = record.idempotency_key if method == "POST" else None
                if key:
                    resp_headers["Idempotency-Key"] = key
                    scope = (record.api_key, key)
                    earlier = self._idempotency.get(scope)
                    if earlier is not None:
                        if (earlier["method"], earlier["path"], earlier["params"]) != (
                                method, path, params):
                            raise StripeAPIError(
                                400,
                                "Keys for idempotent requests can only be used with the same "
                                "parameters they were first used with. Try using a key other "
                                f"than '{key}' if you meant to execute a different request.",
                                type="idempotency_error",
                            )
                        resp_headers["Idempotent-Replayed"] = "true"
                        resp_headers["Original-Request"] = earlier["request_id"]
                        record.status, record.response, record.replayed = (
                            earlier["status"], earlier["response"], True)
                        return earlier["status"], resp_headers, copy.deepcopy(earlier["response"])
                status, payload = handler(record, **path_args)
                if key:
                    self._idempotency[(record.api_key, key)] = {
                        "method": method, "path": path, "params": copy.deepcopy(params),
                        "status": status, "response": copy.deepcopy(payload),
                        "request_id": request_id,
                    }
            except StripeAPIError as exc:
                resp_headers.update(exc.headers)
                status, payload = exc.status, exc.to_json(request_id)
            record.status, record.response = status, payload
            return status, resp_headers, copy.deepcopy(payload)

    def _route(self, method: str, path: str) -> tuple[Callable, dict]:
        for verb, pattern, name in self._ROUTES:
            m = pattern.fullmatch(path)
            if m and verb == method:
                args = {k: urllib.parse.unquote(v) for k, v in m.groupdict().items()}
                return getattr(self, name), args
        raise StripeAPIError(
            404,
            f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs "
            "or we can help at https://support.stripe.com/.",
        )

    def _authenticate(self, record: RecordedRequest) -> None:
        auth = record.authorization or ""
        key = None
        if auth.startswith("Bearer "):
            key = auth[7:].strip()
        elif auth.startswith("Basic "):
            try:
                key = base64.b64decode(auth[6:].strip()).decode().split(":", 1)[0]
            except Exception:  # noqa: BLE001 - any garbage is simply an invalid key
                key = ""
        challenge = {"WWW-Authenticate": 'Basic realm="Stripe"'}
        if not key:
            raise StripeAPIError(
                401,
                "You did not provide an API key. You need to provide your API key in the "
                "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
                "YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, "
                "or we can help at https://support.stripe.com/.",
                headers=challenge,
            )
        ok = key == self.api_key or (
            self.accept_any_test_key and key.startswith("sk_test_") and len(key) > len("sk_test_"))
        if not ok:
            masked = key[:8] + "*" * max(len(key) - 12, 0) + key[-4:] if len(key) > 12 else key
            raise StripeAPIError(401, f"Invalid API Key provided: {masked}", headers=challenge)

    def _expand_list(self, params: dict) -> list[str]:
        expand = params.get("expand", [])
        if isinstance(expand, str):
            expand = [expand] if expand else []
        expand = _as_list(expand, "expand")
        for i, item in enumerate(expand):
            _as_str(item, f"expand[{i}]")
        return expand

    def _expanded(self, obj: dict, expand: list[str]) -> dict:
        obj = copy.deepcopy(obj)
        for path in expand:
            self._expand_path(obj, path.split("."), path)
        return obj

    def _expand_path(self, obj: dict, parts: list[str], full: str) -> None:
        head, rest = parts[0], parts[1:]
        kind = obj.get("object")
        if head not in _EXPANDABLE.get(kind, set()):
            raise StripeAPIError(400, f"This property cannot be expanded ({full}).", param="expand")
        if kind == "checkout.session" and head == "line_items":
            obj["line_items"] = self._list_of(self._public_line_items(obj["id"]),
                                              f"/v1/checkout/sessions/{obj['id']}/line_items",
                                              {"limit": "100"})
            targets = obj["line_items"]["data"]
        elif kind == "charge" and head == "refunds":
            refunds = [r for r in self._refunds.values() if r["charge"] == obj["id"]]
            obj["refunds"] = self._list_of(list(reversed(refunds)), f"/v1/charges/{obj['id']}/refunds",
                                           {"limit": "100"})
            targets = obj["refunds"]["data"]
        else:
            value = obj.get(head)
            if isinstance(value, str):
                found = self._lookup(value)
                if found is not None:
                    obj[head] = copy.deepcopy(found)
            targets = [obj[head]] if isinstance(obj.get(head), dict) else []
        if rest:
            for target in targets:
                self._expand_path(target, rest, full)

    def _lookup(self, ident: str) -> Optional[dict]:
        for prefix, store in (("cs_", self._sessions), ("pi_", self._payment_intents),
                              ("ch_", self._charges), ("re_", self._refunds),
                              ("evt_", self._events)):
            if ident.startswith(prefix):
                return store.get(ident)
        return None

    def _list_of(self, items: list[dict], url: str, params: dict) -> dict:
        limit = _as_int(params.get("limit", "10"), "limit", minimum=1)
        if limit > 100:
            raise StripeAPIError(400, "This value must be less than or equal to 100.", param="limit",
                                 code="parameter_invalid_integer")
        ids = [item["id"] for item in items]
        start, end = 0, len(items)
        if params.get("starting_after"):
            cursor = params["starting_after"]
            if cursor not in ids:
                raise _no_such("object", cursor, "starting_after")
            start = ids.index(cursor) + 1
            page = items[start:start + limit]
            has_more = start + limit < end
        elif params.get("ending_before"):
            cursor = params["ending_before"]
            if cursor not in ids:
                raise _no_such("object", cursor, "ending_before")
            end = ids.index(cursor)
            page = items[max(0, end - limit):end]
            has_more = end - limit > 0
        else:
            page = items[:limit]
            has_more = len(items) > limit
        return {"object": "list", "data": copy.deepcopy(page), "has_more": has_more, "url": url}

    # ------------------------------------------------------------------ checkout sessions

    def _api_create_session(self, record: RecordedRequest) -> tuple[int, dict]:
        params = record.params
        _check_known(params, SESSION_CREATE_PARAMS)
        expand = self._expand_list(params)
        now = _now()

        mode = params.get("mode")
        if not mode:
            raise _missing("mode")
        if mode not in ("payment", "setup", "subscription"):
            raise _invalid_enum("mode", mode, ["payment", "setup", "subscription"])
        if mode != "payment":
            raise StripeAPIError(400, f"This test server implements only mode=payment, not "
                                 f"mode={mode}.", param="mode")
        ui_mode = params.get("ui_mode") or "hosted_page"
        if ui_mode not in ("hosted", "hosted_page"):
            if ui_mode not in ("elements", "embedded_page", "form", "embedded", "custom"):
                raise _invalid_enum("ui_mode", ui_mode,
                                    ["elements", "embedded_page", "form", "hosted_page"])
            raise StripeAPIError(400, "This test server implements only the hosted checkout page "
                                 f"(ui_mode=hosted_page), not ui_mode={ui_mode}.", param="ui_mode")

        urls = {}
        for name in ("success_url", "cancel_url"):
            value = params.get(name)
            if not value:
                raise _missing(name)
            _as_str(value, name, max_length=5000)
            if not _valid_url(value):
                raise StripeAPIError(400, "Not a valid URL", param=name, code="url_invalid")
            urls[name] = value

        if params.get("customer"):
            raise _no_such("customer", str(params["customer"]), "customer")
        if params.get("discounts"):
            raise StripeAPIError(400, "This test server does not implement discounts.",
                                 param="discounts")

        raw_items = params.get("line_items")
        if raw_items in (None, "", {}, []):
            raise StripeAPIError(400, "You must provide `line_items` in `payment` mode.",
                                 param="line_items", code="parameter_missing")
        raw_items = _as_list(raw_items, "line_items")
        if len(raw_items) > 100:
            raise StripeAPIError(400, "You can have at most 100 line items in `payment` mode.",
                                 param="line_items")
        line_items, currency = self._build_line_items(raw_items, now)

        top_currency = params.get("currency")
        if top_currency and top_currency.lower() != currency:
            raise StripeAPIError(400, f"The currency `{top_currency}` does not match the currency "
                                 f"of the line items (`{currency}`).", param="currency")

        subtotal = sum(item["amount_subtotal"] for item in line_items)
        minimum = MINIMUM_AMOUNTS.get(currency)
        if minimum is not None and subtotal < minimum:
            raise StripeAPIError(
                400,
                "The Checkout Session's total amount due must add up to at least "
                f"{format_amount(minimum, currency)}",
                code="amount_too_small",
            )
        if subtotal > MAXIMUM_AMOUNT:
            raise StripeAPIError(
                400,
                "The Checkout Session's total amount due must be no more than "
                f"{format_amount(MAXIMUM_AMOUNT, currency)}",
                code="amount_too_large",
            )

        expires_at = now + 24 * 3600
        if params.get("expires_at") not in (None, ""):
            expires_at = _as_int(params["expires_at"], "expires_at")
            # A few seconds of slack for the clock ticking between client and server.
            if expires_at < now + 30 * 60 - 5:
                raise StripeAPIError(400, "The `expires_at` timestamp must be at least 30 minutes "
                                     "from Checkout Session creation.", param="expires_at")
            if expires_at > now + 24 * 3600 + 5:
                raise StripeAPIError(400, "The `expires_at` timestamp must be less than 24 hours "
                                     "from Checkout Session creation.", param="expires_at")

        customer_email = params.get("customer_email") or None
        if customer_email is not None:
            _as_str(customer_email, "customer_email", max_length=800)
            if not _EMAIL_RE.match(customer_email):
                raise StripeAPIError(400, f"Invalid email address: {customer_email}",
                                     param="customer_email", code="email_invalid")

        client_reference_id = params.get("client_reference_id") or None
        if client_reference_id is not None:
            _as_str(client_reference_id, "client_reference_id", max_length=200)

        locale = params.get("locale") or None
        if locale is not None and locale not in CHECKOUT_LOCALES:
            raise _invalid_enum("locale", locale, sorted(CHECKOUT_LOCALES))

        metadata = _metadata(params.get("metadata", {}))

        method_types: list[str] = []
        for name in ("payment_method_types", "allowed_payment_method_types"):
            if params.get(name) in (None, ""):
                continue
            values = _as_list(params[name], name)
            for i, value in enumerate(values):
                if value not in PAYMENT_METHOD_TYPES:
                    raise _invalid_enum(f"{name}[{i}]", str(value), sorted(PAYMENT_METHOD_TYPES))
            method_types = list(values)
        problem = stripe_methods.currency_problem(method_types or ["card"], currency)
        if problem is None:
            problem = stripe_methods.options_problem(params.get("payment_method_options"),
                                                     method_types)
        if problem is not None:
            message, param = problem
            raise StripeAPIError(400, message, param=param)
        method_options = copy.deepcopy(params.get("payment_method_options") or {})

        pi_data = _as_dict(params.get("payment_intent_data", {}), "payment_intent_data")
        _check_known(pi_data, PAYMENT_INTENT_DATA_PARAMS, ("payment_intent_data",))
        pi_data = dict(pi_data)
        if "metadata" in pi_data:
            pi_data["metadata"] = _metadata(pi_data["metadata"], "payment_intent_data[metadata]")

        submit_type = params.get("submit_type") or None
        if submit_type is not None and submit_type not in ("auto", "book", "donate", "pay",
                                                            "subscribe"):
            raise _invalid_enum("submit_type", submit_type,
                                ["auto", "book", "donate", "pay", "subscribe"])
        allow_promotion_codes = None
        if params.get("allow_promotion_codes") not in (None, ""):
            allow_promotion_codes = _as_bool(params["allow_promotion_codes"],
                                             "allow_promotion_codes")

        sid = self._new_id("cs")
        session = {
            "id": sid,
            "object": "checkout.session",
            "adaptive_pricing": {"enabled": False},
            "after_expiration": None,
            "allow_promotion_codes": allow_promotion_codes,
            "allowed_payment_method_types": list(method_types) or None,
            "amount_subtotal": subtotal,
            "amount_total": subtotal,
            "automatic_tax": {"enabled": False, "liability": None, "provider": None,
                              "status": None},
            "billing_address_collection": params.get("billing_address_collection") or None,
            "cancel_url": urls["cancel_url"],
            "client_reference_id": client_reference_id,
            "client_secret": None,
            "collected_information": None,
            "consent": None,
            "consent_collection": None,
            "created": now,
            "currency": currency,
            "currency_conversion": None,
            "custom_fields": [],
            "custom_text": {"after_submit": None, "shipping_address": None, "submit": None,
                            "terms_of_service_acceptance": None},
            "customer": None,
            "customer_creation": params.get("customer_creation") or "if_required",
            "customer_details": None,
            "customer_email": customer_email,
            "discounts": [],
            "excluded_payment_method_types": None,
            "expires_at": expires_at,
            "invoice": None,
            "invoice_creation": {"enabled": False, "invoice_data": {
                "account_tax_ids": None, "custom_fields": None, "description": None,
                "footer": None, "issuer": None, "metadata": {}, "rendering_options": None}},
            "livemode": False,
            "locale": locale,
            "metadata": metadata,
            "mode": "payment",
            "origin_context": None,
            "payment_intent": None,
            "payment_link": None,
            "payment_method_collection": "if_required",
            "payment_method_configuration_details": None,
            "payment_method_options": method_options,
            "payment_method_types": list(method_types) or ["card"],
            "payment_status": "unpaid",
            "phone_number_collection": {"enabled": False},
            "recovered_from": None,
            "saved_payment_method_options": None,
            "setup_intent": None,
            "shipping_address_collection": None,
            "shipping_cost": None,
            "shipping_options": [],
            "status": "open",
            "submit_type": submit_type,
            "subscription": None,
            "success_url": urls["success_url"],
            "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
            "ui_mode": ui_mode,
            "url": self.checkout_url(sid),
            "wallet_options": None,
        }
        self._sessions[sid] = session
        self._line_items[sid] = line_items
        self._session_extra[sid] = {"payment_intent_data": pi_data, "request_id": record.request_id,
                                    "idempotency_key": record.idempotency_key}
        return 200, self._expanded(session, expand)

    def _build_line_items(self, raw_items: list, now: int) -> tuple[list[dict], str]:
        items, currency = [], None
        for i, raw in enumerate(raw_items):
            where = ("line_items", i)
            if not isinstance(raw, dict):
                raise StripeAPIError(400, "Invalid object", param=_param_path(*where))
            _check_known(raw, LINE_ITEM_PARAMS, where)
            if raw.get("price"):
                raise _no_such("price", str(raw["price"]), _param_path(*where, "price"))
            if "price_data" not in raw:
                raise StripeAPIError(400, f"You must specify either `price` or `price_data` in "
                                     f"{_param_path(*where)}.", param=_param_path(*where, "price"),
                                     code="parameter_missing")
            price_data = raw["price_data"]
            pd_where = where + ("price_data",)
            if not isinstance(price_data, dict):
                raise StripeAPIError(400, "Invalid object", param=_param_path(*pd_where))
            _check_known(price_data, PRICE_DATA_PARAMS, pd_where)
            if price_data.get("recurring"):
                raise StripeAPIError(
                    400,
                    "You specified `payment` mode but passed a recurring price. Either switch to "
                    "`subscription` mode or use only one-time prices.",
                    param=_param_path(*pd_where, "recurring"),
                )
            item_currency = price_data.get("currency")
            if not item_currency:
                raise _missing(_param_path(*pd_where, "currency"))
            item_currency = _as_str(item_currency, _param_path(*pd_where, "currency")).lower()
            if not _CURRENCY_RE.match(item_currency) or STRIPE_EXPONENTS.get(item_currency) is None:
                raise StripeAPIError(400, f"Invalid currency: {item_currency}. Stripe currently "
                                     "supports three-letter ISO currency codes in lowercase.",
                                     param=_param_path(*pd_where, "currency"))
            if currency is None:
                currency = item_currency
            elif currency != item_currency:
                raise StripeAPIError(400, "All line items must use the same currency; "
                                     f"{_param_path(*pd_where, 'currency')} is {item_currency} "
                                     f"but an earlier item is {currency}.",
                                     param=_param_path(*pd_where, "currency"))
            if "unit_amount" not in price_data:
                if "unit_amount_decimal" in price_data:
                    raise StripeAPIError(400, "This test server implements only integer "
                                         "`unit_amount`.",
                                         param=_param_path(*pd_where, "unit_amount_decimal"))
                raise _missing(_param_path(*pd_where, "unit_amount"))
            unit_amount = _as_int(price_data["unit_amount"], _param_path(*pd_where, "unit_amount"),
                                  minimum=0)
            _check_amount_step(unit_amount, item_currency, _param_path(*pd_where, "unit_amount"))
            if price_data.get("product"):
                raise _no_such("product", str(price_data["product"]),
                               _param_path(*pd_where, "product"))
            product_data = price_data.get("product_data")
            if not isinstance(product_data, dict):
                if product_data in (None, ""):
                    raise StripeAPIError(400, "You must specify either `product` or `product_data` "
                                         f"when creating a price ({_param_path(*pd_where)}).",
                                         param=_param_path(*pd_where, "product_data"),
                                         code="parameter_missing")
                raise StripeAPIError(400, "Invalid object",
                                     param=_param_path(*pd_where, "product_data"))
            _check_known(product_data, PRODUCT_DATA_PARAMS, pd_where + ("product_data",))
            name = product_data.get("name")
            if not name:
                raise _missing(_param_path(*pd_where, "product_data", "name"))
            _as_str(name, _param_path(*pd_where, "product_data", "name"), max_length=5000)
            if "quantity" not in raw:
                raise StripeAPIError(400, f"Quantity is required. Add `quantity` to "
                                     f"`{_param_path(*where)}`",
                                     param=_param_path(*where, "quantity"), code="parameter_missing")
            quantity = _as_int(raw["quantity"], _param_path(*where, "quantity"), minimum=1)
            amount = unit_amount * quantity
            product_id = self._new_id("prod")
            items.append({
                "id": self._new_id("li"),
                "object": "item",
                "amount_discount": 0,
                "amount_subtotal": amount,
                "amount_tax": 0,
                "amount_total": amount,
                "currency": item_currency,
                "description": name,
                "metadata": _metadata(raw.get("metadata", {}), _param_path(*where, "metadata")),
                "price": {
                    "id": self._new_id("price"),
                    "object": "price",
                    "active": False,
                    "billing_scheme": "per_unit",
                    "created": now,
                    "currency": item_currency,
                    "custom_unit_amount": None,
                    "livemode": False,
                    "lookup_key": None,
                    "metadata": {},
                    "nickname": None,
                    "product": product_id,
                    "recurring": None,
                    "tax_behavior": price_data.get("tax_behavior") or "unspecified",
                    "tiers_mode": None,
                    "transform_quantity": None,
                    "type": "one_time",
                    "unit_amount": unit_amount,
                    "unit_amount_decimal": str(unit_amount),
                },
                "quantity": quantity,
                # Not part of Stripe's item object; handy for tests and the hosted page.
                "product_data": copy.deepcopy(product_data),
            })
        return items, currency or "usd"

    def _maybe_lapse(self, sid: str) -> None:
        """An open session past ``expires_at`` is expired, as on Stripe (no webhook is sent)."""
        session = self._sessions.get(sid)
        if session and session["status"] == "open" and _now() >= session["expires_at"]:
            session["status"] = "expired"
            session["url"] = None

    def _session_or_raise(self, sid: str, *, status: int = 404, param: str = "session") -> dict:
        session = self._sessions.get(sid)
        if session is None:
            raise _no_such("checkout.session", sid, param, status)
        self._maybe_lapse(sid)
        return session

    def _api_list_sessions(self, record: RecordedRequest) -> tuple[int, dict]:
        params = record.params
        _check_known(params, {"created", "customer", "customer_details", "ending_before", "expand",
                              "limit", "payment_intent", "payment_link", "starting_after", "status",
                              "subscription"})
        expand = self._expand_list(params)
        for sid in list(self._sessions):
            self._maybe_lapse(sid)
        items = sorted(self._sessions.values(), key=lambda s: s["created"], reverse=True)
        if params.get("payment_intent"):
            items = [s for s in items if s["payment_intent"] == params["payment_intent"]]
        if params.get("status"):
            items = [s for s in items if s["status"] == params["status"]]
        email = (params.get("customer_details") or {}).get("email") if isinstance(
            params.get("customer_details"), dict) else None
        if email:
            items = [s for s in items if (s["customer_details"] or {}).get("email") == email]
        listing = self._list_of(items, "/v1/checkout/sessions", params)
        listing["data"] = [self._expanded(s, [e[len("data."):] for e in expand
                                              if e.startswith("data.")]) for s in listing["data"]]
        return 200, listing

    def _api_retrieve_session(self, record: RecordedRequest, id: str) -> tuple[int, dict]:
        _check_known(record.params, {"expand"})
        session = self._session_or_raise(id)
        return 200, self._expanded(session, self._expand_list(record.params))

    def _api_expire_session(self, record: RecordedRequest, id: str) -> tuple[int, dict]:
        _check_known(record.params, {"expand"})
        expand = self._expand_list(record.params)
        session = self._session_or_raise(id)
        self._expire_locked(session)
        return 200, self._expanded(session, expand)

    def _expire_locked(self, session: dict) -> None:
        if session["status"] != "open":
            raise StripeAPIError(
                400,
                "Only Checkout Sessions with a status in [\"open\"] can be expired. This Checkout "
                f"Session has a status of \"{session['status']}\".",
            )
        session["status"] = "expired"
        session["url"] = None

    def _public_line_items(self, sid: str) -> list[dict]:
        return [{k: v for k, v in item.items() if k != "product_data"}
                for item in self._line_items[sid]]

    def _api_list_line_items(self, record: RecordedRequest, id: str) -> tuple[int, dict]:
        _check_known(record.params, {"ending_before", "expand", "limit", "starting_after"})
        self._session_or_raise(id)
        expand = self._expand_list(record.params)
        items = self._public_line_items(id)
        listing = self._list_of(items, f"/v1/checkout/sessions/{id}/line_items", record.params)
        listing["data"] = [self._expanded(i, [e[len("data."):] for e in expand
                                              if e.startswith("data.")]) for i in listing["data"]]
        return 200, listing

    # ------------------------------------------------------------------ payment intents, charges

    def _api_retrieve_payment_intent(self, record: RecordedRequest, id: str) -> tuple[int, dict]:
        _check_known(record.params, {"client_secret", "expand"})
        pi = self._payment_intents.get(id)
        if pi is None:
            raise _no_such("payment_intent", id, "intent", 404)
        return 200, self._expanded(pi, self._expand_list(record.params))

    def _api_retrieve_charge(self, record: RecordedRequest, id: str) -> tuple[int, dict]:
        _check_known(record.params, {"expand"})
        charge = self._charges.get(id)
        if charge is None:
            raise _no_such("charge", id, "charge", 404)
        return 200, self._expanded(charge, self._expand_list(record.params))

    # ------------------------------------------------------------------ refunds

    def _api_create_refund(self, record: RecordedRequest) -> tuple[int, dict]:
        params = record.params
        _check_known(params, REFUND_CREATE_PARAMS)
        expand = self._expand_list(params)
        pi_id, charge_id = params.get("payment_intent") or None, params.get("charge") or None
        if not pi_id and not charge_id:
            raise StripeAPIError(400, "One of `charge` or `payment_intent` is required to create "
                                 "a refund.", param="payment_intent", code="parameter_missing")
        pi = charge = None
        if pi_id:
            pi = self._payment_intents.get(pi_id)
            if pi is None:
                raise _no_such("payment_intent", pi_id, "payment_intent")
        if charge_id:
            charge = self._charges.get(charge_id)
            if charge is None:
                raise _no_such("charge", charge_id, "charge")
            if pi is not None and charge["payment_intent"] != pi["id"]:
                raise StripeAPIError(400, f"The charge `{charge_id}` does not belong to the "
                                     f"PaymentIntent `{pi_id}`.", param="charge")
        if charge is None:
            charge = self._charges.get(pi["latest_charge"] or "")
        if charge is None or charge["status"] != "succeeded":
            raise StripeAPIError(
                400,
                f"This PaymentIntent ({pi['id'] if pi else charge['payment_intent']}) does not "
                "have a successful charge to refund.",
                param="payment_intent" if pi_id else "charge",
                code="charge_not_refundable",
            )
        remaining = charge["amount"] - charge["amount_refunded"]
        if remaining <= 0:
            raise StripeAPIError(400, f"Charge {charge['id']} has already been refunded.",
                                 param="charge" if charge_id else "payment_intent",
                                 code="charge_already_refunded")
        amount = remaining
        if params.get("amount") not in (None, ""):
            amount = _as_int(params["amount"], "amount", minimum=1)
            _check_amount_step(amount, charge["currency"], "amount")
            if amount > remaining:
                raise StripeAPIError(
                    400,
                    f"Refund amount ({format_amount(amount, charge['currency'])}) is greater than "
                    f"unrefunded amount on charge ({format_amount(remaining, charge['currency'])})",
                    param="amount",
                    code="amount_too_large",
                )
        reason = params.get("reason") or None
        if reason is not None and reason not in REFUND_REASONS:
            raise _invalid_enum("reason", reason, REFUND_REASONS)
        if params.get("currency") and params["currency"].lower() != charge["currency"]:
            raise StripeAPIError(400, f"The currency `{params['currency']}` does not match the "
                                 f"charge's currency `{charge['currency']}`.", param="currency")
        metadata = _metadata(params.get("metadata", {}))

        rid = self._new_id("re")
        refund = {
            "id": rid,
            "object": "refund",
            "amount": amount,
            "balance_transaction": self._new_id("txn"),
            "charge": charge["id"],
            "created": _now(),
            "currency": charge["currency"],
            "destination_details": {"card": {"reference_status": "pending",
                                             "reference_type": "acquirer_reference_number",
                                             "type": "refund"}, "type": "card"},
            "metadata": metadata,
            "payment_intent": charge["payment_intent"],
            "reason": reason,
            "receipt_number": None,
            "source_transfer_reversal": None,
            "status": "succeeded",
            "transfer_reversal": None,
        }
        self._refunds[rid] = refund
        self._refund_requests[rid] = {"id": record.request_id,
                                      "idempotency_key": record.idempotency_key}
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        return 200, self._expanded(refund, expand)

    def _api_retrieve_refund(self, record: RecordedRequest, id: str) -> tuple[int, dict]:
        _check_known(record.params, {"expand"})
        refund = self._refunds.get(id)
        if refund is None:
            raise _no_such("refund", id, "refund", 404)
        return 200, self._expanded(refund, self._expand_list(record.params))

    def _api_retrieve_event(self, record: RecordedRequest, id: str) -> tuple[int, dict]:
        _check_known(record.params, {"expand"})
        event = self._events.get(id)
        if event is None:
            raise _no_such("event", id, "id", 404)
        return 200, self._expanded(event, self._expand_list(record.params))

    # ------------------------------------------------------------------ test controls

    def _need_webhook_url(self, send_webhook: bool) -> None:
        if send_webhook and not self.webhook_url:
            raise RuntimeError("StripeServer.webhook_url is not set: set it to the shop's webhook "
                               "endpoint, or pass send_webhook=False")

    def _open_session_for_test(self, session_id: str) -> dict:
        session = self._sessions.get(session_id)
        if session is None:
            raise KeyError(f"No such checkout session: {session_id!r}")
        self._maybe_lapse(session_id)
        return session

    def pay(self, session_id: str, *, send_webhook: bool = True, async_payment: bool = False,
            method: Optional[str] = None, email: Optional[str] = None,
            name: str = "Jenny Rosen") -> dict:
        """Complete an open session as the customer would; returns the session.

        Creates the PaymentIntent and Charge.  A card payment leaves the session
        ``complete`` + ``paid``; ``async_payment=True`` (a bank debit) leaves it
        ``complete`` + ``unpaid`` with the PaymentIntent ``processing`` until
        ``succeed_async`` / ``fail_async``.  ``method`` pays with one of the session's
        payment method types ("alipay", "wechat_pay", ...), settled at once or, with
        ``async_payment``, later.  With ``send_webhook`` a signed
        ``checkout.session.completed`` is POSTed to ``webhook_url`` before this returns.
        """
        self._need_webhook_url(send_webhook)
        with self._lock:
            session = self._open_session_for_test(session_id)
            if session["status"] != "open":
                raise ValueError(f"Checkout session {session_id} is {session['status']}, not open")
            extra = self._session_extra[session_id]
            pi_data = extra["payment_intent_data"]
            now = _now()
            email = email or session["customer_email"] or "customer@example.com"
            amount, currency = session["amount_total"], session["currency"]
            pi_id, ch_id, pm_id = self._new_id("pi"), self._new_id("ch"), self._new_id("pm")
            if method is not None and method not in session["payment_method_types"]:
                raise ValueError(f"Checkout session {session_id} does not offer {method} "
                                 f"(it offers {', '.join(session['payment_method_types'])})")
            if method is not None and method != "card":
                method_type = method
                method_details = stripe_methods.wallet_details(method)
            elif async_payment:
                method_type = next((t for t in session["payment_method_types"] if t != "card"),
                                   "us_bank_account")
                method_details = {"type": method_type, method_type: {
                    "bank_name": "STRIPE TEST BANK", "last4": "6789"}}
            else:
                method_type = "card"
                method_details = {"type": "card", "card": {
                    "amount_authorized": amount, "brand": "visa", "checks": {
                        "address_line1_check": None, "address_postal_code_check": None,
                        "cvc_check": "pass"},
                    "country": "US", "exp_month": 12, "exp_year": time.gmtime().tm_year + 3,
                    "fingerprint": _rand(16), "funding": "credit", "last4": "4242",
                    "network": "visa", "three_d_secure": None, "wallet": None}}
            billing = {"address": {"city": None, "country": "US", "line1": None, "line2": None,
                                   "postal_code": None, "state": None},
                       "email": email, "name": name, "phone": None}
            charge = {
                "id": ch_id, "object": "charge", "amount": amount,
                "amount_captured": amount, "amount_refunded": 0,
                "application": None, "application_fee": None, "application_fee_amount": None,
                "balance_transaction": None if async_payment else self._new_id("txn"),
                "billing_details": billing, "calculated_statement_descriptor": "TEST SHOP",
                "captured": True, "created": now, "currency": currency, "customer": None,
                "description": pi_data.get("description"), "disputed": False,
                "failure_balance_transaction": None, "failure_code": None,
                "failure_message": None, "fraud_details": {}, "livemode": False,
                "metadata": {}, "on_behalf_of": None,
                "outcome": {"network_status": "approved_by_network", "reason": None,
                            "risk_level": "normal", "risk_score": 32,
                            "seller_message": "Payment complete.", "type": "authorized"},
                "paid": not async_payment, "payment_intent": pi_id, "payment_method": pm_id,
                "payment_method_details": method_details,
                "receipt_email": pi_data.get("receipt_email"), "receipt_number": None,
                "receipt_url": f"{self.url}/receipts/{ch_id}", "refunded": False,
                "review": None, "shipping": None, "source": None, "source_transfer": None,
                "statement_descriptor": pi_data.get("statement_descriptor"),
                "statement_descriptor_suffix": pi_data.get("statement_descriptor_suffix"),
                "status": "pending" if async_payment else "succeeded",
                "transfer_data": None, "transfer_group": None,
            }
            pi = {
                "id": pi_id, "object": "payment_intent", "amount": amount,
                "amount_capturable": 0, "amount_details": {"tip": {}},
                "amount_received": 0 if async_payment else amount,
                "application": None, "application_fee_amount": None,
                "automatic_payment_methods": None, "canceled_at": None,
                "cancellation_reason": None, "capture_method": "automatic_async",
                "client_secret": f"{pi_id}_secret_{_rand(25)}",
                "confirmation_method": "automatic", "created": now, "currency": currency,
                "customer": None, "description": pi_data.get("description"),
                "last_payment_error": None, "latest_charge": ch_id, "livemode": False,
                "metadata": dict(pi_data.get("metadata") or {}), "next_action": None,
                "on_behalf_of": None, "payment_method": pm_id,
                "payment_method_configuration_details": None, "payment_method_options": {},
                "payment_method_types": [method_type], "processing": None,
                "receipt_email": pi_data.get("receipt_email"), "review": None,
                "setup_future_usage": None, "shipping": None, "source": None,
                "statement_descriptor": pi_data.get("statement_descriptor"),
                "statement_descriptor_suffix": pi_data.get("statement_descriptor_suffix"),
                "status": "processing" if async_payment else "succeeded",
                "transfer_data": None, "transfer_group": None,
            }
            self._charges[ch_id] = charge
            self._payment_intents[pi_id] = pi
            session.update({
                "status": "complete",
                "payment_status": "unpaid" if async_payment else "paid",
                "payment_intent": pi_id,
                "url": None,
                "customer_details": {**billing, "business_name": None, "individual_name": None,
                                     "tax_exempt": "none", "tax_ids": []},
            })
            snapshot = copy.deepcopy(session)
            event = self.build_event("checkout.session.completed", snapshot) if send_webhook else None
        if event is not None:
            self.post_event(event)
        return snapshot

    def _settle_async(self, session_id: str, *, succeeded: bool, send_webhook: bool) -> dict:
        self._need_webhook_url(send_webhook)
        with self._lock:
            session = self._open_session_for_test(session_id)
            pi = self._payment_intents.get(session["payment_intent"] or "")
            if session["status"] != "complete" or pi is None or pi["status"] != "processing":
                raise ValueError(f"Checkout session {session_id} has no payment in progress "
                                 "(use pay(..., async_payment=True) first)")
            charge = self._charges[pi["latest_charge"]]
            if succeeded:
                pi.update({"status": "succeeded", "amount_received": pi["amount"]})
                charge.update({"status": "succeeded", "paid": True,
                               "balance_transaction": self._new_id("txn")})
                session["payment_status"] = "paid"
                event_type = "checkout.session.async_payment_succeeded"
            else:
                error = {"code": "payment_method_provider_decline", "decline_code": "insufficient_funds",
                         "message": "The customer's bank declined the debit.",
                         "type": "card_error"}
                pi.update({"status": "requires_payment_method", "last_payment_error": error,
                           "amount_received": 0})
                charge.update({"status": "failed", "paid": False, "amount_captured": 0,
                               "failure_code": "insufficient_funds",
                               "failure_message": error["message"]})
                event_type = "checkout.session.async_payment_failed"
            snapshot = copy.deepcopy(session)
            event = self.build_event(event_type, snapshot) if send_webhook else None
        if event is not None:
            self.post_event(event)
        return snapshot

    def succeed_async(self, session_id: str, *, send_webhook: bool = True) -> dict:
        """The delayed payment cleared: ``paid``; sends ``checkout.session.async_payment_succeeded``."""
        return self._settle_async(session_id, succeeded=True, send_webhook=send_webhook)

    def fail_async(self, session_id: str, *, send_webhook: bool = True) -> dict:
        """The delayed payment failed: stays ``unpaid``; sends ``checkout.session.async_payment_failed``."""
        return self._settle_async(session_id, succeeded=False, send_webhook=send_webhook)

    def expire(self, session_id: str, send_webhook: bool = True) -> dict:
        """Expire an open session (as when ``expires_at`` passes); sends ``checkout.session.expired``."""
        self._need_webhook_url(send_webhook)
        with self._lock:
            session = self._open_session_for_test(session_id)
            if session["status"] != "open":
                raise ValueError(f"Checkout session {session_id} is {session['status']}, not open")
            self._expire_locked(session)
            snapshot = copy.deepcopy(session)
            event = self.build_event("checkout.session.expired", snapshot) if send_webhook else None
        if event is not None:
            self.post_event(event)
        return snapshot

    def build_event(self, event_type: str, data_object: dict, *,
                    previous_attributes: Optional[dict] = None, request_id: Optional[str] = None,
                    idempotency_key: Optional[str] = None, created: Optional[int] = None) -> dict:
        """An Event as Stripe shapes it (kept in ``.events``, retrievable at ``/v1/events/<id>``)."""
        data: dict[str, Any] = {"object": copy.deepcopy(data_object)}
        if previous_attributes is not None:
            data["previous_attributes"] = copy.deepcopy(previous_attributes)
        event = {
            "id": self._new_id("evt"),
            "object": "event",
            "api_version": self.api_version,
            "created": created if created is not None else _now(),
            "data": data,
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": request_id, "idempotency_key": idempotency_key},
            "type": event_type,
        }
        with self._lock:
            self._events[event["id"]] = event
        return copy.deepcopy(event)

    def send_event(self, event_type: str, data_object: dict, **build_kwargs: Any) -> dict:
        """Build an event and POST it (signed) to ``webhook_url``; returns the event."""
        self._need_webhook_url(True)
        event = self.build_event(event_type, data_object, **build_kwargs)
        self.post_event(event)
        return event

    def build_refund_event(self, refund_id: str, event_type: str = "charge.refunded") -> dict:
        """The event Stripe sends for a refund made through the API, not sent.

        ``charge.*`` types carry the Charge (with ``refunds`` expanded), ``refund.*``
        types (``refund.created``, ``refund.updated``, ...) carry the Refund.
        """
        with self._lock:
            refund = self._refunds.get(refund_id)
            if refund is None:
                raise KeyError(f"No such refund: {refund_id!r}")
            if event_type.startswith("charge."):
                obj = self._expanded(self._charges[refund["charge"]], ["refunds"])
            else:
                obj = copy.deepcopy(refund)
            origin = self._refund_requests.get(refund_id, {})
        return self.build_event(event_type, obj, request_id=origin.get("id"),
                                idempotency_key=origin.get("idempotency_key"))

    def refund_event(self, refund_id: str, event_type: str = "charge.refunded") -> dict:
        """Build the refund's event (see build_refund_event) and send it to webhook_url."""
        event = self.build_refund_event(refund_id, event_type)
        self._need_webhook_url(True)
        self.post_event(event)
        return event

    def sign(self, payload: Union[bytes, str], *, secret: Optional[str] = None,
             timestamp: Optional[int] = None) -> str:
        """The ``Stripe-Signature`` header: ``t=<unix>,v1=<HMAC-SHA256 of "<t>.<payload>">``."""
        if isinstance(payload, (bytes, bytearray)):
            payload = bytes(payload).decode("utf-8")
        timestamp = _now() if timestamp is None else int(timestamp)
        secret = self.webhook_secret if secret is None else secret
        mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.{payload}".encode("utf-8"),
                       hashlib.sha256)
        return f"t={timestamp},v1={mac.hexdigest()}"

    @staticmethod
    def event_payload(event: dict) -> bytes:
        """The body Stripe would POST for ``event`` (pretty-printed JSON, as Stripe sends it)."""
        return json.dumps(event, indent=2).encode("utf-8")

    def post_event(self, event: Union[dict, bytes, str], *, url: Optional[str] = None,
                   secret: Optional[str] = None, timestamp: Optional[int] = None,
                   signature: Optional[str] = None) -> tuple[Optional[int], str]:
        """POST a signed event to ``webhook_url`` (or ``url``); returns ``(status, body)``.

        ``event`` may be a dict (serialised here) or the raw body to send as is.
        ``secret``/``timestamp`` change how it is signed; ``signature`` replaces the
        header outright (``""`` sends none).  Redirects are not followed (a 3xx
        is a failed delivery, as on Stripe).  No answer at all gives ``(None, error)``.
        Every attempt is recorded in ``delivered_events``.
        """
        target = url or self.webhook_url
        if not target:
            raise RuntimeError("StripeServer.webhook_url is not set")
        if isinstance(event, dict):
            payload, parsed = self.event_payload(event), copy.deepcopy(event)
        else:
            payload = event.encode("utf-8") if isinstance(event, str) else bytes(event)
            try:
                parsed = json.loads(payload)
            except ValueError:
                parsed = None
        header = self.sign(payload, secret=secret, timestamp=timestamp) if signature is None \
            else signature
        headers = {"Content-Type": "application/json; charset=utf-8",
                   "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                   "Accept": "*/*; q=0.5, application/xml", "Cache-Control": "no-cache"}
        if header:
            headers["Stripe-Signature"] = header
        request = urllib.request.Request(target, data=payload, method="POST", headers=headers)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect)
        error = None
        try:
            with opener.open(request, timeout=self.webhook_timeout) as response:
                status, body = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, body = exc.code, exc.read()
        except (urllib.error.URLError, OSError) as exc:
            status, body, error = None, b"", f"{type(exc).__name__}: {exc}"
        text = body.decode("utf-8", errors="replace")
        with self._lock:
            self._delivered.append(DeliveredEvent(event=parsed, url=target, payload=payload,
                                                  signature=header or None, status=status,
                                                  body=text, error=error))
        return status, (text if error is None else error)

    # ------------------------------------------------------------------ hosted page & HTTP controls

    def _page(self, title: str, body: str, lang: str = "en") -> bytes:
        return (
            f"<!doctype html>\n<html lang=\"{html.escape(lang)}\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{html.escape(title)}</title>"
            "<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;"
            "padding:0 1rem}table{width:100%;border-collapse:collapse}td,th{padding:.3rem;"
            "border-bottom:1px solid #ddd;text-align:left}.num{text-align:right}"
            "button{font-size:1.1rem;padding:.5rem 1.5rem;margin-right:1rem}</style>"
            f"</head><body><p><strong>{html.escape(HOSTED_CHECKOUT_TITLE)}</strong></p>"
            f"{body}</body></html>\n"
        ).encode("utf-8")

    def _hosted_page(self, sid: str, note: str = "") -> tuple[int, dict, bytes]:
        with self._lock:
            session = self._sessions.get(sid)
            if session is None:
                return 404, {}, self._page("Not found", "<h1>No such checkout session</h1>")
            self._maybe_lapse(sid)
            session = copy.deepcopy(session)
            items = copy.deepcopy(self._line_items[sid])
        esc = html.escape
        lang = (session["locale"] or "en") if session["locale"] != "auto" else "en"
        if session["status"] == "expired":
            return 200, {}, self._page(
                HOSTED_CHECKOUT_TITLE,
                "<h1>This checkout session has expired</h1>"
                f"<p><a href=\"{esc(session['cancel_url'])}\">Back to the shop</a></p>", lang)
        if session["status"] == "complete":
            return 200, {}, self._page(
                HOSTED_CHECKOUT_TITLE,
                "<h1>This checkout session is already complete</h1>"
                f"<p><a href=\"{esc(self._success_url(session))}\">Continue</a></p>", lang)
        currency = session["currency"]
        rows = "".join(
            f"<tr><td>{esc(item['description'])}</td><td class=\"num\">{item['quantity']}</td>"
            f"<td class=\"num\">{esc(format_amount(item['price']['unit_amount'], currency))}</td>"
            f"<td class=\"num\">{esc(format_amount(item['amount_total'], currency))}</td></tr>"
            for item in items)
        wallet_buttons = "".join(
            f"<button type=\"submit\" name=\"payment\" value=\"{esc(method)}\">"
            f"Pay with {esc(WALLET_NAMES[method])}</button>"
            for method in session["payment_method_types"] if method in WALLET_NAMES)
        email = (f"<p>Email: <span class=\"email\">{esc(session['customer_email'])}</span></p>"
                 if session["customer_email"] else "")
        body = (
            f"<h1>{esc(HOSTED_CHECKOUT_TITLE)}</h1>{note}"
            "<table><thead><tr><th>Item</th><th class=\"num\">Qty</th>"
            "<th class=\"num\">Unit price</th><th class=\"num\">Amount</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>"
            f"<p>Total: <strong class=\"total\" data-amount=\"{session['amount_total']}\" "
            f"data-currency=\"{esc(currency)}\">{esc(format_amount(session['amount_total'], currency))}"
            f"</strong></p>{email}"
            f"<form method=\"post\" action=\"/pay/{esc(sid)}\">"
            "<button type=\"submit\" name=\"payment\" value=\"card\">Pay</button>"
            f"{wallet_buttons}"
            "<button type=\"submit\" name=\"payment\" value=\"async\">Use a delayed bank debit"
            "</button>"
            f"<a href=\"{esc(session['cancel_url'])}\">Cancel</a></form>"
        )
        return 200, {}, self._page(HOSTED_CHECKOUT_TITLE, body, lang)

    @staticmethod
    def _success_url(session: dict) -> str:
        return session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"])

    def _hosted_pay(self, sid: str, form: dict) -> tuple[int, dict, bytes]:
        with self._lock:
            session = self._sessions.get(sid)
            if session is None:
                return 404, {}, self._page("Not found", "<h1>No such checkout session</h1>")
            self._maybe_lapse(sid)
            status = session["status"]
            if status == "complete":  # a second click on Pay: back to the shop
                return 303, {"Location": self._success_url(session)}, b""
        if status == "expired":
            return 409, {}, self._page(HOSTED_CHECKOUT_TITLE,
                                       "<h1>This checkout session has expired</h1>")
        try:
            choice = form.get("payment")
            paid = self.pay(sid, async_payment=choice == "async",
                            method=choice if choice in WALLET_NAMES else None)
        except ValueError:  # another request completed or expired it meanwhile
            return self._hosted_pay(sid, form)
        except RuntimeError as exc:
            return 500, {}, self._page("Error", f"<h1>Cannot pay</h1><p>{html.escape(str(exc))}</p>")
        return 303, {"Location": self._success_url(paid)}, b""

    def _handle_control(self, method: str, path: str, params: dict) -> tuple[int, dict, Any]:
        m = re.fullmatch(r"/_test/checkout/sessions/([^/]+)/"
                         r"(pay|expire|succeed_async|fail_async)", path)
        if method != "POST" or not m:
            err = StripeAPIError(404, f"Unrecognized request URL ({method}: {path}).")
            return 404, {}, err.to_json()
        sid, action = m.groups()
        send = params.get("send_webhook", "true") != "false"
        try:
            if action == "pay":
                result = self.pay(sid, send_webhook=send,
                                  async_payment=params.get("async_payment") == "true",
                                  method=params.get("method") or None)
            elif action == "expire":
                result = self.expire(sid, send_webhook=send)
            elif action == "succeed_async":
                result = self.succeed_async(sid, send_webhook=send)
            else:
                result = self.fail_async(sid, send_webhook=send)
        except KeyError:
            return 404, {}, _no_such("checkout.session", sid, "session", 404).to_json()
        except (RuntimeError, ValueError) as exc:
            return 400, {}, StripeAPIError(400, str(exc)).to_json()
        return 200, {}, result


# --------------------------------------------------------------------------- HTTP plumbing


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, handler, stripe: StripeServer):
        self.stripe = stripe
        super().__init__(address, handler)


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    server_version = "stripe"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # quiet in tests
        pass

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, status: int, headers: dict, body: Union[bytes, dict, list],
              content_type: str = "application/json") -> None:
        if isinstance(body, (dict, list)):
            body = json.dumps(body, indent=2).encode("utf-8")
        else:
            content_type = "text/html; charset=utf-8"
        self.send_response(status)
        if body or status != 303:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache, no-store")
        self.send_header("Access-Control-Allow-Origin", "*")
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _dispatch(self) -> None:
        stripe = self.server.stripe
        parts = urllib.parse.urlsplit(self.path)
        path, query = parts.path, parts.query
        body = self._read_body() if self.command in ("POST", "DELETE") else b""
        try:
            if path.startswith("/v1/") or path == "/v1":
                status, headers, payload = stripe._handle_api(self.command, path, query, body,
                                                              dict(self.headers.items()))
                self._send(status, headers, payload)
            elif path.startswith("/pay/"):
                sid = urllib.parse.unquote(path[len("/pay/"):])
                if self.command == "POST":
                    form = dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace")))
                    status, headers, page = stripe._hosted_pay(sid, form)
                else:
                    status, headers, page = stripe._hosted_page(sid)
                self._send(status, headers, page)
            elif path.startswith("/_test/"):
                params = dict(urllib.parse.parse_qsl(query))
                params.update(urllib.parse.parse_qsl(body.decode("utf-8", "replace")))
                status, headers, payload = stripe._handle_control(self.command, path, params)
                self._send(status, headers, payload)
            else:
                err = StripeAPIError(404, f"Unrecognized request URL ({self.command}: {path}). "
                                     "Please see https://stripe.com/docs or we can help at "
                                     "https://support.stripe.com/.")
                self._send(404, {}, err.to_json())
        except Exception as exc:  # noqa: BLE001 - answer like Stripe's api_error, keep serving
            err = StripeAPIError(500, f"StripeServer internal error: {type(exc).__name__}: {exc}",
                                 type="api_error")
            try:
                self._send(500, {"Stripe-Should-Retry": "false"}, err.to_json())
            except OSError:
                pass

    do_GET = do_POST = do_DELETE = do_HEAD = _dispatch


# --------------------------------------------------------------------------- pytest fixtures


@pytest.fixture
def stripe_server():
    """A started :class:`StripeServer`, stopped after the test."""
    with StripeServer() as server:
        yield server


if __name__ == "__main__":  # python -m tests.stripe_server [webhook_url]: for poking at it by hand
    import sys

    with StripeServer(port=int(sys.argv[2]) if len(sys.argv) > 2 else 0,
                      webhook_url=sys.argv[1] if len(sys.argv) > 1 else None) as srv:
        print(f"url={srv.url}\napi_key={srv.api_key}\nwebhook_secret={srv.webhook_secret}")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
