"""A NUL character anywhere a request carries text is a 400, never a 500.

PostgreSQL cannot hold NUL in text: before the check, each of these reached a
query and failed there. The sweep covers every URL pattern of the shop and the
admin, and every admin changelist filter, so a view added later is covered too.
"""

import re

import pytest
from django.contrib import admin
from django.contrib.admin.views.main import ORDER_VAR, PAGE_VAR, SEARCH_VAR
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import LocalePrefixPattern, RegexPattern, RoutePattern

from tests.factories import make_report

pytestmark = pytest.mark.django_db

NUL = "%00"


@pytest.fixture
def staff_client(admin_user):
    # Superuser, so admin views get past their permission checks to the queries.
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    return client


@pytest.fixture
def anonymous_client():
    return Client(raise_request_exception=False)


@pytest.mark.parametrize(
    "url",
    [
        "/en/reports/%00/",
        "/en/reports/%00/x/",
        "/downloads/%00/",
        "/en/orders/%00/",
        "/en/contact/?report=%00",
        "/en/reports/?q=%00",
        "/en/reports/?category=%00",
    ],
)
def test_nul_in_a_shop_address_is_a_400(url, anonymous_client):
    # given a published report, so lookups have something to search
    make_report(product_code="1994249")
    # when the address carries a NUL
    response = anonymous_client.get(url)
    # then it is refused as bad input, with a page that says so
    assert response.status_code == 400
    assert b"We could not read that request" in response.content


def test_nul_in_the_admin_order_filter_is_a_400(staff_client):
    response = staff_client.get(reverse("admin:orders_order_changelist") + "?status__exact=%00")
    assert response.status_code == 400


def test_the_same_admin_filter_without_nul_still_works(staff_client):
    response = staff_client.get(reverse("admin:orders_order_changelist") + "?status__exact=paid")
    assert response.status_code == 200


@pytest.mark.parametrize(
    "data",
    [
        {"report": "a\x00"},
        {"email": "ann@example.com\x00", "name": "Ann", "message": "Hello"},
        {"message\x00": "Hello"},
    ],
)
def test_nul_in_a_contact_form_post_is_a_400_and_saves_nothing(data, anonymous_client):
    from storefront.inquiries.models import Inquiry

    # when a contact form is posted with a NUL in a field name or value
    response = anonymous_client.post("/en/contact/", data)
    # then it is refused and nothing is stored
    assert response.status_code == 400
    assert not Inquiry.objects.exists()


def test_nul_in_the_session_cookie_is_a_400(anonymous_client):
    # given a session cookie with a NUL (the session is looked up in PostgreSQL)
    anonymous_client.cookies["sessionid"] = "abcdefgh\x00ijkl"
    # when the cart is opened, then the request is refused, not a 500
    response = anonymous_client.get("/en/cart/")
    assert response.status_code == 400
    assert b"We could not read that request" in response.content


@pytest.mark.parametrize(
    "url, header",
    [("/downloads/abcdefgh/", "HTTP_USER_AGENT"), ("/en/contact/", "HTTP_REFERER")],
)
def test_nul_in_a_stored_header_is_a_400(url, header, anonymous_client):
    # given a header the shop stores (download log, inquiry source) carrying a NUL
    response = anonymous_client.get(url, **{header: "http://testserver/a\x00b"})
    # then the request is refused before anything is stored
    assert response.status_code == 400


# --- The sweep ------------------------------------------------------------------


def _route_with_nul(pattern) -> str:
    if isinstance(pattern, LocalePrefixPattern):
        return "en/"
    if isinstance(pattern, RoutePattern):
        return re.sub(r"<[^>]+>", NUL, str(pattern))
    assert isinstance(pattern, RegexPattern)
    regex = re.sub(r"\(\?P<\w+>[^)]*\)", NUL, pattern.regex.pattern)
    return regex.lstrip("^").rstrip("$").replace("\\", "")


def _all_patterns(resolver=None, prefix="/"):
    """Every URL pattern as an address, each converter or group filled with a NUL."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + _route_with_nul(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _all_patterns(entry, route)
        else:
            assert isinstance(entry, URLPattern)
            yield route, bool(re.search(r"<|\(\?P", str(entry.pattern)))


ALL_PATTERNS = sorted(set(_all_patterns()))


def test_the_sweep_covers_the_shop_and_the_admin():
    addresses = [address for address, _ in ALL_PATTERNS]
    assert len(addresses) > 60
    assert any(a.startswith("/admin/reports/report/") for a in addresses)
    assert "/downloads/%00/" in addresses
    assert "/en/orders/%00/" in addresses


@pytest.mark.parametrize("address", [a for a, has_parameter in ALL_PATTERNS if has_parameter])
def test_every_url_pattern_refuses_nul_in_its_parameters(address, staff_client):
    # when any parameter of any pattern is a NUL, for a signed-in superuser
    response = staff_client.get(address)
    # then the answer is 400, before any view or query sees it
    assert response.status_code == 400, address


@pytest.mark.parametrize("address", [a for a, _ in ALL_PATTERNS])
def test_every_url_pattern_refuses_nul_in_its_query_and_form(address, staff_client):
    path = address.replace(NUL, "x")
    assert staff_client.get(path + "?q=%00&page=%00").status_code == 400, path
    assert staff_client.get(path + "?%00=1").status_code == 400, path
    assert staff_client.post(path, {"q": "a\x00b"}).status_code == 400, path


def _changelist_queries(model_admin) -> list[str]:
    queries = [f"{SEARCH_VAR}={NUL}", f"{ORDER_VAR}={NUL}", f"{PAGE_VAR}={NUL}"]
    for list_filter in model_admin.list_filter:
        if isinstance(list_filter, str):
            queries += [f"{list_filter}__exact={NUL}", f"{list_filter}__id__exact={NUL}"]
        elif isinstance(list_filter, tuple):
            queries.append(f"{list_filter[0]}__exact={NUL}")
        else:
            queries.append(f"{list_filter.parameter_name}={NUL}")
    return queries


CHANGELISTS = [
    (f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist", query)
    for model, model_admin in admin.site._registry.items()
    for query in _changelist_queries(model_admin)
]


@pytest.mark.parametrize("name, query", CHANGELISTS)
def test_every_admin_changelist_refuses_nul_in_its_filters(name, query, staff_client):
    assert staff_client.get(f"{reverse(name)}?{query}").status_code == 400
