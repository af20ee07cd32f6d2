"""The library's pages: thin, they call services and read the session's proven address."""

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from storefront import throttle
from storefront.delivery.services import AccessEnded, FreshLinks
from storefront.library import selectors, services, session
from storefront.library.forms import CodeForm, EmailForm

SIGN_IN_RATE_LIMIT = throttle.RateLimit(name="library", setting_prefix="LIBRARY_SIGN_IN_RATE_LIMIT")


@never_cache
@require_GET
def home(request):
    """The library once the address is proven; otherwise the form that mails a sign-in."""
    email = session.verified_email(request)
    if email is None:
        return _sign_in_page(request, EmailForm())
    context = {"email": email, "orders": selectors.library_of(email)}
    return render(request, "library/library.html", context)


def _sign_in_page(request, form, status=200):
    context = {"form": form, "minutes": settings.LIBRARY_SIGN_IN_CODE_MINUTES}
    return render(request, "library/sign_in.html", context, status=status)


@never_cache
@require_POST
def request_sign_in(request):
    form = EmailForm(request.POST)
    if not form.is_valid():
        return _sign_in_page(request, form, status=400)
    email = form.cleaned_data["email"]
    if not throttle.allow(SIGN_IN_RATE_LIMIT, ip_address=throttle.client_ip(request), email=email):
        return render(request, "library/rate_limited.html", status=429)
    services.request_sign_in(email=email, language=get_language())
    session.mark_pending(request, email)
    return redirect("library:code")


@never_cache
@require_http_methods(["GET", "POST"])
def enter_code(request):
    email = session.pending_email(request)
    if email is None:
        return redirect("library:home")
    form = CodeForm(request.POST if request.method == "POST" else None)
    context = {"form": form, "email": email, "minutes": settings.LIBRARY_SIGN_IN_CODE_MINUTES}
    if request.method == "GET":
        return render(request, "library/enter_code.html", context)
    if not form.is_valid():
        return render(request, "library/enter_code.html", context, status=400)
    outcome = services.sign_in_with_code(email=email, code=form.cleaned_data["code"])
    if outcome is services.SignIn.VERIFIED:
        session.mark_verified(request, email)
        return redirect("library:home")
    if outcome is services.SignIn.WRONG_CODE:
        form.add_error("code", _("That code is not right. Check the newest e-mail from us."))
    else:
        form.add_error(
            "code",
            _("This code has expired, was used already or was mistyped too often. "
              "Ask for a new one below."),
        )
        context["ask_again"] = True
    return render(request, "library/enter_code.html", context, status=400)


@never_cache
@require_http_methods(["GET", "POST"])
def sign_in_link(request, token):
    """A mailed link. GET only asks to confirm: mail scanners open links, and must not
    use up a one-time link before the buyer does."""
    if request.method == "GET":
        usable = services.link_is_usable(token=token)
        return render(
            request, "library/confirm_link.html", {"usable": usable is not None},
            status=200 if usable else 410,
        )
    email = services.sign_in_with_link(token=token)
    if email is None:
        return render(request, "library/confirm_link.html", {"usable": False}, status=410)
    session.mark_verified(request, email)
    return redirect("library:home")


@never_cache
@require_POST
def sign_out(request):
    session.sign_out(request)
    messages.success(request, _("You have signed out of your library."))
    return redirect("library:home")


@never_cache
@require_POST
def fresh_links(request, number):
    email = session.verified_email(request)
    if email is None:
        return redirect("library:home")
    try:
        outcome = services.request_fresh_links(email=email, order_number=number)
    except AccessEnded:
        messages.error(
            request, _("Access to the files of order %(number)s has ended.") % {"number": number}
        )
        return redirect("library:home")
    if outcome is None:
        raise Http404(_("There is no such order in your library."))
    if outcome == FreshLinks.NOT_DELIVERED:
        messages.info(
            request,
            _("Order %(number)s is still being prepared; its links will be e-mailed to you.")
            % {"number": number},
        )
    else:
        messages.success(
            request,
            _(
                "Fresh links for order %(number)s are on their way to the order's e-mail "
                "address. Your current links work until they arrive."
            )
            % {"number": number},
        )
    return redirect("library:home")
