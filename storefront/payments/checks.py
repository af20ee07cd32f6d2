from django.conf import settings
from django.core.checks import Error, Tags, register


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
