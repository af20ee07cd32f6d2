"""The admin index shows each role what waits for it: counts that link to the list."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse
from django.utils import timezone

from reports.models import DeliveryMode, ReportStatus
from storefront.inquiries.models import Inquiry, InquiryStatus
from storefront.orders.models import Order, OrderStatus
from tests.factories import make_report

pytestmark = pytest.mark.django_db

INDEX = reverse("admin:index")


def staff_in(group_name, username):
    user = User.objects.create_user(username, f"{username}@example.com", "pw", is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))  # made by the data migrations
    return user


def make_inquiry(index, *, status=InquiryStatus.NEW, hours_old=1):
    inquiry = Inquiry.objects.create(
        reference=f"Q-{index}", name="Ann Lee", email=f"ann{index}@example.com", company="Acme", message="Japan?",
        language="en", status=status, consent_given_at=timezone.now(),
    )  # fmt: skip
    Inquiry.objects.filter(pk=inquiry.pk).update(
        created_at=timezone.now() - timedelta(hours=hours_old)
    )


def make_order(index, *, status=OrderStatus.AWAITING_INVOICE, needs_attention=False):
    Order.objects.create(
        number=f"MR-T-{index}", public_token=f"token-{index}", email="a@example.com",
        full_name="Ann Lee", company="Acme", country="GB", language="en", currency="USD",
        total=100, payment_method="invoice", status=status, needs_attention=needs_attention,
        terms_accepted_at=timezone.now(),
    )  # fmt: skip


def work(scale):
    """`scale` of each kind of waiting work, plus as many rows that wait for nobody."""
    for index in range(scale):
        make_report(status=ReportStatus.DRAFT, master_pdf=None)
        make_report(status=ReportStatus.PUBLISHED)
        make_inquiry(f"{scale}-open-{index}")
        make_inquiry(f"{scale}-late-{index}", status=InquiryStatus.OPEN, hours_old=24 * 30)
        make_inquiry(f"{scale}-done-{index}", status=InquiryStatus.CLOSED, hours_old=24 * 30)
        make_order(f"{scale}-{index}")
        make_order(f"{scale}-x{index}", status=OrderStatus.PAID, needs_attention=True)


def panels(response):
    return {
        dashboard.title: {panel.label: (panel.count, panel.url) for panel in dashboard.panels}
        for dashboard in response.context["dashboards"]
    }


def test_sales_see_their_queue_with_links_to_the_filtered_lists(client):
    work(2)
    client.force_login(staff_in("Sales", "sam"))

    response = client.get(INDEX)

    shown = panels(response)
    assert set(shown) == {"Sales"}
    assert shown["Sales"]["Open inquiries"] == (
        4, "/admin/inquiries/inquiry/?status__in=new%2Copen"
    )
    assert shown["Sales"]["Overdue inquiries"] == (2, "/admin/inquiries/inquiry/?overdue=yes")
    assert shown["Sales"]["Invoice orders awaiting payment"][0] == 2
    assert shown["Sales"]["Orders needing attention"][0] == 2
    for count, url in shown["Sales"].values():
        listed = client.get(url)
        assert listed.status_code == 200, url
        assert listed.context["cl"].result_count == count, url


def test_editors_see_the_catalogue_work_with_links_to_the_filtered_lists(client):
    work(2)
    make_report(status=ReportStatus.DRAFT, master_pdf=None, delivery_mode=DeliveryMode.ON_ORDER,
                delivery_days=5)  # fmt: skip
    client.force_login(staff_in("Editors", "edith"))

    response = client.get(INDEX)

    shown = panels(response)
    assert set(shown) == {"Catalogue"}
    catalogue = shown["Catalogue"]
    assert catalogue["Drafts"][0] == 3
    assert catalogue["Reports without a master PDF"][0] == 2  # not the one sold on order
    assert catalogue["Scheduled"][0] == 0
    assert "Chinese (Simplified) translations out of date" in {
        label.replace("Simplified Chinese", "Chinese (Simplified)") for label in catalogue
    }
    for count, url in catalogue.values():
        listed = client.get(url)
        assert listed.status_code == 200, url
        assert listed.context["cl"].result_count == count, url
    assert "Open inquiries" not in response.content.decode()


def test_a_superuser_sees_both(admin_client):
    assert set(panels(admin_client.get(INDEX))) == {"Sales", "Catalogue"}


def test_the_index_costs_the_same_queries_whatever_the_amount_of_work(
    admin_client, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    work(1)
    admin_client.get(INDEX)  # warm up: session, content types
    with CaptureQueriesContext(connection) as small:
        admin_client.get(INDEX)

    work(6)
    with django_assert_num_queries(len(small)):
        response = admin_client.get(INDEX)

    assert panels(response)["Catalogue"]["Drafts"][0] == 7
