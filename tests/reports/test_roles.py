"""Who may do what in the admin: editors keep the catalogue, sales staff the orders and
inquiries, and neither reaches into the other's work."""

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.urls import reverse

from reports.models import Report, ReportStatus
from tests.factories import make_report
from tests.reports.test_admin import change_url, post_data

pytestmark = pytest.mark.django_db

INDEX = reverse("admin:index")
REPORTS = reverse("admin:reports_report_changelist")
REPORT_ADD = reverse("admin:reports_report_add")
ORDERS = reverse("admin:orders_order_changelist")
INQUIRIES = reverse("admin:inquiries_inquiry_changelist")
USERS = reverse("admin:auth_user_changelist")
GROUPS = reverse("admin:auth_group_changelist")

EDITOR_PERMISSIONS = {
    "add_report", "change_report", "view_report",
    "add_category", "change_category", "view_category",
    "add_publisher", "change_publisher", "view_publisher",
    "add_keystatistic", "change_keystatistic", "delete_keystatistic", "view_keystatistic",
    "add_licenseoption", "change_licenseoption", "delete_licenseoption", "view_licenseoption",
    "add_tocentry", "change_tocentry", "delete_tocentry", "view_tocentry",
    "add_segment", "change_segment", "delete_segment", "view_segment",
}  # fmt: skip


def staff_in(group_name: str, username: str) -> User:
    user = User.objects.create_user(username, f"{username}@example.com", "pw", is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))  # made by the data migrations
    return user


@pytest.fixture
def editor_client(client):
    client.force_login(staff_in("Editors", "edith"))
    return client


@pytest.fixture
def sales_client(client):
    client.force_login(staff_in("Sales", "sam"))
    return client


def apps_on_index(client) -> dict[str, set[str]]:
    response = client.get(INDEX)
    assert response.status_code == 200
    return {
        app["app_label"]: {model["object_name"] for model in app["models"]}
        for app in response.context["app_list"]
    }


# --- The groups hold exactly their permissions ------------------------------------


def test_editors_group_has_exactly_the_catalogue_permissions():
    permissions = Group.objects.get(name="Editors").permissions.select_related("content_type")

    assert {p.content_type.app_label for p in permissions} == {"reports"}
    assert {p.codename for p in permissions} == EDITOR_PERMISSIONS
    assert "delete_report" not in {p.codename for p in permissions}


def test_sales_group_has_no_catalogue_permission():
    sales = Group.objects.get(name="Sales").permissions
    assert not sales.filter(content_type__app_label="reports").exists()
    assert sales.filter(codename="mark_invoice_paid").exists()
    # The permission exists (superusers delete); it is just nobody's group's.
    assert Permission.objects.filter(codename="delete_report").exists()


# --- Editors ----------------------------------------------------------------------


def test_editor_sees_only_the_catalogue_on_the_admin_index(editor_client):
    assert apps_on_index(editor_client) == {
        "reports": {"Report", "Category", "Publisher"},
    }


def test_editor_opens_report_pages_in_both_tabs(editor_client):
    report = make_report()

    for url in (REPORTS, REPORT_ADD, change_url(report), change_url(report) + "?language=zh-hans"):
        assert editor_client.get(url).status_code == 200, url


def test_editor_saves_a_report_and_its_outline(editor_client):
    report = make_report(toc=[(1, "Preface", "前言"), (1, "Old chapter", "旧章节")])
    data = post_data(editor_client.get(change_url(report)))
    data["title"] = "Edited By An Editor Market"
    data["toc_outline"] = "1 Preface"

    response = editor_client.post(change_url(report), data)

    assert response.status_code == 302, response.context and response.context["errors"]
    report = Report.objects.get(pk=report.pk)
    assert report.safe_translation_getter("title", language_code="en") == (
        "Edited By An Editor Market"
    )
    assert report.toc_entries.count() == 1


def test_editor_cannot_delete_a_report_but_can_archive_it(editor_client):
    report = make_report()
    delete_url = reverse("admin:reports_report_delete", args=[report.pk])

    assert editor_client.get(delete_url).status_code == 403
    actions = editor_client.get(REPORTS).context["action_form"].fields["action"].choices
    assert "delete_selected" not in {value for value, _label in actions}
    assert {"publish_selected_now", "archive_selected"} <= {value for value, _label in actions}

    editor_client.post(REPORTS, {"action": "archive_selected", "_selected_action": [report.pk]})
    report.refresh_from_db()
    assert report.status == ReportStatus.ARCHIVED


def test_editor_may_remove_a_language_of_a_report(editor_client):
    report = make_report()
    url = reverse("admin:reports_report_delete_translation", args=[report.pk, "zh-hans"])

    response = editor_client.post(url, {"post": "yes"})

    assert response.status_code == 302
    assert list(Report.objects.get(pk=report.pk).get_available_languages()) == ["en"]


@pytest.mark.parametrize("url", [ORDERS, INQUIRIES, USERS, GROUPS])
def test_editor_is_kept_out_of_sales_and_accounts(editor_client, url):
    assert editor_client.get(url).status_code == 403


# --- Sales ------------------------------------------------------------------------


def test_sales_sees_inquiries_and_orders_but_not_the_catalogue(sales_client):
    apps = apps_on_index(sales_client)

    assert "Inquiry" in apps["inquiries"]
    assert "Order" in apps["orders"]
    assert "reports" not in apps
    assert sales_client.get(INQUIRIES).status_code == 200
    assert sales_client.get(ORDERS).status_code == 200


@pytest.mark.parametrize("page", ["changelist", "add", "change"])
def test_sales_cannot_open_report_pages(sales_client, page):
    report = make_report()
    url = {"changelist": REPORTS, "add": REPORT_ADD, "change": change_url(report)}[page]
    assert sales_client.get(url).status_code == 403


def test_sales_cannot_publish_through_the_action(sales_client):
    draft = make_report(status=ReportStatus.DRAFT)

    response = sales_client.post(
        REPORTS, {"action": "publish_selected_now", "_selected_action": [draft.pk]}
    )

    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.status == ReportStatus.DRAFT


# --- Superuser ----------------------------------------------------------------------


def test_superuser_sees_every_area(admin_client):
    apps = apps_on_index(admin_client)

    assert {"reports", "orders", "inquiries", "auth"} <= set(apps)
    for url in (REPORTS, REPORT_ADD, ORDERS, INQUIRIES, USERS):
        assert admin_client.get(url).status_code == 200, url
