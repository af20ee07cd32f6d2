import logging
import re
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from reports import currencies, pricing
from reports.formatting import format_price
from reports.models import LICENSE_TERMS, LicenseOption, LicenseType, Report
from storefront import throttle
from storefront.orders import seats, selectors, services
from storefront.orders.cart import Cart, MixedCurrencyError
from storefront.orders.forms import AddToCartForm, CheckoutForm, RemoveFromCartForm, SeatHolderForm
from storefront.orders.models import OrderStatus, PaymentMethod
from storefront.payments import services as payment_services
from storefront.payments import stripe_api

logger = logging.getLogger(__name__)

CHECKOUT_RATE_LIMIT = throttle.RateLimit(name="checkout", setting_prefix="CHECKOUT_RATE_LIMIT")


def card_payment_available() -> bool:
    return stripe_api.is_configured() or settings.DEBUG


def _lines_noting_removals(request, cart: Cart):
    """The cart's lines; if some dropped out (withdrawn, no longer deliverable, a
    currency no longer sold), the buyer is told instead of finding them gone."""
    before = len(cart)
    lines = selectors.cart_lines(cart)
    if len(lines) < before:
        messages.warning(
            request,
            _(
                "A report in your cart can no longer be ordered and was removed. "
                "Please contact us if you need it."
            ),
        )
    return lines


def cart_detail(request):
    lines = _lines_noting_removals(request, Cart(request.session))
    context = {
        "lines": lines,
        "total": _total(lines),
        "currency": selectors.cart_currency(lines),
        "other_currency_lines": selectors.lines_in_other_currencies(lines),
        "on_order_lines": [line for line in lines if line.report.delivered_on_order],
    }
    return render(request, "orders/cart.html", context)


def _total(lines):
    if not lines or selectors.lines_in_other_currencies(lines):
        return None  # amounts in two currencies have no total
    return format_price(sum(line.price for line in lines), lines[0].currency)


@require_POST
def cart_add(request):
    """Put a report in the cart with the chosen licence (or switch its licence)."""
    form = AddToCartForm(request.POST)
    option = None
    if form.is_valid():
        option = (
            LicenseOption.objects.filter(
                pk=form.cleaned_data["license_option"], report__in=Report.objects.published()
            )
            .select_related("report")
            .first()
        )
    if option is None:
        messages.error(request, _("That licence is no longer on sale."))
        return redirect("orders:cart")
    if not option.report.is_purchasable:
        # Paying for a file that does not exist is never offered: no master PDF, and
        # the editors have not promised to deliver it on order.
        messages.error(
            request,
            _(
                "%(code)s cannot be ordered online yet: its licensed file is not "
                "available. Please ask us for a quotation."
            )
            % {"code": option.report.product_code},
        )
        return redirect(option.report.get_absolute_url())
    cart = Cart(request.session)
    try:
        cart.set_option(option, selectors.cart_lines(cart))
    except MixedCurrencyError:
        messages.error(
            request,
            _(
                "This licence is priced in %(currency)s, but your cart is in another "
                "currency. Please check out the cart first, or remove its reports."
            )
            % {"currency": option.currency},
        )
        return redirect("orders:cart")
    messages.success(
        request,
        _("Added to your cart: %(code)s, %(licence)s.")
        % {"code": option.report.product_code, "licence": option.get_license_type_display()},
    )
    return redirect("orders:cart")


@require_POST
def cart_remove(request):
    form = RemoveFromCartForm(request.POST)
    if form.is_valid():
        Cart(request.session).remove_report(form.cleaned_data["report"])
        messages.success(request, _("The report was removed from your cart."))
    return redirect("orders:cart")


# No CSRF token, so that catalogue pages (where the switcher sits) set no CSRF cookie
# and stay cacheable: like the language links, the switch only changes how prices are
# shown and re-prices the cart at list prices; no money moves and nothing is disclosed.
# A cross-site POST carries no session cookie (SameSite=Lax), but its answer would
# start a new session in the buyer's browser, losing their cart: so a request another
# site sent (by its Origin or Sec-Fetch-Site header, which browsers always set on a
# POST) is refused.
@csrf_exempt
@require_POST
def set_currency(request):
    """The buyer's currency for prices (kept in the session); the cart is re-priced in it."""
    if _sent_by_another_site(request):
        return HttpResponseForbidden(_("Choose the currency on this shop's own pages."))
    code = request.POST.get("currency", "")
    if not currencies.is_sold(code):
        messages.error(request, _("The shop does not sell in that currency."))
        return redirect(_safe_next(request))
    pricing.remember_currency(request, code)
    cart = Cart(request.session)
    lines = selectors.cart_lines(cart)
    if not lines:
        messages.success(request, _("Prices are now shown in %(currency)s.") % {"currency": code})
        return redirect(_safe_next(request))
    options = cart.switch_currency(lines, code)
    if all(option.currency == code for option in options):
        messages.success(
            request,
            _("Prices are now shown in %(currency)s, and your cart was re-priced from our "
              "price list.") % {"currency": code},
        )
    else:
        # The cart keeps one currency: a line without a price in the new one keeps the
        # whole cart in the currency it was priced in.
        unpriced = [line.report.product_code for line in cart.unpriced_in(lines, code)]
        charged = options[0].currency
        messages.warning(
            request,
            _("%(reports)s has no price in %(currency)s, so your cart stays in %(charged)s "
              "and is charged in %(charged)s.")
            % {"reports": ", ".join(unpriced), "currency": code, "charged": charged},
        )
    return redirect(_safe_next(request))


def _sent_by_another_site(request) -> bool:
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        return True
    origin = request.headers.get("Origin")
    if not origin or origin == "null":
        return origin == "null"
    return not url_has_allowed_host_and_scheme(
        origin + "/", allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )


def _safe_next(request) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("orders:cart")


@require_POST
def cart_remove_other_currencies(request):
    """Keep only the lines in the cart's currency, so that the cart can be paid."""
    cart = Cart(request.session)
    for line in selectors.lines_in_other_currencies(selectors.cart_lines(cart)):
        cart.remove_report(line.report.pk)
    messages.success(request, _("Your cart now holds reports in one currency."))
    return redirect("orders:cart")


def _mixed_currency_message(lines) -> str:
    return _(
        "Your cart holds reports priced in different currencies, and an order is paid in "
        "one: please remove %(reports)s from your cart, or check them out separately."
    ) % {
        "reports": ", ".join(
            # Chinese brackets are full-width: a translated pattern, not an f-string.
            _("%(code)s (%(currency)s)")
            % {"code": line.report.product_code, "currency": line.currency}
            for line in selectors.lines_in_other_currencies(lines)
        )
    }


@never_cache  # the buyer's details
@require_http_methods(["GET", "POST"])
def checkout(request):
    cart = Cart(request.session)
    lines = _lines_noting_removals(request, cart)
    if not lines:
        messages.info(request, _("Your cart is empty. Choose a report and a licence first."))
        return redirect("orders:cart")
    if request.method == "GET" and selectors.lines_in_other_currencies(lines):
        messages.error(request, _mixed_currency_message(lines))
        return redirect("orders:cart")
    form = CheckoutForm(
        request.POST or None,
        card_available=card_payment_available(),
        seat_lines=_seat_lines(lines),
        needs_site=any(line.option.license_type == LicenseType.SITE for line in lines),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        # Each order mails a pro-forma to the address typed in or opens a Stripe
        # session: past the limit nothing is saved, sent or opened; the cart stays.
        if not throttle.allow(
            CHECKOUT_RATE_LIMIT, ip_address=throttle.client_ip(request), email=data["email"]
        ):
            return render(request, "orders/rate_limited.html", status=429)
        try:
            order = services.place_order(
                lines=lines,
                buyer=services.Buyer(
                    email=data["email"],
                    full_name=data["full_name"].strip(),
                    company=data["company"].strip(),
                    country=data["country"],
                    vat_id=data["vat_id"],
                    po_number=data["po_number"].strip(),
                    billing_line1=data["billing_line1"].strip(),
                    billing_line2=data["billing_line2"].strip(),
                    billing_postcode=data["billing_postcode"].strip(),
                    billing_city=data["billing_city"].strip(),
                    site=data.get("site", ""),
                ),
                language=get_language(),
                payment_method=data["payment_method"],
                seat_holders=form.seat_holders(),
            )
        except seats.SeatError as error:  # the form allows no more seats than the licence
            form.add_error(None, str(error))
            context = {"form": form, "lines": lines, "total": _total(lines)}
            return render(request, "orders/checkout.html", context, status=400)
        except services.OrderError:
            # place_order() refuses a cart it cannot charge as one amount (a licence
            # re-priced in another currency while it sat in the cart); nothing is saved.
            if not selectors.lines_in_other_currencies(lines):
                raise
            form.add_error(None, _mixed_currency_message(lines))
            context = {"form": form, "lines": lines, "total": None, "mixed_currency": True}
            return render(request, "orders/checkout.html", context, status=409)
        if order.payment_method == PaymentMethod.INVOICE:
            cart.clear()
            messages.success(
                request,
                _("Thank you. We have e-mailed a pro-forma invoice to %(email)s.")
                % {"email": order.email},
            )
            return redirect(order)
        return redirect_to_payment(request, order)
    context = {"form": form, "lines": lines, "total": _total(lines)}
    response = render(request, "orders/checkout.html", context, status=400 if form.errors else 200)
    return allow_stripe_checkout(response)


def _seat_lines(lines) -> list[tuple]:
    """The cart's licences with named seats: (report id, title, licence, seats)."""
    return [
        (line.report.pk, line.report.title, line.option.get_license_type_display(), seats_count)
        for line in lines
        if (seats_count := LicenseType(line.option.license_type).named_seats)
    ]


def allow_stripe_checkout(response):
    """Let the page's pay form be answered with a redirect to STRIPE_API_BASE's checkout.

    The Content-Security-Policy's form-action names Stripe Checkout; another
    Stripe-compatible server (tests, a staging mock) serves its checkout itself.
    """
    if settings.STRIPE_API_BASE:
        base = urlsplit(settings.STRIPE_API_BASE)
        response._csp_update = {"form-action": [f"{base.scheme}://{base.netloc}"]}
    return response


def redirect_to_payment(request, order):
    if not stripe_api.is_configured():
        return redirect("payments:development_gateway", token=order.public_token)
    try:
        return redirect(payment_services.start_card_checkout(order_id=order.pk))
    except stripe_api.PaymentError:
        logger.exception("could not start Stripe Checkout for order %s", order.number)
        messages.error(
            request,
            _(
                "Card payment is not available at the moment. Your order is saved: "
                "please try again in a few minutes."
            ),
        )
        return redirect(order)


@never_cache
@require_POST
def order_pay(request, token):
    order = selectors.order_for_buyer(token)
    if order is None:
        raise Http404
    if order.status != OrderStatus.PENDING or order.payment_method != PaymentMethod.CARD:
        return redirect(order)
    return redirect_to_payment(request, order)


@never_cache  # the buyer's details and download links: never kept by a browser or proxy
def order_detail(request, token):
    order = selectors.order_for_buyer(token)
    if order is None:
        raise Http404(_("There is no order at this address."))
    lines = list(order.lines.all())
    waiting = selectors.lines_waiting_for_master(order) if order.status == OrderStatus.PAID else []
    context = {
        "order": order,
        "lines": lines,
        "has_seats": any(line.seat_limit for line in lines),
        # Waiting for a master PDF takes days: the page does not refresh itself then.
        "preparing": order.status == OrderStatus.PAID
        and order.delivery_failed_at is None
        and order.access_ended_at is None
        and not waiting,
        "waiting_lines": waiting,
        "delivery_due": selectors.delivery_due(order, waiting) if waiting else None,
        "payment_instructions": order.payment_instructions,
    }
    return allow_stripe_checkout(render(request, "orders/order_detail.html", context))


SEAT_FORM_PREFIX = re.compile(r"^(line|seat)-(\d{1,18})$")


@never_cache  # seat holders' names and addresses
@require_http_methods(["GET", "POST"])
def order_seats(request, token):
    """The named seats of an order's multi-user licences: name one, or give one to
    someone else; the forms post here and the page comes back with what was typed."""
    order = selectors.order_with_seats(token)
    if order is None:
        raise Http404(_("There is no order at this address."))
    lines = [line for line in order.lines.all() if line.seat_limit]
    if not lines:
        raise Http404(_("This order has no licence with named seats."))
    editable = seats.can_change_seats(order)
    posted = None
    if request.method == "POST":
        match = SEAT_FORM_PREFIX.match(request.POST.get("form", ""))
        if not editable or match is None:
            return _seats_page(request, order, lines, editable, None, status=400)
        kind, pk = match.group(1), int(match.group(2))
        posted = (f"{kind}-{pk}", SeatHolderForm(request.POST, prefix=f"{kind}-{pk}"))
        form = posted[1]
        if form.is_valid():
            try:
                if kind == "line":
                    seat = seats.name_seat(
                        order_id=order.pk, line_id=pk, holder=form.holder(), source="buyer"
                    )
                else:
                    if not any(seat.pk == pk for line in lines for seat in line.seats.all()):
                        raise seats.SeatError(_("This seat does not exist."))
                    seat = seats.reassign_seat(seat_id=pk, holder=form.holder(), source="buyer")
            except seats.SeatError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    _("Seat %(number)s is now held by %(name)s. We will e-mail them their own copy.")
                    % {"number": seat.number, "name": seat.holder_name},
                )
                return redirect("orders:seats", token=order.public_token)
        return _seats_page(request, order, lines, editable, posted, status=400)
    return _seats_page(request, order, lines, editable, None)


def _seats_page(request, order, lines, editable, posted, status=200):
    posted_prefix, posted_form = posted or (None, None)

    def form_for(prefix):
        return posted_form if prefix == posted_prefix else SeatHolderForm(prefix=prefix)

    groups = []
    for line in lines:
        line_seats = list(line.seats.all())
        groups.append(
            {
                "line": line,
                "seats": [
                    {
                        "seat": seat,
                        "left": seats.reassignments_left(seat),
                        "form": form_for(f"seat-{seat.pk}") if editable else None,
                        "prefix": f"seat-{seat.pk}",
                    }
                    for seat in line_seats
                ],
                "free": line.seat_limit - len(line_seats),
                "form": form_for(f"line-{line.pk}") if editable else None,
                "prefix": f"line-{line.pk}",
            }
        )
    shown = {g["prefix"] for g in groups if g["free"] and g["form"]} | {
        item["prefix"] for g in groups for item in g["seats"] if item["form"] and item["left"]
    }
    context = {
        "order": order,
        "groups": groups,
        # A refusal for a form the page no longer shows (the last seat taken meanwhile).
        "orphan_errors": (
            posted_form.errors.values() if posted_form and posted_prefix not in shown else ()
        ),
        "editable": editable,
        "reassignment_limit": settings.SEAT_REASSIGNMENT_LIMIT,
        "error": status == 400 and posted_form is None,
    }
    return render(request, "orders/seats.html", context, status=status)


def licence_terms(request):
    terms = [(value, label, LICENSE_TERMS[value]) for value, label in LicenseType.choices]
    return render(request, "orders/licence_terms.html", {"terms": terms})
