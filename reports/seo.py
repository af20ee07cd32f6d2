"""What search engines and link previews read in a catalogue page's head.

Built once with the page's content and cached with it (reports.page_cache), so a
cache hit shows canonical, hreflang, OpenGraph and JSON-LD without a query.
Every address is absolute and based on settings.SITE_URL, not on the request's
Host header, so a page reached through another name still points at the shop.
"""

import html
import json
from dataclasses import dataclass, field

from django.conf import settings
from django.urls import translate_url
from django.utils.html import conditional_escape, strip_tags
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import get_language

# OpenGraph wants territory locales, not language codes.
OG_LOCALES = {"en": "en_US", "zh-hans": "zh_CN", "zh-hant": "zh_TW"}
DESCRIPTION_CHARS = 300
# Escaped like django.utils.html.json_script, so text inside the JSON (a summary
# with "</script>") can never end the script element early.
JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@dataclass
class PageHead:
    """The head of one catalogue page in one language."""

    canonical_url: str
    # (hreflang, absolute URL): every language, then x-default.
    alternates: list[tuple[str, str]]
    title: str
    description: str
    og_type: str = "website"
    og_locale: str = ""
    og_locale_alternates: list[str] = field(default_factory=list)
    site_name: str = ""
    # schema.org data as JSON, already escaped for a <script> element.
    structured_data: str = ""


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def path_in_language(path: str, code: str, current: str | None = None) -> str:
    """The same page in another language."""
    current = current or get_language()
    # URL patterns are not translated, so the language prefix is all that differs;
    # swapping it is much cheaper than translate_url()'s resolve and reverse.
    prefix = f"/{current}/"
    if path.startswith(prefix):
        return f"/{code}/{path[len(prefix):]}"
    return translate_url(path, code)


def hreflang_alternates(path: str) -> list[tuple[str, str]]:
    """Absolute hreflang links for a path in the active language, with x-default.

    x-default is the English page (the shop's default language) rather than the
    unprefixed address, which only redirects by the visitor's Accept-Language.
    """
    links = [
        (code, absolute_url(path_in_language(path, code))) for code, _name in settings.LANGUAGES
    ]
    default = dict(links)[settings.LANGUAGE_CODE]
    return [*links, ("x-default", default)]


def plain_text(value: str) -> str:
    """Editors' HTML as text for a meta tag: no tags, no entities, one line."""
    return " ".join(html.unescape(strip_tags(value or "")).split())


def description_of(report) -> str:
    """The shown translation's meta description, or the start of its summary."""
    return (
        plain_text(report.meta_description)
        or Truncator(plain_text(report.summary)).chars(DESCRIPTION_CHARS)
        or report.title
    )


def page_head(
    *, path: str, title: str, description: str, og_type: str = "website", data: dict | None = None
) -> PageHead:
    """The head of the page at path (in the active language)."""
    language = get_language()
    own_locale = OG_LOCALES.get(language, "")
    return PageHead(
        canonical_url=absolute_url(path),
        alternates=hreflang_alternates(path),
        title=title,
        description=description,
        og_type=og_type,
        og_locale=own_locale,
        og_locale_alternates=[
            locale for locale in OG_LOCALES.values() if locale != own_locale
        ],
        site_name=settings.SHOP_NAME,
        structured_data=json_for_script(data) if data else "",
    )


def head_html(head: PageHead) -> SafeString:
    """The head's tags (canonical, hreflang, OpenGraph, JSON-LD) as HTML.

    Formatted here rather than by a template: every catalogue page shows it on
    every request, and this costs a tenth of a template render.
    """
    e = conditional_escape
    lines = [f'\n  <link rel="canonical" href="{e(head.canonical_url)}">\n  ']
    lines += [
        f'<link rel="alternate" hreflang="{e(code)}" href="{e(url)}">\n  '
        for code, url in head.alternates
    ]
    lines.append(
        f'<meta property="og:type" content="{e(head.og_type)}">\n'
        f'  <meta property="og:title" content="{e(head.title)}">\n'
        f'  <meta property="og:description" content="{e(head.description)}">\n'
        f'  <meta property="og:url" content="{e(head.canonical_url)}">\n'
        f'  <meta property="og:site_name" content="{e(head.site_name)}">\n'
        f'  <meta property="og:locale" content="{e(head.og_locale)}">\n  '
    )
    lines += [
        f'<meta property="og:locale:alternate" content="{e(locale)}">\n  '
        for locale in head.og_locale_alternates
    ]
    if head.structured_data:
        # Escaped for a <script> element by json_for_script() when it was built.
        lines.append(f'<script type="application/ld+json">{head.structured_data}</script>\n')
    return mark_safe("".join(lines))


def json_for_script(data: dict) -> str:
    """JSON that is safe inside <script type="application/ld+json">."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.translate(JSON_SCRIPT_ESCAPES)


def _organization(name: str, url: str = "") -> dict:
    organization = {"@type": "Organization", "name": name}
    if url:
        organization["url"] = url
    return organization


def availability(report) -> str:
    """What search engines are told: in stock with a master PDF, made to order when
    delivered on order, out of stock when it cannot be bought."""
    if report.has_master:
        return "https://schema.org/InStock"
    if report.delivered_on_order:
        return "https://schema.org/MadeToOrder"
    return "https://schema.org/OutOfStock"


def product_data(*, report, license_options, categories, url: str, description: str) -> dict:
    """schema.org Product for a report: one Offer per licence, in the page's language."""
    seller = _organization(settings.SHOP_NAME, absolute_url("/"))
    offer_availability = availability(report)
    product = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": report.title,
        "description": description,
        "sku": report.product_code,
        "productID": report.product_code,
        "url": url,
        "brand": _organization(report.publisher.name, report.publisher.website),
        "releaseDate": report.published_on.isoformat(),
        "offers": [
            {
                "@type": "Offer",
                "name": option.get_license_type_display(),
                # A string with the currency's two decimals, as Google asks.
                "price": f"{option.price:.2f}",
                "priceCurrency": option.currency,
                "availability": offer_availability,
                "url": url,
                "seller": seller,
            }
            for option in license_options
        ],
    }
    if categories:
        product["category"] = str(categories[0])
    return product
