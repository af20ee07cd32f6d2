from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from reports import currencies
from storefront.payments import methods, stripe_api


@register(Tags.security)
def stripe_configured_in_production(app_configs, **kwargs):
    """A production shop must take real payments and verify Stripe's webhooks."""
    if settings.DEBUG:
        return []
    missing = [
        name for name in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET") if not getattr(settings, name)
    ]
    if not missing:
        return []
    return [
        Error(
            f"{', '.join(missing)} must be set when DEBUG is off.",
            hint="Card payments use Stripe; the development gateway only runs with DEBUG on.",
            id="payments.E001",
        )
    ]


@register(Tags.caches)
def broker_configured_in_production(app_configs, **kwargs):
    """Without Redis, tasks (PDF stamping, mail) run inside web requests."""
    if settings.DEBUG or settings.REDIS_URL:
        return []
    return [
        Warning(
            "REDIS_URL is not set: delivery and mail run inside web requests, and the "
            "cache is per process.",
            hint="Set REDIS_URL and run a Celery worker and beat in production.",
            id="payments.W001",
        )
    ]


@register()
def shop_currencies_chargeable_by_stripe(app_configs, **kwargs):
    """A sold currency Stripe counts more coarsely than ISO 4217 would refuse valid prices."""
    errors = []
    for code in settings.SHOP_CURRENCIES:
        iso_places, stripe_places = currencies.exponent(code), stripe_api.stripe_exponent(code)
        if iso_places is not None and stripe_places is not None and stripe_places < iso_places:
            errors.append(
                Error(
                    f"SHOP_CURRENCIES: Stripe charges {code} in whole units, but ISO 4217 "
                    f"gives it {iso_places} decimal places, so a valid price could not be "
                    "charged.",
                    hint=f"Remove {code} from SHOP_CURRENCIES.",
                    id="payments.E002",
                )
            )
    return errors


@register()
def stripe_payment_methods_known(app_configs, **kwargs):
    """Every configured Checkout method must be one the shop knows the currencies of."""
    configured = settings.STRIPE_PAYMENT_METHODS
    unknown = [method for method in configured if method not in methods.PRESENTMENT_CURRENCIES]
    errors = [
        Error(
            f"STRIPE_PAYMENT_METHODS: {method!r} is not a payment method the shop offers.",
            hint="Use card, alipay and wechat_pay, separated by commas.",
            id="payments.E003",
        )
        for method in unknown
    ]
    if "card" not in configured:
        errors.append(
            Error(
                "STRIPE_PAYMENT_METHODS must include card: it is the one method Stripe takes "
                "in every currency the shop sells.",
                hint="For example STRIPE_PAYMENT_METHODS=card,alipay,wechat_pay",
                id="payments.E004",
            )
        )
    return errors
