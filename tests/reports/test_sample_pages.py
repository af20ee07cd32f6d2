"""Look inside: a sample PDF's first pages rendered, stamped, stored, served and shown."""

import io
import time

import pypdfium2
import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from reports import sample_pages
from reports.models import Report, SamplePage
from reports.storage import private_storage
from tests.factories import make_category, make_report, multi_page_pdf


def detail_url(report, language="en"):
    return f"/{language}/reports/{report.product_code}/{report.slug}/"


def with_sample(django_capture_on_commit_callbacks, **fields):
    """A report with a sample PDF, its pages rendered by the task queued on commit."""
    with django_capture_on_commit_callbacks(execute=True):
        return make_report(**fields)


def image_of(response) -> Image.Image:
    return Image.open(io.BytesIO(b"".join(response.streaming_content)))


def red_band_at_top(image: Image.Image) -> bool:
    """The stamp's red band: the top rows of the page are mostly the stamp's red."""
    r, g, b = image.convert("RGB").getpixel((5, 5))
    return r > 150 and g < 90 and b < 90


@pytest.mark.django_db
def test_uploading_a_sample_renders_its_first_pages_stamped(
    client, settings, django_capture_on_commit_callbacks
):
    # given: a six-page sample, four pages rendered
    settings.SAMPLE_PAGES_RENDERED = 4
    report = with_sample(
        django_capture_on_commit_callbacks, sample_pdf=multi_page_pdf(6, "Inside the market")
    )

    # then: four rows, their images in the private storage, stamped "Sample"
    pages = list(report.sample_pages.all())
    assert [page.number for page in pages] == [1, 2, 3, 4]
    for page in pages:
        assert private_storage().exists(page.image)
        assert page.image.startswith(f"sample-pages/{report.product_code}/")
        assert page.width == pytest.approx(settings.SAMPLE_PAGE_WIDTH, abs=2)
        assert page.height > page.width  # a portrait page
    response = client.get(pages[0].get_absolute_url())
    image = image_of(response)
    assert image.format == "WEBP"
    assert image.size == (pages[0].width, pages[0].height)
    assert red_band_at_top(image)


def test_rendering_a_real_pdf_shows_the_page_and_the_stamp():
    # given: a page with black text on white
    [page] = sample_pages.render_pdf_pages(multi_page_pdf(1, "Visible text"), pages=4, width=600)

    image = Image.open(io.BytesIO(page.data)).convert("L")
    # then: the text is drawn (dark pixels below the band) and so is the stamp band
    band = max(24, image.height // 18)
    body = image.crop((0, band + 2, image.width, image.height))
    assert body.getextrema()[0] < 80
    assert red_band_at_top(Image.open(io.BytesIO(page.data)))
    assert page.digest == sample_pages.RenderedPage(1, page.data, 0, 0).digest


def test_an_unreadable_sample_is_a_clear_error():
    with pytest.raises(sample_pages.SampleUnreadable):
        sample_pages.render_pdf_pages(b"%PDF-1.4 this is not a PDF", pages=4, width=600)


@pytest.mark.django_db
def test_replacing_and_removing_the_sample_replaces_and_removes_its_pages(
    django_capture_on_commit_callbacks,
):
    report = with_sample(django_capture_on_commit_callbacks, sample_pdf=multi_page_pdf(2, "Old"))
    old_images = list(report.sample_pages.values_list("image", flat=True))
    assert len(old_images) == 2

    # when: a new sample with five pages
    report = Report.objects.get(pk=report.pk)
    with django_capture_on_commit_callbacks(execute=True):
        report.sample_pdf.save("new-sample.pdf", ContentFile(multi_page_pdf(5, "New")))
    # then: its first four pages replace the old ones, whose files are gone
    assert report.sample_pages.count() == 4
    assert not any(private_storage().exists(name) for name in old_images)

    # when: the sample is removed
    new_images = list(report.sample_pages.values_list("image", flat=True))
    report = Report.objects.get(pk=report.pk)
    report.sample_pdf = ""
    with django_capture_on_commit_callbacks(execute=True):
        report.save()
    # then: no pages, no files
    assert report.sample_pages.count() == 0
    assert not any(private_storage().exists(name) for name in new_images)


@pytest.mark.django_db
def test_rendering_twice_leaves_one_set_of_pages(django_capture_on_commit_callbacks):
    report = with_sample(django_capture_on_commit_callbacks, sample_pdf=multi_page_pdf(3))
    with django_capture_on_commit_callbacks(execute=True):
        assert sample_pages.render_sample_pages(report_id=report.pk) == 3
    images = list(SamplePage.objects.values_list("image", flat=True))
    assert len(images) == 3
    assert all(private_storage().exists(name) for name in images)


@pytest.mark.django_db
def test_an_unreadable_sample_leaves_no_pages(django_capture_on_commit_callbacks):
    report = with_sample(django_capture_on_commit_callbacks, sample_pdf=multi_page_pdf(2))
    report = Report.objects.get(pk=report.pk)
    with django_capture_on_commit_callbacks(execute=True):
        # The task logs an unreadable sample and does not retry it.
        report.sample_pdf.save("broken.pdf", ContentFile(b"%PDF-1.4 garbage"))
    assert report.sample_pages.count() == 0


# --- The image view -------------------------------------------------------------


@pytest.mark.django_db
def test_a_sample_page_is_served_to_anyone_with_a_long_cache(
    client, django_capture_on_commit_callbacks
):
    report = with_sample(django_capture_on_commit_callbacks, sample_pdf=multi_page_pdf(1))
    [page] = report.sample_pages.all()

    with CaptureQueriesContext(connection) as queries:
        response = client.get(page.get_absolute_url())
    assert response.status_code == 200
    assert len(queries) == 1
    assert response["Content-Type"] == "image/webp"
    assert "max-age=31536000" in response["Cache-Control"]
    assert "immutable" in response["Cache-Control"]
    # A stale digest or an unknown page is a 404, never another image.
    assert client.get(f"/sample-pages/{report.product_code}/1-0000000000000000.webp").status_code == 404
    assert client.get(f"/sample-pages/{report.product_code}/9-{page.digest}.webp").status_code == 404


@pytest.mark.django_db
def test_a_draft_reports_sample_pages_are_not_served(client, django_capture_on_commit_callbacks):
    report = with_sample(
        django_capture_on_commit_callbacks, status="draft", sample_pdf=multi_page_pdf(1)
    )
    [page] = report.sample_pages.all()
    assert client.get(page.get_absolute_url()).status_code == 404


# --- The product page ----------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_product_page_shows_the_pages_or_else_the_contents(
    client, language, django_capture_on_commit_callbacks
):
    toc = [(1, "Market overview", "市场概览")]
    with_pages = with_sample(
        django_capture_on_commit_callbacks, sample_pdf=multi_page_pdf(2), toc=toc
    )
    without = make_report(toc=toc)

    html = client.get(detail_url(with_pages, language)).content.decode()
    for page in with_pages.sample_pages.all():
        assert f'src="{page.get_absolute_url()}"' in html
        assert f'href="{page.get_absolute_url()}"' in html
    assert 'id="sample"' in html and 'href="#sample"' in html

    html = client.get(detail_url(without, language)).content.decode()
    assert 'id="sample"' not in html and 'href="#sample"' not in html
    assert 'id="contents"' in html
    assert ("市场概览" if language == "zh-hans" else "Market overview") in html


def build_catalogue(size, *, sample, capture):
    category = make_category(slug="healthcare", name_en="Healthcare", name_zh="医疗保健")
    reports = [
        make_report(product_code=f"Q-{number:04d}", categories=[category], key_statistics=[])
        for number in range(size)
    ]
    toc = [(1, f"Chapter {n}", f"第{n}章") for n in range(3)]
    if sample:
        return with_sample(
            capture, product_code="S-0001", categories=[category], toc=toc,
            sample_pdf=multi_page_pdf(4), prepare_pages=True,
        )
    return make_report(product_code="S-0001", categories=[category], toc=toc, prepare_pages=True)


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.django_db
@pytest.mark.parametrize("sample", [True, False], ids=["with sample pages", "without"])
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_product_page_keeps_a_fixed_query_count(
    client, settings, sample, language, django_capture_on_commit_callbacks
):
    settings.SAMPLE_PAGES_RENDERED = 4
    report = build_catalogue(5, sample=sample, capture=django_capture_on_commit_callbacks)
    assert report.sample_pages.count() == (4 if sample else 0)
    small = count_queries(client, detail_url(report, language))
    for number in range(5, 120):
        make_report(product_code=f"Q-{number:04d}", key_statistics=[])
    large = count_queries(client, detail_url(report, language))
    assert small == large
    # the prepared page with its "look inside" strip, the next scheduled publication
    # (twice), the related reports and their translations, and one more for a zh-hans
    # buyer (CNY by default): the related reports' stored "price from" is in USD, so
    # their licences are read, in one query
    assert large <= (5 if language == "en" else 6)
    # and a warm page comes from the page cache without a query
    assert count_queries(client, detail_url(report, language)) == 0


@pytest.mark.django_db
def test_new_sample_pages_show_on_a_cached_page_at_once(
    client, django_capture_on_commit_callbacks
):
    report = make_report()
    assert 'id="sample"' not in client.get(detail_url(report)).content.decode()
    report = Report.objects.get(pk=report.pk)
    with django_capture_on_commit_callbacks(execute=True):
        report.sample_pdf.save("sample.pdf", ContentFile(multi_page_pdf(1)))
    assert 'id="sample"' in client.get(detail_url(report)).content.decode()


# --- Through a real worker ----------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_worker_renders_an_uploaded_sample(celery_worker, client):
    report = make_report(sample_pdf=multi_page_pdf(3, "Worker sample"))
    deadline = time.monotonic() + 30
    while SamplePage.objects.filter(report=report).count() < 3:
        assert time.monotonic() < deadline, "the worker never rendered the sample"
        time.sleep(0.1)
    pages = list(SamplePage.objects.filter(report=report).select_related("report"))
    response = client.get(pages[2].get_absolute_url())
    assert response.status_code == 200
    assert red_band_at_top(image_of(response))
    html = client.get(detail_url(report)).content.decode()
    assert all(page.get_absolute_url() in html for page in pages)


def test_pdfium_renders_the_number_of_pages_asked_for():
    document = pypdfium2.PdfDocument(multi_page_pdf(2))
    assert len(document) == 2
    document.close()
    assert len(sample_pages.render_pdf_pages(multi_page_pdf(2), pages=4, width=300)) == 2
