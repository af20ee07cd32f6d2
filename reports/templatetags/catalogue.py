"""Template helpers for the catalogue pages."""

from django import template
from django.conf import settings
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, get_language_info

from reports import seo
from reports.sanitize import clean_summary_html, split_summary

register = template.Library()

# Pages about one buyer's cart, order or payment: nothing for a search engine.
PRIVATE_VIEWS = frozenset(
    {
        "orders:cart",
        "orders:checkout",
        "orders:detail",
        "orders:pay",
        "payments:success",
        "payments:development_gateway",
        "library:home",
        "library:request_sign_in",
        "library:code",
        "library:link",
    }
)


# About four lines of a summary on a desktop, seven on a phone, before "Read more".
SUMMARY_LEAD_CHARS = 450


@register.simple_tag
def summary_parts(value: str):
    """The cleaned summary cut for "Read more": {"lead": html, "rest": html or ""}."""
    lead, rest = split_summary(value, lead_chars=SUMMARY_LEAD_CHARS)
    return {"lead": mark_safe(lead), "rest": mark_safe(rest)}


@register.filter
def sanitize_html(value: str) -> str:
    """Editors' HTML with scripts, event handlers and unsafe links removed."""
    return mark_safe(clean_summary_html(value))


@register.simple_tag(takes_context=True)
def language_links(context):
    """The current page in every language, for the language switcher."""
    request = context["request"]
    cached = getattr(request, "_language_links", None)
    if cached is not None:
        return cached
    current = get_language()
    path = request.get_full_path()
    links = []
    for code, _name in settings.LANGUAGES:
        info = get_language_info(code)
        links.append(
            {
                "code": code,
                "name_local": info["name_local"],
                "url": seo.path_in_language(path, code, current),
            }
        )
    request._language_links = links
    return links


@register.simple_tag(takes_context=True)
def hreflang_alternates(context):
    """(hreflang, absolute URL) of this page in every language, and x-default.

    For pages outside the cached catalogue; those carry their own (reports.seo).
    """
    return seo.hreflang_alternates(context["request"].path)


@register.filter
def is_private_page(request) -> bool:
    match = getattr(request, "resolver_match", None)
    return match is not None and match.view_name in PRIVATE_VIEWS


@register.filter
def language_name(code: str) -> str:
    try:
        return get_language_info(code)["name_translated"]
    except KeyError:
        return code


@register.filter
def licence_scope(option):
    """Who may read, how many people and sharing, for a licence option (reports.licences)."""
    from reports.licences import scope_of

    return scope_of(option.license_type)
