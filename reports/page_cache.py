"""Rendered catalogue content, cached and invalidated as one catalogue version.

A catalogue page is the shop's shell (header, cart count, messages: per buyer,
cheap) around the catalogue content (report cards, key figures, TOC: the same for
everyone, costly). The content is rendered once per catalogue version, language,
currency (reports/pricing.py) and URL and kept in the cache (Redis when configured); an edit of the catalogue
bumps the version, so every page shows it at once, and the cache entries expire
in time for the next scheduled publication.

Forms in the content carry a placeholder that is swapped for the buyer's own
CSRF token on every request, so a cached page never shares a token.

The cache fails open: when it cannot be read or written (Redis down), pages are
built from the database and served, and nothing is stored.

The version lives in the page cache (one round trip reads it with the page), unless
a cache named VERSION_CACHE is configured: then it lives there. The embedded default
(no Redis) keeps pages in each process's memory and the version in a file that every
process of the machine reads (storefront/settings.py), so an edit made in any of them
(the admin, import_reports, seed_catalog) shows in all of them on the next request.

After an edit, many requests for one page miss at once: the first takes a short
lock in the cache and builds it, the others wait for its entry (at most
CATALOGUE_STAMPEDE_WAIT_SECONDS, then they build it themselves). Parts a page is
built from are kept per catalogue version by reports/catalogue_memo.py.

Keys name what a page shows, never the raw address: a page is kept under its
canonical query (only the parameters it uses, in canonical form), and a whole page
only for a request that spells its address exactly that way. What one visitor can
add is bounded too: a page with a query (searches, filters: their number grows
with what visitors type) is stored only within the visitor's budget,
CATALOGUE_CACHE_QUERIES_PER_IP new pages per CATALOGUE_CACHE_SECONDS; past it the
pages are still served, just not kept.
"""

import hashlib
import logging
import math
import threading
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache, caches
from django.core.signals import request_finished, request_started
from django.http import HttpResponse, QueryDict
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from reports import page_shell, pricing, seo
from reports.seo import PageHead

logger = logging.getLogger(__name__)

VERSION_KEY = "catalogue:version"
# The cache alias that holds VERSION_KEY when it is not the page cache (see above).
VERSION_CACHE = "catalogue_version"
CSRF_PLACEHOLDER = "csrf-token-placeholder-7d1c4f"
# Requests rendering content for the cache get the placeholder instead of a token.
RENDERING_FOR_CACHE = "_rendering_catalogue_content_for_cache"
# Whether this request may store pages with a query (its visitor's budget), decided once.
_MAY_STORE_QUERY_PAGES = "_catalogue_cache_may_store_query_pages"


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
    # None when the cache was unavailable: such content is never stored.
    version: int | None = 0
    stale_after: float = 0.0


@dataclass
class CachedPage:
    html: str
    version: int
    stale_after: float


def _first_version() -> int:
    # From the clock, not 1: a version lost with its store (a flushed Redis, a
    # deleted version file) starts again above every number used before, so it
    # never revives an entry kept under an old number (in another process's
    # memory, say).
    return time.time_ns()


def _version_cache():
    """The cache that holds the catalogue version: its own when configured."""
    if VERSION_CACHE in settings.CACHES:
        return caches[VERSION_CACHE]
    return cache


def bump_catalogue_version() -> None:
    """Make every cached catalogue page stale; called after any catalogue edit.

    With the cache down the edit goes through all the same: entries cached before
    the outage end at their own expiry (CATALOGUE_CACHE_SECONDS at most).
    """
    _request_local.version = _UNREAD
    version_cache = _version_cache()
    try:
        try:
            # In a file (the embedded default) incr() reads, then rewrites: two edits
            # at once may write the same number, still above every number a page
            # was built under before they committed, which is all a bump must ensure.
            version_cache.incr(VERSION_KEY)
        except ValueError:  # no version yet (new or flushed cache)
            # No expiry, on purpose: with the volatile-lru policy (README, "Redis
            # memory") a key without one is never evicted.
            version_cache.add(VERSION_KEY, _first_version(), timeout=None)
    except Exception as error:  # the cache fails open (see the module docstring)
        logger.warning("catalogue version not bumped, cache unavailable: %s", error)


def content_key(name: str, *parts: str) -> str:
    # Pages show prices in the buyer's currency: one entry per language and currency.
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
    return f"catalogue:{name}:{get_language()}:{pricing.active_currency()}:{digest}"


def _lookup(key: str):
    """The entry under key if it is current, and the current version: one round trip.

    The version is None when the cache cannot be used; then nothing may be stored.
    With the version in a cache of its own (the embedded default), two reads.
    """
    version_cache = _version_cache()
    try:
        if version_cache is cache:
            values = cache.get_many([VERSION_KEY, key])
            version, entry = values.get(VERSION_KEY), values.get(key)
        else:
            version, entry = version_cache.get(VERSION_KEY), cache.get(key)
        if version is None:
            # add() so that processes starting at once agree on the first version;
            # no expiry, for the reason given in bump_catalogue_version().
            version_cache.add(VERSION_KEY, _first_version(), timeout=None)
            version = version_cache.get(VERSION_KEY)
    except Exception as error:  # the cache fails open (see the module docstring)
        logger.warning("catalogue cache unavailable, page built from the database: %s", error)
        return None, None
    if entry is not None and entry.version == version and entry.stale_after > time.time():
        return entry, version
    return None, version


# The version as read once per request, for the parts a page is built from
# (reports/catalogue_memo.py): one cache round trip a request, not one per part.
_request_local = threading.local()
_UNREAD = object()


def _start_request(**kwargs):
    _request_local.version = _UNREAD
    _request_local.in_request = True


def _end_request(**kwargs):
    _request_local.version = _UNREAD
    _request_local.in_request = False


request_started.connect(_start_request, dispatch_uid="catalogue-version-start")
request_finished.connect(_end_request, dispatch_uid="catalogue-version-end")


def current_version() -> int | None:
    """The catalogue version, or None when the cache cannot be read.

    Read once per request (and again after an edit made by the request itself);
    outside requests (commands, tasks) on every call.
    """
    if not getattr(_request_local, "in_request", False):
        return _read_version()
    if _request_local.version is _UNREAD:
        _request_local.version = _read_version()
    return _request_local.version


def _read_version() -> int | None:
    version_cache = _version_cache()
    try:
        version = version_cache.get(VERSION_KEY)
        if version is None:
            version_cache.add(VERSION_KEY, _first_version(), timeout=None)
            version = version_cache.get(VERSION_KEY)
    except Exception as error:  # the cache fails open (see the module docstring)
        logger.warning("catalogue version unreadable, cache unavailable: %s", error)
        return None
    return version


def _store(key: str, value, timeout: int) -> None:
    # Every entry expires (timeout >= 1): see README, "Redis memory".
    try:
        cache.set(key, value, timeout=max(1, timeout))
    except Exception as error:  # the cache fails open (see the module docstring)
        logger.warning("catalogue cache unavailable, page not stored: %s", error)


def _may_store(request, query: str) -> bool:
    """Whether a page built for this request may be stored.

    Pages without a query are bounded by the catalogue and always kept. A page with
    one spends one unit of the visitor's budget (per IP address, per window of
    CATALOGUE_CACHE_SECONDS); decided once per request.
    """
    if not query or request is None:
        return True
    decided = getattr(request, _MAY_STORE_QUERY_PAGES, None)
    if decided is not None:
        return decided
    window = settings.CATALOGUE_CACHE_SECONDS
    address = request.META.get("REMOTE_ADDR", "")
    digest = hashlib.sha256(address.encode()).hexdigest()[:32]
    key = f"catalogue:budget:{digest}:{int(time.time()) // window}"
    try:
        cache.add(key, 0, timeout=window)
        spent = cache.incr(key)
    except Exception:  # unavailable, or the key expired in between: store nothing
        spent = None
    decided = spent is not None and spent <= settings.CATALOGUE_CACHE_QUERIES_PER_IP
    setattr(request, _MAY_STORE_QUERY_PAGES, decided)
    return decided


def render_content(request, template: str, context: dict) -> str:
    """Render catalogue content with the CSRF placeholder in its forms."""
    setattr(request, RENDERING_FOR_CACHE, True)
    try:
        return render_to_string(template, context, request=request)
    finally:
        delattr(request, RENDERING_FOR_CACHE)


def cached_content(
    key: str, build, *, seconds_until_change, request=None, query: str = ""
) -> CatalogueContent:
    """The content under key, built (and cached) when missing or stale.

    build() returns a CatalogueContent; seconds_until_change() caps how long it
    may be kept (the next scheduled publication), asked only on a miss. query is
    the page's canonical query string: a page with one is stored only within the
    budget of the request's visitor.
    """
    if settings.CATALOGUE_CACHE_SECONDS <= 0:  # caching switched off
        return build()
    content, version = _lookup(key)
    if content is not None:
        return content
    lock = _build_lock(key, version)
    if lock is _WAITED:
        content, version = _lookup(key)
        if content is not None:
            return content
    try:
        content = _build(key, build)
        timeout = min(settings.CATALOGUE_CACHE_SECONDS, max(1, seconds_until_change()))
        # Stamped with the version read before building: an edit during the build
        # bumps the version, so this entry is already stale and never served.
        content.version = version
        content.stale_after = time.time() + timeout
        if version is not None and _may_store(request, query):
            _store(key, content, timeout)
    finally:
        _release(lock)
    return content


# --- Stampedes: one build per entry, the other requests wait for it ------------------

_WAITED = "waited"
_POLL_SECONDS = 0.02


def _build(key: str, build):
    logger.debug("catalogue content built: %s", key)
    return build()


def _build_lock(key: str, version: int | None):
    """Take the right to build key, or wait for the request that has it.

    Right after an edit every request for a page misses at once; the first one
    takes a short lock in the cache and builds, the others poll for its entry
    for up to CATALOGUE_STAMPEDE_WAIT_SECONDS and build it themselves only after
    that (a slow or failed builder never blocks a page for longer). Returns the
    lock's key when taken, _WAITED after waiting, None when there is no lock
    (switched off, or the cache is down: fail open).
    """
    wait = settings.CATALOGUE_STAMPEDE_WAIT_SECONDS
    if wait <= 0 or version is None:
        return None
    lock_key = f"{key}:building:{version}"
    try:
        if cache.add(lock_key, 1, timeout=max(1, math.ceil(wait))):
            return lock_key
    except Exception as error:  # the cache fails open (see the module docstring)
        logger.warning("catalogue cache unavailable, page built without a lock: %s", error)
        return None
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        time.sleep(_POLL_SECONDS)
        entry, current = _lookup(key)
        if entry is not None or current != version:
            break
        try:
            if cache.get(lock_key) is None:  # built but not kept (a visitor's budget)
                break
        except Exception:
            break
    return _WAITED


def _release(lock) -> None:
    if lock is None or lock is _WAITED:
        return
    try:
        cache.delete(lock)
    except Exception as error:  # it expires on its own
        logger.warning("catalogue build lock not released: %s", error)


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
        if version is not None:
            # The version read before building, as in cached_content().
            stale_after = time.time() + timeout
            _store(key, CachedPage(html=text, version=version, stale_after=stale_after), timeout)
        return text
    return document.html


def _whole_page_cacheable(request, query: str) -> bool:
    # A buyer with a session (cart) or pending messages sees a personal shell, and
    # the shell shows the address (language links, search box): a whole page is
    # kept only for the canonical address, so one entry per page.
    return (
        settings.CATALOGUE_CACHE_SECONDS > 0
        and request.method == "GET"
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
        and _spells_query(request, query)
    )


def _spells_query(request, query: str) -> bool:
    """Whether the request's query string is the canonical one, however it is encoded.

    The same parameters with the same values, in the same order: percent-encoded in
    upper or lower case or not at all (a browser sends 医学 as %E5%8C%BB%E5%AD%A6,
    some clients send the UTF-8 bytes as they are). The page then shows the same
    (the search box shows the decoded value); its links are rendered from the
    canonical spelling (render_page).
    """
    spelled = request.META.get("QUERY_STRING", "")
    if spelled == query:
        return True
    pairs = [(name, value) for name, values in request.GET.lists() for value in values]
    if not query:
        return not pairs
    return pairs == [
        (name, value) for name, values in QueryDict(query).lists() for value in values
    ]


def _page_key(request, query: str) -> str:
    return content_key("page", request.path, query)


def _with_csrf_token(request, html: str) -> str:
    # Only pages with a form get a token (and so a CSRF cookie).
    if CSRF_PLACEHOLDER in html:
        return html.replace(CSRF_PLACEHOLDER, get_token(request))
    return html


def cached_page(request, *, query: str = "") -> HttpResponse | None:
    """The whole page for a visitor without a session, if it was rendered before.

    query: the page's canonical query string ("" for pages without parameters).
    """
    if not _whole_page_cacheable(request, query):
        return None
    page, _version = _lookup(_page_key(request, query))
    if page is None:
        return None
    return HttpResponse(_with_csrf_token(request, page.html))


def render_page(request, content: CatalogueContent, *, status=200, query: str = ""):
    """The page around the content; kept whole for visitors without a session.

    The shell around the content is rendered once and filled per request
    (reports/page_shell.py); through the templates only when it cannot be.
    """
    store = (
        status == 200
        and content.version is not None  # None: the cache was unavailable when it was built
        and _whole_page_cacheable(request, query)
        and _may_store(request, query)
    )
    spelled = request.META.get("QUERY_STRING", "")
    if store:
        # Links to this page (other languages, currencies) in the canonical spelling, so
        # the kept page is the same whichever spelling built it.
        request.META["QUERY_STRING"] = query
    try:
        html = _filled_shell(request, content)
        if html is None:
            if not store:
                context = page_context(request, content)
                return render(request, "catalogue_page.html", context, status=status)
            setattr(request, RENDERING_FOR_CACHE, True)
            try:
                html = render_to_string(
                    "catalogue_page.html", page_context(request, content, keep_placeholder=True),
                    request,
                )
            finally:
                delattr(request, RENDERING_FOR_CACHE)
    finally:
        request.META["QUERY_STRING"] = spelled
    if store:
        timeout = max(1, int(content.stale_after - time.time()))
        page = CachedPage(html=html, version=content.version, stale_after=content.stale_after)
        _store(_page_key(request, query), page, timeout)
    return HttpResponse(_with_csrf_token(request, html), status=status)


def _filled_shell(request, content: CatalogueContent) -> str | None:
    """The page from the kept shell, with the CSRF placeholder still in; None when the
    shell cannot serve this request (content cached before it had a head, or an address
    without a language prefix)."""
    if content.head is None:
        return None
    return page_shell.fill(
        request,
        title=content.title,
        description=content.meta_description,
        head_html=seo.head_html(content.head),
        content_html=content.html,
    )


def page_context(request, content: CatalogueContent, *, keep_placeholder=False) -> dict:
    """Context for templates/catalogue_page.html, with the buyer's own CSRF token."""
    html = content.html if keep_placeholder else _with_csrf_token(request, content.html)
    head = content.head
    return {
        "page_title": content.title,
        "page_meta_description": content.meta_description,
        "page_content": mark_safe(html),  # rendered by our own templates, escaped there
        "page_head": head,
        "page_head_html": seo.head_html(head) if head else "",
    }


def seconds_until(moment) -> int:
    if moment is None:
        return settings.CATALOGUE_CACHE_SECONDS
    return int((moment - timezone.now()).total_seconds()) + 1
