"""The feed import page of the report admin: upload, check (dry run), import.

These run against the real admin URL, so ``FeedImportAdminMixin`` must be among
``ReportAdmin``'s bases (``class ReportAdmin(FeedImportAdminMixin, ...)``).
"""

import json
import re

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from reports import admin_import
from reports.models import Report, ReportStatus
from tests.factories import make_category, make_report

pytestmark = pytest.mark.django_db

IMPORT_URL = "/admin/reports/report/import/"
CHANGELIST = "/admin/reports/report/"


@pytest.fixture(autouse=True)
def category():
    return make_category(slug="medical-devices", name_en="Medical Devices", name_zh="医疗器械")


def staff_user(*codenames: str) -> User:
    user = User.objects.create_user(f"editor-{len(codenames)}-{'-'.join(codenames)}",
                                    password="x", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="reports",
                                                         codename__in=codenames))
    return user


@pytest.fixture
def editor(client):
    client.force_login(staff_user("add_report", "change_report", "view_report"))
    return client


def report_row(code: str, **values) -> dict:
    row = {
        "product_code": code,
        "publisher": "Northbridge Insights",
        "categories": ["medical-devices"],
        "published_on": "2025-11-03",
        "translations": {
            "en": {"title": f"Pump Market {code}", "summary": "<p>Pumps.</p>"},
            "zh-hans": {"title": f"输液泵市场 {code}", "summary": "<p>输液泵。</p>"},
        },
        "licences": [{"license_type": "single_user", "price": 3949}],
        "toc": {"en": "1 Preface\n2 Methodology", "zh-hans": "1 序言\n2 研究方法"},
    }
    row.update(values)
    return row


def feed_upload(rows: list[dict], name: str = "feed.json") -> SimpleUploadedFile:
    data = json.dumps({"reports": rows}, ensure_ascii=False).encode()
    return SimpleUploadedFile(name, data, content_type="application/json")


def post_feed(client, upload, *, dry_run: bool, publish: bool = False):
    data = {"feed": upload}
    if dry_run:
        data["dry_run"] = "on"
    if publish:
        data["publish"] = "on"
    return client.post(IMPORT_URL, data)


def test_the_url_is_named_in_the_admin_namespace():
    assert reverse("admin:reports_report_import") == IMPORT_URL


def test_the_page_offers_an_upload_with_check_only_ticked(editor):
    page = editor.get(IMPORT_URL).content.decode()

    assert re.search(r'<input type="file" name="feed"', page)
    assert re.search(r'<input type="checkbox" name="dry_run"[^>]*\schecked>', page)
    assert re.search(r'<input type="checkbox" name="publish"[^>]*id="id_publish">', page)
    assert f'<a href="{CHANGELIST}">Reports</a>' in page  # breadcrumbs


def test_a_check_shows_every_row_and_writes_nothing(editor):
    # given
    upload = feed_upload([
        report_row("ADM-1"),
        report_row("ADM-2", licences=[{"license_type": "single_user", "price": "abc"}]),
    ])

    # when
    response = post_feed(editor, upload, dry_run=True)

    # then
    page = response.content.decode()
    assert response.status_code == 200
    assert "Dry run, nothing was written: 1 would be created, 0 would be updated, " \
           "0 unchanged, 1 failed." in page
    assert "would be created" in page
    assert "licences[1].price: “abc” is not a number." in page
    assert not Report.objects.exists()


def test_an_import_keeps_the_good_rows_and_names_the_bad_ones(editor):
    upload = feed_upload([
        report_row("ADM-3"),
        report_row("ADM-4", categories=["no-such-category"]),
    ])

    response = post_feed(editor, upload, dry_run=False)

    page = response.content.decode()
    assert "1 created, 0 updated, 0 unchanged, 1 failed." in page
    assert "categories: There is no category with the slug “no-such-category”." in page
    report = Report.objects.get()
    assert (report.product_code, report.status) == ("ADM-3", ReportStatus.DRAFT)
    report.set_current_language("zh-hans")
    assert report.title == "输液泵市场 ADM-3"


def test_publish_box_publishes_the_imported_reports(editor, client):
    post_feed(
        editor,
        feed_upload([report_row("ADM-5", delivery_mode="on_order", delivery_days=2)]),
        dry_run=False,
        publish=True,
    )

    report = Report.objects.get(product_code="ADM-5")
    assert report.status == ReportStatus.PUBLISHED
    assert client.get(f"/en/reports/ADM-5/{report.slug}/").status_code == 200


def test_a_second_upload_of_the_same_file_changes_nothing(editor):
    post_feed(editor, feed_upload([report_row("ADM-6")]), dry_run=False)
    stored = Report.objects.get(product_code="ADM-6")

    page = post_feed(editor, feed_upload([report_row("ADM-6")]), dry_run=False).content.decode()

    assert "0 created, 0 updated, 1 unchanged, 0 failed." in page
    assert Report.objects.get(product_code="ADM-6").updated_at == stored.updated_at


def test_a_feed_naming_pdf_files_gets_a_row_error(editor):
    upload = feed_upload([report_row("ADM-7", master_pdf="pdfs/ADM-7.pdf")])

    page = post_feed(editor, upload, dry_run=False).content.decode()

    assert "master_pdf: An uploaded feed cannot bring PDF files" in page
    assert not Report.objects.exists()


def test_a_csv_upload_with_a_byte_order_mark_is_read(editor):
    csv_text = (
        "product_code,publisher,published_on,title_en,title_zh_hans,price_single_user\r\n"
        "ADM-8,Northbridge Insights,2025-11-03,Pump Market,输液泵市场,3949\r\n"
    )
    upload = SimpleUploadedFile("feed.csv", csv_text.encode("utf-8-sig"), content_type="text/csv")

    page = post_feed(editor, upload, dry_run=False).content.decode()

    assert "1 created" in page
    assert Report.objects.filter(product_code="ADM-8").exists()


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("feed.xlsx", b"PK\x03\x04 a spreadsheet", "name the file .json or .csv"),
        ("feed.json", b"{not json", "The feed is not valid JSON"),
        ("feed.csv", b"\xff\xfe\x00t\x00i\x00t\x00l\x00e", "Save it as UTF-8"),
        ("feed.csv", b"sku,name\n1,A\n", "Unknown columns in the CSV header"),
    ],
)
def test_a_file_that_cannot_be_read_gets_a_clear_message(editor, name, content, message):
    upload = SimpleUploadedFile(name, content)

    response = post_feed(editor, upload, dry_run=True)

    page = response.content.decode()
    assert response.status_code == 200
    assert message in page
    assert "import-result" not in page  # no result table: nothing was tried
    assert not Report.objects.exists()


def test_a_file_over_the_size_limit_is_refused(editor, monkeypatch):
    monkeypatch.setattr(admin_import, "MAX_UPLOAD_BYTES", 1000)
    upload = feed_upload([report_row(f"BIG-{n}") for n in range(20)])

    page = post_feed(editor, upload, dry_run=True).content.decode()

    assert "a feed may be at most 1000" in page
    assert not Report.objects.exists()


def test_a_feed_with_too_many_rows_for_one_request_is_refused(editor, monkeypatch):
    monkeypatch.setattr(admin_import, "MAX_UPLOAD_ROWS", 2)
    upload = feed_upload([report_row(f"MANY-{n}") for n in range(3)])

    page = post_feed(editor, upload, dry_run=False).content.decode()

    assert "The feed has 3 reports; this page imports at most 2 at a time." in page
    assert not Report.objects.exists()


@pytest.mark.parametrize("codenames", [("change_report", "view_report"),
                                       ("add_report", "view_report"),
                                       ("view_report",)])
def test_without_both_add_and_change_permission_the_page_is_forbidden(client, codenames):
    client.force_login(staff_user(*codenames))

    assert client.get(IMPORT_URL).status_code == 403
    response = post_feed(client, feed_upload([report_row("NOPE-1")]), dry_run=False)
    assert response.status_code == 403
    assert not Report.objects.exists()


def test_visitors_who_are_not_staff_are_sent_to_the_login(client):
    response = client.get(IMPORT_URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_report_list_shows_the_import_button_to_editors_only(client):
    make_report(product_code="LIST-1")
    button = f'<a href="{IMPORT_URL}" class="addlink">Import feed</a>'

    client.force_login(staff_user("add_report", "change_report", "view_report"))
    assert button in client.get(CHANGELIST).content.decode()

    client.force_login(staff_user("change_report", "view_report"))
    assert button not in client.get(CHANGELIST).content.decode()
