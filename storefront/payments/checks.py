from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


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
