"""Editors preview a report in any status; nobody else learns that it exists."""

from datetime import datetime, timedelta, timezone as dt_timezone
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.translation import gettext, override

from reports.models import Report, ReportStatus
from tests.factories import make_category, make_report

pytestmark = pytest.mark.django_db


def preview_path(report, language="en"):
    return f"/{language}/reports/preview/{report.product_code}/"


def detail_path(report, language="en"):
    return f"/{language}/reports/{report.product_code}/{report.slug}/"


def make_user(username, *, staff=False, may_view_reports=False):
    user = User.objects.create_user(username, f"{username}@example.com", "pw", is_staff=staff)
    if may_view_reports:
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label="reports", codename="view_report")
        )
    return user


@pytest.fixture
def editor_client(client):
    client.force_login(make_user("editor", staff=True, may_view_reports=True))
    return client


class PageReader(HTMLParser):
    """The robots meta, canonical links, JSON-LD and the banner's text of a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.robots, self.canonical, self.json_ld, self.links = [], [], 0, []
        self.banner_text = ""
        self._banner_depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and attrs.get("name") == "robots":
            self.robots.append(attrs["content"])
        if tag == "link" and attrs.get("rel") == "canonical":
            self.canonical.append(attrs["href"])
        if tag == "script" and attrs.get("type") == "application/ld+json":
            self.json_ld += 1
        if tag == "a" and self._banner_depth:
            self.links.append(attrs["href"])
        if self._banner_depth or "preview-banner" in (attrs.get("class") or "").split():
            self._banner_depth += 1

    def handle_endtag(self, tag):
        if self._banner_depth:
            self._banner_depth -= 1

    def handle_data(self, data):
        if self._banner_depth:
            self.banner_text += data


def read(response) -> PageReader:
    reader = PageReader()
    reader.feed(response.content.decode())
    return reader


# --- Who may see a preview ------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_an_editor_previews_a_draft_in_either_language(editor_client, language):
    # given
    draft = make_report(
        product_code="DRAFT-1",
        status=ReportStatus.DRAFT,
        title_en="Quantum Sensors Market",
        title_zh="量子传感器市场",
    )

    # when
    response = editor_client.get(preview_path(draft, language))

    # then
    assert response.status_code == 200
    page = response.content.decode()
    assert ("Quantum Sensors Market" if language == "en" else "量子传感器市场") in page
    assert f'<html lang="{language}">' in page
    assert "USD 3,939" in page  # the licences render as buyers will see them
    reader = read(response)
    banner = " ".join(reader.banner_text.split())
    with override(language):
        assert gettext("Preview: this report is a draft and not visible to buyers.") in banner
    assert f"/admin/reports/report/{draft.pk}/change/" in reader.links
    # Nothing in it invites indexing or sharing.
    assert reader.robots == ["noindex, nofollow"]
    assert reader.canonical == [] and reader.json_ld == 0
    assert "noindex" in response["X-Robots-Tag"]
    cache_control = response["Cache-Control"]
    assert "no-store" in cache_control and "private" in cache_control


def test_the_banner_gives_the_publication_time_of_a_scheduled_report(editor_client):
    publish_at = datetime(2031, 3, 4, 5, 6, tzinfo=dt_timezone.utc)
    scheduled = make_report(
        product_code="LATER-1", status=ReportStatus.SCHEDULED, publish_at=publish_at
    )

    reader = read(editor_client.get(preview_path(scheduled)))

    banner = " ".join(reader.banner_text.split())
    assert "scheduled for 2031-03-04 05:06 UTC and not visible to buyers yet" in banner
    assert "Scheduled" in banner


@pytest.mark.parametrize(
    "status, words",
    [
        (ReportStatus.ARCHIVED, "archived and not visible to buyers"),
        (ReportStatus.PUBLISHED, "published and visible to buyers"),
    ],
)
def test_the_banner_says_what_buyers_see(editor_client, status, words):
    report = make_report(product_code="ANY-1", status=status)
    reader = read(editor_client.get(preview_path(report)))
    assert words in " ".join(reader.banner_text.split())


def test_a_superuser_may_preview(client):
    client.force_login(User.objects.create_superuser("boss", "boss@example.com", "pw"))
    draft = make_report(status=ReportStatus.DRAFT)
    assert client.get(preview_path(draft)).status_code == 200


def test_anonymous_visitors_are_sent_to_the_admin_login(client):
    draft = make_report(product_code="DRAFT-2", status=ReportStatus.DRAFT)
    response = client.get(preview_path(draft, "zh-hans"))
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/zh-hans/reports/preview/DRAFT-2/"


@pytest.mark.parametrize(
    "staff, may_view_reports",
    [(False, False), (False, True), (True, False)],
    ids=["customer", "not staff", "staff without the permission"],
)
def test_others_get_a_404_that_reveals_nothing(client, staff, may_view_reports):
    client.force_login(make_user("someone", staff=staff, may_view_reports=may_view_reports))
    draft = make_report(
        product_code="DRAFT-3", status=ReportStatus.DRAFT, title_en="Secret Market"
    )
    missing = client.get("/en/reports/preview/NO-SUCH-CODE/")
    response = client.get(preview_path(draft))
    assert response.status_code == missing.status_code == 404
    assert "Secret Market" not in response.content.decode()


def test_an_unknown_product_code_is_404_for_editors_too(editor_client):
    assert editor_client.get("/en/reports/preview/NO-SUCH-CODE/").status_code == 404


# --- A preview never leaks into the public pages ------------------------------------


def test_the_public_page_of_a_previewed_draft_stays_404(client, editor_client):
    draft = make_report(product_code="DRAFT-4", status=ReportStatus.DRAFT)
    assert editor_client.get(preview_path(draft)).status_code == 200
    assert editor_client.get(detail_path(draft)).status_code == 404
    client.logout()
    assert client.get(detail_path(draft)).status_code == 404


def test_a_preview_is_never_cached(editor_client):
    draft = make_report(product_code="DRAFT-5", status=ReportStatus.DRAFT, title_en="First Title")
    assert "First Title" in editor_client.get(preview_path(draft)).content.decode()

    # An edit that does not touch the catalogue version still shows at once.
    Report.translations.field.model.objects.filter(master=draft, language_code="en").update(
        title="Second Title"
    )

    assert "Second Title" in editor_client.get(preview_path(draft)).content.decode()


def test_preview_keeps_a_fixed_query_count(editor_client):
    category = make_category()
    draft = make_report(product_code="DRAFT-6", status=ReportStatus.DRAFT, categories=[category])
    for number in range(3):
        make_report(product_code=f"REL-{number}", categories=[category])

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert editor_client.get(preview_path(draft)).status_code == 200
        return len(captured)

    small = queries()
    for number in range(3, 40):
        make_report(product_code=f"REL-{number}", categories=[category], key_statistics=[])
    assert queries() == small <= 16


def test_preview_of_a_due_scheduled_report_links_the_public_page(editor_client):
    due = make_report(
        product_code="DUE-1",
        status=ReportStatus.SCHEDULED,
        publish_at=timezone.now() - timedelta(minutes=5),
    )
    reader = read(editor_client.get(preview_path(due)))
    assert detail_path(due) in reader.links
