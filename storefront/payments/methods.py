"""Which Stripe Checkout payment methods an order is offered, by its currency.

The shop offers the methods named in ``STRIPE_PAYMENT_METHODS`` that Stripe accepts
in the order's currency: a Checkout Session that names a method for a currency it
does not take is refused by Stripe, so the filter runs before the session is made.
"""

from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# Stripe's documented presentment currencies per method ("Determine compatibility" on
# docs.stripe.com/payments/alipay/accept-a-payment and …/wechat-pay/accept-a-payment).
# Cards take every currency Stripe charges (None: no restriction here).
PRESENTMENT_CURRENCIES: dict[str, frozenset[str] | None] = {
    "card": None,
    "alipay": frozenset("AUD CAD CNY EUR GBP HKD JPY MYR NZD SGD USD".split()),
    "wechat_pay": frozenset("AUD CAD CHF CNY DKK EUR GBP HKD JPY NOK SEK SGD USD".split()),
}

# Options Stripe requires with a method on a Checkout Session: WeChat Pay must be told
# which client pays (the web page shows a QR code to scan with the WeChat app).
METHOD_OPTIONS = {"wechat_pay": {"client": "web"}}

LABELS = {
    "card": _("Card"),
    "alipay": _("Alipay"),
    "wechat_pay": _("WeChat Pay"),
}


def method_types(currency: str) -> list[str]:
    """The configured methods Stripe takes in ``currency``, in the setting's order."""
    code = currency.upper()
    return [
        method
        for method in settings.STRIPE_PAYMENT_METHODS
        if method in PRESENTMENT_CURRENCIES
        and (PRESENTMENT_CURRENCIES[method] is None or code in PRESENTMENT_CURRENCIES[method])
    ]


def checkout_params(currency: str) -> dict:
    """``payment_method_types`` and their options for a Checkout Session in ``currency``."""
    types = method_types(currency)
    params = {"payment_method_types": types}
    options = {method: METHOD_OPTIONS[method] for method in types if method in METHOD_OPTIONS}
    if options:
        params["payment_method_options"] = options
    return params


def labels(currency: str) -> list:
    """The buyer-facing names of the methods offered in ``currency``."""
    return [LABELS[method] for method in method_types(currency)]


def label_list(currency: str) -> str:
    """"Card, Alipay or WeChat Pay": the methods offered in ``currency``, in a sentence."""
    names = [str(name) for name in labels(currency)]
    if len(names) <= 1:
        return "".join(names)
    # Translators: joins payment method names before the last ("Card, Alipay").
    separator = gettext(", ")
    return gettext("%(methods)s or %(last)s") % {
        "methods": separator.join(names[:-1]),
        "last": names[-1],
    }
