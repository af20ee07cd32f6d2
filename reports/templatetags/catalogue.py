"""Template helpers for the catalogue pages."""

from django import template
from django.conf import settings
from django.urls import translate_url
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, get_language_info

from reports.sanitize import clean_summary_html

register = template.Library()


@register.filter
def sanitize_html(value: str) -> str:
    """Editors' HTML with scripts, event handlers and unsafe links removed."""
    return mark_safe(clean_summary_html(value))


def _in_language(path: str, current: str, code: str) -> str:
    # URL patterns are not translated, so the language prefix is all that differs;
    # swapping it is much cheaper than translate_url()'s resolve and reverse.
    prefix = f"/{current}/"
    if path.startswith(prefix):
        return f"/{code}/{path[len(prefix):]}"
    return translate_url(path, code)


@register.simple_tag(takes_context=True)
def language_links(context):
    """The current page in every language, for the switcher and hreflang links."""
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
                "url": _in_language(path, current, code),
                "absolute_url": request.build_absolute_uri(
                    _in_language(request.path, current, code)
                ),
            }
        )
    request._language_links = links
    return links


@register.filter
def language_name(code: str) -> str:
    try:
        return get_language_info(code)["name_translated"]
    except KeyError:
        return code
