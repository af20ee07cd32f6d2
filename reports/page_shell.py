"""The shell of catalogue pages (header, footer, head tags) rendered once, filled per request.

Every catalogue page (list, search, detail, home) wraps its content in
templates/catalogue_shell.html, which extends the shop's base.html. Rendering that
through the template engine on every request cost more than the rest of a cached
page, yet almost all of it depends only on the language, the buyer's currency and the
page's view: those are rendered once per process and kept. What differs per request
is left as slots (markers in the rendered text) and put in with a single join:

- the title, meta description and head tags (canonical, hreflang, OpenGraph, JSON-LD)
  and the content, all from the page's CatalogueContent;
- the address of the page, which the language switcher's links and the currency
  switcher's "next" carry, and the search text in the header's search box;
- the buyer's cart count and messages (read only for a buyer with a session or a
  messages cookie, as the base template reads them).

A kept shell is dropped whenever a setting changes (tests), and never kept with DEBUG
on, so an edited template shows on the next request of a development server.
Requests whose address the slots cannot express (no language prefix) are rendered
through the template engine as before.
"""

import re
import threading

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.signals import setting_changed
from django.http import QueryDict
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import conditional_escape, escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from reports import pricing

TEMPLATE = "catalogue_shell.html"
_MARKER = "shellslot9e2b7a{}end"
_MARKER_PATTERN = re.compile(r"shellslot9e2b7a([a-z_]+)end")
SLOTS = ("title", "description", "head", "cart", "messages", "content")
# The address and search text are put where the templates print request.get_full_path
# and request.GET.q, so the shell is rendered with a stand-in request carrying these.
PATH_SLOT = "path"
QUERY_SLOT = "q"
# Shells for this many (language, currency, view, year) combinations at most.
MAX_SHELLS = 64

_shells: dict[tuple, list[str]] = {}
_lock = threading.Lock()


def _clear(**kwargs):
    with _lock:
        _shells.clear()


setting_changed.connect(_clear, dispatch_uid="catalogue-page-shell")


class _ShellRequest:
    """What the shell's templates read of a request, with slots for the per-request parts.

    No cookies: the context processors then read no session (the cart count and the
    messages have slots of their own).
    """

    def __init__(self, request, language: str, currency: str):
        self.resolver_match = request.resolver_match
        self.path = self.path_info = f"/{language}/{_MARKER.format(PATH_SLOT)}"
        self.GET = QueryDict(mutable=True)
        self.GET["q"] = _MARKER.format(QUERY_SLOT)
        self.COOKIES = {}
        self.META = {}
        self.method = "GET"
        self._buyer_currency = currency

    def get_full_path(self, force_append_slash=False):
        return self.path


def slot(name: str) -> str:
    """The marker a template prints where the slot ``name`` (lower case, _) goes."""
    return mark_safe(_MARKER.format(name))


def split_at_slots(html: str) -> list[str]:
    """Rendered text split at its slots: literal, slot name, literal, ..., literal."""
    return _MARKER_PATTERN.split(html)


def join_slots(parts: list[str], values: dict) -> str:
    """The text with each slot replaced by its value (already escaped HTML)."""
    # parts alternates literal text and slot names: odd positions are slots.
    return "".join(
        part if position % 2 == 0 else values[part] for position, part in enumerate(parts)
    )


def _render_shell(request, language: str, currency: str) -> list[str]:
    context = {"shell_slots": {name: slot(name) for name in SLOTS}}
    html = render_to_string(TEMPLATE, context, request=_ShellRequest(request, language, currency))
    return split_at_slots(html)


def _shell(request, language: str, currency: str) -> list[str]:
    match = request.resolver_match
    key = (language, currency, match.view_name if match else "", timezone.localtime().year)
    parts = _shells.get(key)
    if parts is None:
        parts = _render_shell(request, language, currency)
        if not settings.DEBUG:
            with _lock:
                if len(_shells) >= MAX_SHELLS:
                    _shells.clear()
                _shells[key] = parts
    return parts


def _cart_html(request) -> str:
    # As storefront.context_processors.shop: the session is read only when there is one.
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return ""
    count = len(request.session.get("cart", {}))
    return f' <span class="cart-count">{count}</span>' if count else ""


def _messages_html(request) -> str:
    messages = list(get_messages(request))
    if not messages:
        return ""
    return render_to_string("includes/messages.html", {"messages": messages})


def fill(request, *, title, description, head_html, content_html) -> str | None:
    """The page: the kept shell with this request's parts; None when the shell cannot
    show this request's address (the caller renders the page through the templates)."""
    language = get_language()
    prefix = f"/{language}/"
    full_path = request.get_full_path()
    if not full_path.startswith(prefix):
        return None
    parts = _shell(request, language, pricing.buyer_currency(request))
    values = {
        "title": conditional_escape(title),
        "description": conditional_escape(description),
        "head": head_html,
        "cart": _cart_html(request),
        "messages": _messages_html(request),
        "content": content_html,
        PATH_SLOT: escape(full_path[len(prefix):]),
        QUERY_SLOT: escape(request.GET.get("q", "")),
    }
    return join_slots(parts, values)
