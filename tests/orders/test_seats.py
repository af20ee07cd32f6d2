"""Named seats as the buyer sees them: at checkout, on the order's seats page, in the admin."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports.models import LicenseType
from storefront.orders import seats as seat_services
from storefront.orders import services as order_services
from storefront.orders.cart import CartLine
from storefront.orders.models import Order, PaymentMethod, Seat, SeatChange
from storefront.orders.seats import Holder
from tests.factories import make_report

pytestmark = pytest.mark.django_db

BUYER = {
    "email": "li.wei@example.cn",
    "full_name": "李伟",
    "company": "上海医学教育咨询有限公司",
    "country": "CN",
    "billing_line1": "南京西路 1266 号",
    "billing_postcode": "200040",
    "billing_city": "上海",
    "vat_id": "",
    "po_number": "",
    "payment_method": PaymentMethod.INVOICE,
    "accept_terms": "on",
}


def add_to_cart(client, report, license_type, language="en"):
    option = report.license_options.get(license_type=license_type)
    return client.post(f"/{language}/cart/add/", {"license_option": option.pk})


def seat_fields(report, *holders):
    data = {}
    for number, (name, email) in enumerate(holders, start=1):
        data[f"seat_{report.pk}_{number}_name"] = name
        data[f"seat_{report.pk}_{number}_email"] = email
    return data


def order_with_seats(*holders, language="en", paid=False):
    report = make_report(licence_prices={LicenseType.MULTI_USER: "4249"})
    order = order_services.place_order(
        lines=[CartLine(report.license_options.get())],
        buyer=order_services.Buyer(
            email="buyer@example.com", full_name="Maria Buyer", company="Acme", country="UK"
        ),
        language=language,
        payment_method=PaymentMethod.INVOICE,
        seat_holders={report.pk: [Holder(name=n, email=e) for n, e in holders]} if holders else None,
    )
    if paid:
        order_services.mark_order_paid(order_id=order.pk, source="test")
    return Order.objects.get(pk=order.pk)


# --- Checkout -------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_checkout_names_seats_of_a_multi_user_licence(client, language):
    report = make_report()
    add_to_cart(client, report, LicenseType.MULTI_USER, language)

    page = client.get(f"/{language}/checkout/").content.decode()
    assert f'name="seat_{report.pk}_5_email"' in page
    assert f'name="seat_{report.pk}_6_email"' not in page
    response = client.post(
        f"/{language}/checkout/",
        {**BUYER, **seat_fields(report, ("王芳", "wang@example.cn"), (" Bo\u200b  Chen ", "bo@example.com"))},
    )

    assert response.status_code == 302
    order = Order.objects.get()
    assert list(order.seats.values_list("number", "holder_name", "holder_email")) == [
        (1, "王芳", "wang@example.cn"),
        (2, "Bo Chen", "bo@example.com"),  # normalised as every name is
    ]
    assert order.lines.get().seat_limit == 5


@pytest.mark.parametrize(
    "language, message", [("en", "e-mail address too"), ("zh-hans", "电子邮件地址")]
)
def test_checkout_with_a_half_named_seat_keeps_everything_typed(client, language, message):
    report = make_report()
    add_to_cart(client, report, LicenseType.MULTI_USER, language)

    response = client.post(
        f"/{language}/checkout/",
        {**BUYER, **seat_fields(report, ("王芳", "wang@example.cn"), ("Bo Chen", ""))},
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert message in page
    assert 'value="王芳"' in page and 'value="wang@example.cn"' in page and 'value="Bo Chen"' in page
    assert 'value="上海医学教育咨询有限公司"' in page
    assert Order.objects.count() == 0


def test_checkout_refuses_one_person_on_two_seats(client):
    report = make_report()
    add_to_cart(client, report, LicenseType.MULTI_USER)

    response = client.post(
        "/en/checkout/",
        {**BUYER, **seat_fields(report, ("Ann", "ann@example.com"), ("Ann L", "ANN@example.com"))},
    )

    assert response.status_code == 400
    assert "already has a seat" in response.content.decode()
    assert Order.objects.count() == 0


def test_checkout_of_a_site_licence_asks_for_the_site(client):
    report = make_report()
    add_to_cart(client, report, LicenseType.SITE)

    missing = client.post("/en/checkout/", BUYER)
    assert missing.status_code == 400
    assert 'name="site"' in missing.content.decode()
    response = client.post("/en/checkout/", {**BUYER, "site": "Berlin office"})

    assert response.status_code == 302
    order = Order.objects.get()
    assert order.site == "Berlin office"
    assert "Berlin office" in client.get(f"/en/orders/{order.public_token}/").content.decode()


def test_checkout_without_seats_or_sites_shows_no_seat_fields(client):
    report = make_report()
    add_to_cart(client, report, LicenseType.SINGLE_USER)
    page = client.get("/en/checkout/").content.decode()
    assert "seat_" not in page and 'name="site"' not in page


def test_checkout_with_seat_fields_keeps_a_fixed_query_count(client):
    reports = [make_report() for _ in range(3)]
    add_to_cart(client, reports[0], LicenseType.MULTI_USER)
    with CaptureQueriesContext(connection) as one_licence:
        assert client.get("/en/checkout/").status_code == 200
    for report in reports[1:]:
        add_to_cart(client, report, LicenseType.MULTI_USER)
    with CaptureQueriesContext(connection) as three_licences:
        page = client.get("/en/checkout/").content.decode()
    assert all(f'name="seat_{report.pk}_5_email"' in page for report in reports)
    assert len(one_licence) == len(three_licences)


# --- The seats page -------------------------------------------------------------------


@pytest.mark.parametrize("language, title", [("en", "Named seats of order"), ("zh-hans", "指定席位")])
def test_seats_page_lists_the_holders_in_both_languages(client, language, title):
    order = order_with_seats(("Ann Lee", "ann@example.com"), language=language)

    response = client.get(f"/{language}/orders/{order.public_token}/seats/")

    page = response.content.decode()
    assert response.status_code == 200
    assert title in page
    assert "Ann Lee" in page and "ann@example.com" in page
    assert response["Cache-Control"].startswith("max-age=0") or "no-store" in response["Cache-Control"]


def test_seats_page_names_a_seat_and_refuses_a_sixth(client):
    order = order_with_seats(*[(f"P{n}", f"p{n}@example.com") for n in range(1, 5)])
    line = order.lines.get()
    url = f"/en/orders/{order.public_token}/seats/"

    fifth = client.post(url, {"form": f"line-{line.pk}", f"line-{line.pk}-name": "Eve",
                              f"line-{line.pk}-email": "eve@example.com"})
    assert fifth.status_code == 302
    # The page no longer offers a form for a sixth; a posted one is refused, clearly.
    assert f'value="line-{line.pk}"' not in client.get(url).content.decode()
    sixth = client.post(url, {"form": f"line-{line.pk}", f"line-{line.pk}-name": "Sam",
                              f"line-{line.pk}-email": "sam@example.com"})

    assert sixth.status_code == 400
    assert "All 5 named seats" in sixth.content.decode()
    assert Seat.objects.filter(order=order).count() == 5


def test_seats_page_reassigns_and_keeps_what_was_typed_on_error(client):
    order = order_with_seats(("Ann Lee", "ann@example.com"), ("Bo Chen", "bo@example.com"))
    seat = Seat.objects.get(order=order, number=1)
    url = f"/zh-hans/orders/{order.public_token}/seats/"

    taken = client.post(url, {"form": f"seat-{seat.pk}", f"seat-{seat.pk}-name": "凯伦",
                              f"seat-{seat.pk}-email": "bo@example.com"})
    assert taken.status_code == 400
    page = taken.content.decode()
    assert 'value="凯伦"' in page and "bo@example.com" in page
    assert "<details class=\"seat-change\" open>" in page

    moved = client.post(url, {"form": f"seat-{seat.pk}", f"seat-{seat.pk}-name": "凯伦",
                              f"seat-{seat.pk}-email": "karen@example.com"})
    assert moved.status_code == 302
    seat.refresh_from_db()
    assert (seat.holder_name, seat.reassignments) == ("凯伦", 0)  # not yet sent a copy: no change used
    assert SeatChange.objects.filter(seat=seat, source="buyer", to_email="karen@example.com").exists()


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"form": "line-abc"},
        {"form": "seat-99999999999999999999999"},
        {"form": "line-1\x00"},
        {"form": "other-1", "name": "x"},
    ],
)
def test_seats_page_answers_hostile_posts_with_a_400(client, data):
    order = order_with_seats(("Ann Lee", "ann@example.com"))
    response = client.post(f"/en/orders/{order.public_token}/seats/", data)
    assert response.status_code == 400
    assert Seat.objects.get(order=order).holder_email == "ann@example.com"


def test_a_seat_of_another_order_cannot_be_reassigned_from_this_one(client):
    mine = order_with_seats(("Ann Lee", "ann@example.com"))
    theirs = order_with_seats(("Bo Chen", "bo@example.com"))
    their_seat = Seat.objects.get(order=theirs)

    response = client.post(
        f"/en/orders/{mine.public_token}/seats/",
        {"form": f"seat-{their_seat.pk}", f"seat-{their_seat.pk}-name": "Mallory",
         f"seat-{their_seat.pk}-email": "mallory@example.com"},
    )

    assert response.status_code == 400
    their_seat.refresh_from_db()
    assert their_seat.holder_email == "bo@example.com"


def test_seats_page_is_404_for_unknown_tokens_and_orders_without_seats(client):
    single = make_report(licence_prices={LicenseType.SINGLE_USER: "99"})
    order = order_services.place_order(
        lines=[CartLine(single.license_options.get())],
        buyer=order_services.Buyer(email="a@example.com", full_name="A", company="B", country="UK"),
        language="en",
        payment_method=PaymentMethod.INVOICE,
    )
    assert client.get(f"/en/orders/{order.public_token}/seats/").status_code == 404
    assert client.get("/en/orders/not-a-token/seats/").status_code == 404


def test_seats_page_keeps_a_fixed_query_count(client):
    one = order_with_seats(("Ann", "ann@example.com"))
    five = order_with_seats(*[(f"P{n}", f"p{n}@example.com") for n in range(1, 6)])

    with CaptureQueriesContext(connection) as with_one:
        assert client.get(f"/en/orders/{one.public_token}/seats/").status_code == 200
    with CaptureQueriesContext(connection) as with_five:
        assert client.get(f"/en/orders/{five.public_token}/seats/").status_code == 200

    assert len(with_one) == len(with_five)


def test_order_page_links_to_the_seats_page(client):
    order = order_with_seats()
    page = client.get(f"/en/orders/{order.public_token}/").content.decode()
    assert f"/en/orders/{order.public_token}/seats/" in page


def test_seats_of_a_cancelled_order_can_no_longer_be_changed(client):
    order = order_with_seats(("Ann Lee", "ann@example.com"))
    order_services.cancel_order(order_id=order.pk, source="test")
    seat = Seat.objects.get(order=order)

    page = client.get(f"/en/orders/{order.public_token}/seats/").content.decode()
    response = client.post(
        f"/en/orders/{order.public_token}/seats/",
        {"form": f"seat-{seat.pk}", f"seat-{seat.pk}-name": "Eve", f"seat-{seat.pk}-email": "e@example.com"},
    )

    assert "can no longer be changed" in page
    assert response.status_code == 400
    with pytest.raises(seat_services.SeatError):
        seat_services.reassign_seat(seat_id=seat.pk, holder=Holder(name="Eve", email="e@example.com"), source="buyer")


# --- Admin ----------------------------------------------------------------------------


def test_sales_staff_see_the_seats_and_their_log_on_the_order(client):
    order = order_with_seats(("Ann Lee", "ann@example.com"))
    seat = Seat.objects.get(order=order)
    seat_services.reassign_seat(seat_id=seat.pk, holder=Holder(name="Eve Park", email="eve@example.com"), source="buyer")
    sales = get_user_model().objects.create_user("sam", "sam@example.com", "pw", is_staff=True)
    sales.groups.add(Group.objects.get(name="Sales"))  # made by the data migrations
    client.force_login(sales)

    page = client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()

    assert "Named seats" in page
    assert "eve@example.com" in page
    assert "Ann Lee &lt;ann@example.com&gt; → Eve Park &lt;eve@example.com&gt;" in page
