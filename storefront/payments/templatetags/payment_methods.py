"""{% online_payment_methods currency %}: the methods Stripe Checkout offers in a currency."""

from django import template

from storefront.payments import methods

register = template.Library()


@register.simple_tag
def online_payment_methods(currency: str) -> str:
    """"Card, Alipay or WeChat Pay" when more than cards are offered, else ""."""
    if len(methods.method_types(currency)) < 2:
        return ""
    return methods.label_list(currency)
