"""Request checks that hold for every URL of the shop and the admin."""

import logging

from django.http import HttpResponseBadRequest
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _has_nul(pairs) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in pairs)


def _carries_nul(request) -> bool:
    if "\x00" in request.path or _has_nul(request.GET.lists()):
        return True
    if any("\x00" in key or "\x00" in value for key, value in request.COOKIES.items()):
        return True
    # HTTP forbids NUL in header values, yet User-Agent and Referer are stored.
    if any(key.startswith("HTTP_") and "\x00" in str(value)
           for key, value in request.META.items()):
        return True
    # CsrfViewMiddleware parses the same form a moment later. Uploaded file names
    # need no check: Django's parser drops their unprintable characters.
    return (
        request.method == "POST"
        and request.content_type in FORM_CONTENT_TYPES
        and _has_nul(request.POST.lists())
    )


class RejectNulCharactersMiddleware:
    """Answer 400 to a request whose path, query, form, cookies or headers carry a NUL.

    PostgreSQL cannot hold NUL in text, so such a value reaching any query (a
    converter's lookup, a form's cleaned data, an admin filter, the session
    cookie, a stored User-Agent) is a 500; and no address, form field, cookie or
    header of the shop ever needs one. One check in front of every view also covers
    the views and admin pages written tomorrow, where converters and form validators
    would each have to be remembered.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _carries_nul(request):
            logger.warning("refused a request with a NUL character: %r", request.path)
            # Rendered without the request: its context processors would read the
            # session, whose cookie may be the very value refused.
            return HttpResponseBadRequest(render_to_string("400.html"))
        return self.get_response(request)
