"""Master and sample PDFs uploaded in the admin are checked before anything is kept:
really a PDF, within the size limit, readable as stamping reads it. The master's
page count becomes the report's."""

from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile

from reports.models import Report
from tests.factories import make_report, minimal_pdf, multi_page_pdf
from tests.reports.test_admin import change_url, post_data

pytestmark = pytest.mark.django_db

FIELDS = ["master_pdf", "sample_pdf"]


def stored_files() -> set[Path]:
    root = Path(settings.PRIVATE_MEDIA_ROOT)
    return {path.relative_to(root) for path in root.rglob("*") if path.is_file()}


def upload(client, report, field, content, *, name="report.pdf", language="en", **changes):
    url = change_url(report) + f"?language={language}"
    data = post_data(client.get(url))
    data.update(changes)
    data[field] = SimpleUploadedFile(name, content, content_type="application/pdf")
    return client.post(url, data)


def truncated_pdf() -> bytes:
    whole = multi_page_pdf(3)
    return whole[: len(whole) * 2 // 3]  # the download broke off: no xref, no trailer


# --- Accepted -------------------------------------------------------------------------------


def test_a_master_is_stored_privately_and_its_page_count_wins(admin_client):
    report = make_report(pages=180)

    response = upload(admin_client, report, "master_pdf", multi_page_pdf(7), pages="200")

    assert response.status_code == 302, response.context and response.context["errors"]
    report = Report.objects.get(pk=report.pk)
    assert report.pages == 7
    assert report.master_pdf.name.startswith("masters/")
    assert storages["private"].exists(report.master_pdf.name)
    with report.master_pdf.open("rb") as stored:
        assert stored.read() == multi_page_pdf(7)
    shown = [str(message) for message in get_messages(response.wsgi_request)]
    assert "The page count is now 7, read from the master PDF (the form said 200)." in shown


def test_a_master_matching_the_typed_page_count_says_nothing_about_it(admin_client):
    report = make_report(pages=3)

    response = upload(admin_client, report, "master_pdf", multi_page_pdf(3))

    assert response.status_code == 302
    assert Report.objects.get(pk=report.pk).pages == 3
    shown = " ".join(str(message) for message in get_messages(response.wsgi_request))
    assert "read from the master PDF" not in shown


def test_a_sample_is_stored_privately_and_leaves_the_page_count(admin_client):
    report = make_report(pages=180)

    response = upload(admin_client, report, "sample_pdf", minimal_pdf("Sample"))

    assert response.status_code == 302, response.context and response.context["errors"]
    report = Report.objects.get(pk=report.pk)
    assert report.pages == 180
    assert report.sample_pdf.name.startswith("samples/")
    assert storages["private"].exists(report.sample_pdf.name)


def test_a_master_uploaded_in_the_chinese_tab_is_checked_the_same_way(admin_client):
    report = make_report()

    response = upload(admin_client, report, "master_pdf", multi_page_pdf(2), language="zh-hans")

    assert response.status_code == 302
    assert Report.objects.get(pk=report.pk).pages == 2


# --- Refused: nothing is kept ------------------------------------------------------------------


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"Quarterly figures\nRevenue: 9.31bn\n" * 20, "This is not a PDF file."),
        (truncated_pdf(), "This PDF is damaged"),
        (b"%PDF-1.4\n% nothing else\n", "This PDF is damaged"),
    ],
    ids=["text file named .pdf", "truncated PDF", "header only"],
)
def test_an_unusable_file_is_refused_and_nothing_is_saved(admin_client, field, content, message):
    report = make_report(pages=180, title_en="Untouched Market", master_pdf=None)
    before = stored_files()

    response = upload(admin_client, report, field, content, title="Changed Market")

    assert response.status_code == 200
    assert message in str(response.context["adminform"].form.errors[field])
    report = Report.objects.get(pk=report.pk)
    assert not report.master_pdf and not report.sample_pdf
    assert report.pages == 180
    assert report.safe_translation_getter("title", language_code="en") == "Untouched Market"
    assert stored_files() == before


@pytest.mark.parametrize("field", FIELDS)
def test_a_file_over_the_limit_is_refused(admin_client, settings, field):
    settings.REPORT_PDF_MAX_BYTES = 1024
    report = make_report(pages=180, master_pdf=None)
    big = multi_page_pdf(40)
    assert len(big) > 1024
    before = stored_files()

    response = upload(admin_client, report, field, big)

    assert response.status_code == 200
    assert "a report PDF may be at most 1.0\xa0KB" in str(
        response.context["adminform"].form.errors[field]
    )
    report = Report.objects.get(pk=report.pk)
    assert not report.master_pdf and not report.sample_pdf
    assert report.pages == 180
    assert stored_files() == before


def test_a_refused_master_keeps_the_stored_one(admin_client):
    report = make_report(master_pdf=multi_page_pdf(4), pages=4)
    stored_name = report.master_pdf.name

    response = upload(admin_client, report, "master_pdf", b"not a pdf at all")

    assert response.status_code == 200
    report = Report.objects.get(pk=report.pk)
    assert (report.master_pdf.name, report.pages) == (stored_name, 4)


def test_saving_without_an_upload_keeps_the_files_and_the_page_count(admin_client):
    report = make_report(master_pdf=multi_page_pdf(4), sample_pdf=minimal_pdf(), pages=250)
    data = post_data(admin_client.get(change_url(report)))

    response = admin_client.post(change_url(report), data)

    assert response.status_code == 302
    saved = Report.objects.get(pk=report.pk)
    assert (saved.master_pdf.name, saved.sample_pdf.name) == (
        report.master_pdf.name,
        report.sample_pdf.name,
    )
    assert saved.pages == 250  # an existing master is not read again
