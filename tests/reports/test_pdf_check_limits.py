"""Checking an uploaded PDF happens in a child process with capped memory and time.

A file of 0.6 MB whose page tree names one page 100,000 times makes qpdf copy that
page 100,000 times: about 240 MB. Read in the web worker, that memory stayed
with the worker for good; read in the checker, it is returned when the checker ends.
"""

import resource

import pytest
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile

from reports.models import Report
from reports.pdf_files import validate_report_pdf
from tests.factories import make_report, multi_page_pdf, pdf_from_objects
from tests.reports.test_uploads import stored_files, upload

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


def page_reference_bomb(references: int = 100_000) -> bytes:
    """A valid-looking PDF whose /Kids array names the same page ``references`` times."""
    kids = b" ".join([b"3 0 R"] * references)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Count %d /Kids [" % references + kids + b"] >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
    ]
    return pdf_from_objects(objects, version=b"1.7")


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: kilobytes


@pytest.fixture(scope="module")
def bomb() -> bytes:
    content = page_reference_bomb()
    assert len(content) < 700_000
    return content


def test_checking_a_page_reference_bomb_does_not_grow_the_worker(bomb):
    # given an upload held in memory whose page tree names one page 100,000 times
    upload_in_memory = SimpleUploadedFile("bomb.pdf", bomb, content_type="application/pdf")
    before = peak_rss_bytes()
    # when it is checked
    with pytest.raises(ValidationError):
        validate_report_pdf(upload_in_memory)
    # then this process's peak memory has not grown (the old check added ~240 MB)
    assert peak_rss_bytes() - before < 16 * MB


def test_a_pdf_past_the_checkers_memory_limit_is_refused_as_too_complex(bomb, settings):
    # given a checker allowed 200 MB, less than the bomb needs
    settings.REPORT_PDF_CHECK_MAX_BYTES = 200 * MB
    # when the bomb is checked
    with pytest.raises(ValidationError) as refused:
        validate_report_pdf(SimpleUploadedFile("bomb.pdf", bomb))
    # then it is refused with a reason the editor can act on
    assert refused.value.code == "too_complex"
    assert "too complex to check" in refused.value.messages[0]
    assert "200.0\xa0MB" in refused.value.messages[0]


def test_a_check_past_its_time_limit_is_refused_as_too_complex(settings):
    # given a time limit no process can start within
    settings.REPORT_PDF_CHECK_SECONDS = 0.001
    # when a good PDF is checked
    with pytest.raises(ValidationError) as refused:
        validate_report_pdf(SimpleUploadedFile("report.pdf", multi_page_pdf(2)))
    # then it is refused as too complex rather than left running
    assert refused.value.code == "too_complex"


@pytest.mark.parametrize("kind", ["in memory", "temporary file", "file on disk"])
def test_every_kind_of_upload_is_checked_and_left_at_its_start(kind, tmp_path):
    # given a 4-page PDF as Django hands uploads over (small, large) or a feed names it
    content = multi_page_pdf(4)
    if kind == "in memory":
        handle = SimpleUploadedFile("report.pdf", content)
    elif kind == "temporary file":
        handle = TemporaryUploadedFile("report.pdf", "application/pdf", len(content), None)
        handle.write(content)
        handle.seek(0)
    else:
        path = tmp_path / "report.pdf"
        path.write_bytes(content)
        handle = File(path.open("rb"), name="report.pdf")
    # when it is checked, then its pages are counted and it can be read again from the start
    assert validate_report_pdf(handle) == 4
    assert handle.read() == content
    handle.close()


def test_the_admin_refuses_a_bomb_it_cannot_check_and_keeps_nothing(admin_client, bomb, settings):
    # given a report and a checker allowed less memory than the bomb needs
    settings.REPORT_PDF_CHECK_MAX_BYTES = 200 * MB
    report = make_report(pages=12)
    files_before = stored_files()
    # when an editor uploads the bomb as the master
    response = upload(admin_client, report, "master_pdf", bomb)
    # then the form says why, and nothing is stored or changed
    assert response.status_code == 200
    assert "too complex to check" in str(response.context["errors"])
    assert stored_files() == files_before
    assert Report.objects.get(pk=report.pk).pages == 12
