from django.conf import settings
from django.core.checks import Error, register

from reports import currencies


@register()
def shop_currencies_are_iso_4217(app_configs, **kwargs):
    """Every sold currency needs ISO 4217 minor units, or its prices cannot be charged exactly."""
    if not settings.SHOP_CURRENCIES:
        return [
            Error(
                "SHOP_CURRENCIES names no currency.",
                hint='Give ISO 4217 codes separated by commas, e.g. "USD,EUR,GBP,CNY,JPY".',
                id="reports.E001",
            )
        ]
    return [
        Error(
            f"SHOP_CURRENCIES: {code!r} is not an ISO 4217 currency with a minor unit.",
            hint="Use current ISO 4217 codes such as USD, EUR, JPY or KWD; metals, XDR, "
            "XTS and XXX have no minor unit and cannot price a licence.",
            id="reports.E002",
        )
        for code in settings.SHOP_CURRENCIES
        if currencies.exponent(code) is None
    ]


@register()
def exchange_rates_are_readable(app_configs, **kwargs):
    """An indicative amount needs a rate and the date it was published."""
    from reports.pricing import check_exchange_rates

    return [
        Error(f"SHOP_EXCHANGE_RATES: {problem}", id="reports.E003")
        for problem in check_exchange_rates(settings.SHOP_EXCHANGE_RATES)
    ]
