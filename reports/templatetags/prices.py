"""Prices in the buyer's currency, kept apart from the rest of a page's markup.

Report cards and licence tables call these tags for their prices only, so a page can
be cached per language and currency (reports/page_cache.py) while the cards around
the prices stay the same for every currency.
"""

from django import template

from reports import pricing

register = template.Library()


def price_context(option) -> dict:
    wanted = pricing.active_currency()
    return {
        "option": option,
        "buyer_currency": wanted,
        "other_currency": option is not None and option.currency != wanted,
        "indicative": (
            pricing.indicative(option.price, option.currency, wanted) if option else None
        ),
    }


@register.inclusion_tag("includes/price.html")
def licence_price(option):
    """A licence's price; in another currency, that one, and an indicative conversion."""
    return price_context(option)


@register.inclusion_tag("includes/price_from.html", takes_context=True)
def price_from(context, report):
    """A card's "From …" price in the buyer's currency, from the page's CardPrices."""
    prices = context.get("card_prices")
    if prices is None or not prices.covers(report.pk):
        options = list(report.license_options.all())
        return price_context(pricing.lowest_option(options, pricing.active_currency()))
    return price_context(prices.lowest(report.pk))
