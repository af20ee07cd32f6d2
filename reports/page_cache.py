"""Rendered catalogue content, cached and invalidated as one catalogue version.

A catalogue page is the shop's shell (header, cart count, messages: per buyer,
cheap) around the catalogue content (report cards, key figures, TOC: the same for
everyone, costly). The content is rendered once per catalogue version, language
and URL and kept in the cache (Redis when configured); an edit of the catalogue
bumps the version, so every page shows it at once, and the cache entries expire
in time for the next scheduled publication.

Forms in the content carry a placeholder that is swapped for the buyer's own
CSRF token on every request, so a cached page never shares a token.
"""

import hashlib
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from reports.seo import PageHead

VERSION_KEY = "catalogue:version"
CSRF_PLACEHOLDER = "csrf-token-placeholder-7d1c4f"
# Requests rendering content for the cache get the placeholder instead of a token.
RENDERING_FOR_CACHE = "_rendering_catalogue_content_for_cache"


@dataclass
class CatalogueContent:
    """What a catalogue view shows, ready to drop into the page shell."""

    title: str
    meta_description: str
    html: str
    # Canonical, hreflang, OpenGraph and JSON-LD: cached with the content, so a hit
    # costs no query. None in entries cached before it existed.
    head: PageHead | None = None
    # Facts the view needs on a cache hit without a query (e.g. a report's slug).
    facts: dict = field(default_factory=dict)
    # The catalogue version it was built from, and the Unix time after which it is
    # stale (the next scheduled publication). Both are checked on read, so expiry
    # holds whatever the backend does.
    version: int = 0
    stale_after: float = 0.0


@dataclass
class CachedPage:
    html: str
    version: int
    stale_after: float


def bump_catalogue_version() -> None:
    """Make every cached catalogue page stale; called after any catalogue edit."""
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # no version yet (new or flushed cache)
        cache.add(VERSION_KEY, 2, timeout=None)


def content_key(name: str, *parts: str) -> str:
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
    return f"catalogue:{name}:{get_language()}:{digest}"


def _lookup(key: str):
    """The entry under key if it is current, and the current version: one round trip."""
    values = cache.get_many([VERSION_KEY, key])
    version = values.get(VERSION_KEY)
    if version is None:
        # add() so that processes starting at once agree on the first version.
        cache.add(VERSION_KEY, 1, timeout=None)
        version = cache.get(VERSION_KEY, 1)
    entry = values.get(key)
    if entry is not None and entry.version == version and entry.stale_after > time.time():
        return entry, version
    return None, version


def render_content(request, template: str, context: dict) -> str:
    """Render catalogue content with the CSRF placeholder in its forms."""
    setattr(request, RENDERING_FOR_CACHE, True)
    try:
        return render_to_string(template, context, request=request)
    finally:
        delattr(request, RENDERING_FOR_CACHE)


def cached_content(key: str, build, *, seconds_until_change) -> CatalogueContent:
    """The content under key, built (and cached) when missing or stale.

    build() returns a CatalogueContent; seconds_until_change() caps how long it
    may be kept (the next scheduled publication), asked only on a miss.
    """
    if settings.CATALOGUE_CACHE_SECONDS <= 0:  # caching switched off
        return build()
    content, version = _lookup(key)
    if content is None:
        content = build()
        timeout = min(settings.CATALOGUE_CACHE_SECONDS, max(1, seconds_until_change()))
        # Stamped with the version read before building: an edit during the build
        # bumps the version, so this entry is already stale and never served.
        content.version = version
        content.stale_after = time.time() + timeout
        cache.set(key, content, timeout=timeout)
    return content


def cached_document(key: str, build, *, seconds_until_change) -> str:
    """Text built from the catalogue (a sitemap), kept until the catalogue changes.

    Like cached_content(), but the key is the caller's (not per language) and
    build() returns the text.
    """
    if settings.CATALOGUE_CACHE_SECONDS <= 0:
        return build()
    document, version = _lookup(key)
    if document is None:
        text = build()
        timeout = min(settings.CATALOGUE_CACHE_SECONDS, max(1, seconds_until_change()))
        # The version read before building, as in cached_content().
        document = CachedPage(html=text, version=version, stale_after=time.time() + timeout)
        cache.set(key, document, timeout=timeout)
    return document.html


def _whole_page_cacheable(request, allowed_parameters) -> bool:
    # A buyer with a session (cart) or pending messages sees a personal shell.
    return (
        settings.CATALOGUE_CACHE_SECONDS > 0
        and request.method == "GET"
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
        and set(request.GET) <= set(allowed_parameters)
    )


def _page_key(request) -> str:
    return content_key("page", request.get_full_path())


def _with_csrf_token(request, html: str) -> str:
    # Only pages with a form get a token (and so a CSRF cookie).
    if CSRF_PLACEHOLDER in html:
        return html.replace(CSRF_PLACEHOLDER, get_token(request))
    return html


def cached_page(request, *, allowed_parameters=()) -> HttpResponse | None:
    """The whole page for a visitor without a session, if it was rendered before."""
    if not _whole_page_cacheable(request, allowed_parameters):
        return None
    page, _version = _lookup(_page_key(request))
    if page is None:
        return None
    return HttpResponse(_with_csrf_token(request, page.html))


def render_page(request, content: CatalogueContent, *, status=200, allowed_parameters=()):
    """The page around the content; kept whole for visitors without a session."""
    if status != 200 or not _whole_page_cacheable(request, allowed_parameters):
        return render(request, "catalogue_page.html", page_context(request, content), status=status)
    setattr(request, RENDERING_FOR_CACHE, True)
    try:
        html = render_to_string(
            "catalogue_page.html", page_context(request, content, keep_placeholder=True), request
        )
    finally:
        delattr(request, RENDERING_FOR_CACHE)
    timeout = max(1, int(content.stale_after - time.time()))
    page = CachedPage(html=html, version=content.version, stale_after=content.stale_after)
    cache.set(_page_key(request), page, timeout=timeout)
    return HttpResponse(_with_csrf_token(request, html))


def page_context(request, content: CatalogueContent, *, keep_placeholder=False) -> dict:
    """Context for templates/catalogue_page.html, with the buyer's own CSRF token."""
    html = content.html if keep_placeholder else _with_csrf_token(request, content.html)
    head = content.head
    return {
        "page_title": content.title,
        "page_meta_description": content.meta_description,
        "page_content": mark_safe(html),  # rendered by our own templates, escaped there
        "page_head": head,
        # Escaped for a <script> element by reports.seo.json_for_script().
        "page_structured_data": mark_safe(head.structured_data) if head else "",
    }


def seconds_until(moment) -> int:
    if moment is None:
        return settings.CATALOGUE_CACHE_SECONDS
    return int((moment - timezone.now()).total_seconds()) + 1
