"""A buyer's access (resend, fresh links, revoke, and the tokens that open the order page
and the downloads) is for staff with orders.manage_downloads, which Sales lacks."""

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.core import mail

from storefront.delivery import services as delivery_services
from storefront.delivery.models import DownloadGrant
from storefront.orders.models import Order
from tests.delivery.test_delivery import paid_order

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/orders/order/"
ACTIONS = ["resend_delivery", "issue_fresh_download_links", "revoke_download_access"]


def staff_user(username, *, group=None, permissions=()):
    user = User.objects.create_user(username, f"{username}@example.com", "pw", is_staff=True)
    if group:
        user.groups.add(Group.objects.get(name=group))  # made by the data migrations
    for label in permissions:
        app_label, codename = label.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return user


@pytest.fixture
def delivered_order():
    order = paid_order()
    delivery_services.deliver_order(order_id=order.pk)
    mail.outbox.clear()
    return Order.objects.get(pk=order.pk)


@pytest.fixture
def sales_client(client):
    client.force_login(staff_user("sam", group="Sales"))
    return client


@pytest.fixture
def manager_client(client):
    client.force_login(
        staff_user("mia", permissions=["orders.view_order", "orders.manage_downloads",
                                       "delivery.view_downloadgrant"])
    )
    return client


def grants_state():
    return sorted(DownloadGrant.objects.values_list("pk", "revoked_at"))


def test_the_permission_exists_and_the_sales_group_does_not_have_it():
    permission = Permission.objects.get(content_type__app_label="orders", codename="manage_downloads")

    assert permission.name == "Can resend, renew or revoke download links"
    assert not Group.objects.get(name="Sales").permissions.filter(pk=permission.pk).exists()


@pytest.mark.parametrize("action", ACTIONS)
def test_sales_cannot_run_the_access_actions(sales_client, delivered_order, action):
    # given a delivered order with one live link
    before = grants_state()

    # when Sales posts the action anyway
    sales_client.post(CHANGELIST, {"action": action, "_selected_action": [delivered_order.pk]})

    # then it is neither offered nor run: the links and the mailbox are as they were
    assert action not in sales_client.get(CHANGELIST).content.decode()
    assert grants_state() == before
    assert mail.outbox == []


def test_staff_with_the_permission_run_the_access_actions(manager_client, delivered_order):
    page = manager_client.get(CHANGELIST).content.decode()
    assert all(action in page for action in ACTIONS)

    manager_client.post(
        CHANGELIST, {"action": "revoke_download_access", "_selected_action": [delivered_order.pk]}
    )

    assert not DownloadGrant.objects.usable().exists()


def test_sales_never_sees_the_public_token_or_the_buyers_order_link(sales_client, delivered_order):
    response = sales_client.get(f"{CHANGELIST}{delivered_order.pk}/change/")

    page = response.content.decode()
    assert response.status_code == 200
    assert delivered_order.number in page
    assert delivered_order.public_token not in page
    assert "View on site" not in page


def test_staff_with_the_permission_see_the_token_and_the_order_link(manager_client, delivered_order):
    page = manager_client.get(f"{CHANGELIST}{delivered_order.pk}/change/").content.decode()

    assert delivered_order.public_token in page
    assert "View on site" in page


def test_the_view_on_site_redirect_is_refused_to_sales(sales_client, delivered_order):
    content_type = ContentType.objects.get_for_model(Order)
    url = f"/admin/r/{content_type.pk}/{delivered_order.pk}/"

    response = sales_client.get(url)

    assert response.status_code == 403
    assert delivered_order.public_token not in response.get("Location", "")


def test_the_view_on_site_redirect_takes_a_manager_to_the_order_page(manager_client, delivered_order):
    content_type = ContentType.objects.get_for_model(Order)

    response = manager_client.get(f"/admin/r/{content_type.pk}/{delivered_order.pk}/")

    assert response.status_code == 302
    assert response["Location"].endswith(f"/en/orders/{delivered_order.public_token}/")


def test_download_tokens_are_hidden_from_staff_without_the_permission(client, delivered_order):
    grant = DownloadGrant.objects.get()
    client.force_login(staff_user("vic", permissions=["delivery.view_downloadgrant"]))

    response = client.get(f"/admin/delivery/downloadgrant/{grant.pk}/change/")

    assert response.status_code == 200
    assert grant.token not in response.content.decode()


def test_download_tokens_are_shown_to_staff_with_the_permission(manager_client, delivered_order):
    grant = DownloadGrant.objects.get()

    page = manager_client.get(f"/admin/delivery/downloadgrant/{grant.pk}/change/").content.decode()

    assert grant.token in page



@pytest.mark.parametrize(
    "changelist, lookup",
    [
        (CHANGELIST, "public_token__startswith"),
        ("/admin/delivery/downloadgrant/", "token__startswith"),
        ("/admin/payments/paymentevent/", "payload__data__object__success_url__contains"),
    ],
)
def test_tokens_cannot_be_guessed_by_filtering_the_admin_lists(
    client, delivered_order, changelist, lookup
):
    # given staff who may see the lists, but not the tokens
    client.force_login(staff_user("sam", group="Sales", permissions=["delivery.view_downloadgrant"]))
    grant = DownloadGrant.objects.get()
    prefix = {"token__startswith": grant.token[:1]}.get(lookup, delivered_order.public_token[:1])

    # when they filter a list by the first character of a token
    response = client.get(changelist, {lookup: prefix})

    # then the filter is refused, so the answer says nothing about the token
    assert response.status_code == 400
