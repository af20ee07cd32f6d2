"""The product page prepared when the listing is saved (reports/product_page.py).

Every kind of edit shows on the page at once, whether it builds the page then or
leaves it to the next request; a request for a current page costs one query.
"""

import io
import json
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports import page_cache, product_page, selectors, services
from reports.models import (
    Category,
    KeyStatistic,
    LicenseOption,
    PreparedPage,
    Publisher,
    Report,
    ReportStatus,
)
from reports.outline_editing import TABLE_OF_CONTENTS, save_outline
from tests.factories import make_category, make_publisher, make_report, multi_page_pdf

pytestmark = pytest.mark.django_db


def detail_url(report, language="en"):
    return f"/{language}/reports/{report.product_code}/{report.slug}/"


def page_of(client, report, language="en") -> str:
    response = client.get(detail_url(report, language))
    assert response.status_code == 200
    return response.content.decode()


def queries_of(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def stored_pages(report) -> dict[str, PreparedPage]:
    return {page.language_code: page for page in PreparedPage.objects.filter(report=report)}


@pytest.fixture
def cache_off(settings):
    settings.CATALOGUE_CACHE_SECONDS = 0


# --- Prepared when saved, read in one query -------------------------------------------


def test_saving_a_listing_prepares_its_page_in_every_language():
    report = make_report(title_zh="继续医学教育市场", toc=[(1, "Preface", "序言")],
                         prepare_pages=True)

    pages = stored_pages(report)

    assert set(pages) == {"en", "zh-hans", "zh-hant"}
    revision = Report.objects.get(pk=report.pk).page_revision
    assert {page.revision for page in pages.values()} == {revision}
    assert "Preface" in pages["en"].html and "序言" in pages["zh-hans"].html
    # prices are not in the stored HTML but in slots filled per request
    assert product_page.SLOT_MARKS["licence_box"] in pages["en"].html


def build_catalogue(size):
    category = make_category(slug="healthcare", name_en="Healthcare", name_zh="医疗保健")
    toc = [(1 if n % 4 == 0 else 2, f"Chapter {n}", f"第{n}章") for n in range(30)]
    first = make_report(product_code="Q-0000", categories=[category], toc=toc,
                        segments=[(1, "By type"), (2, "Online")])
    for number in range(1, size):
        make_report(product_code=f"Q-{number:04d}", categories=[category], key_statistics=[])
    return first


def current_and_after_edit(client, report, language):
    """Queries of a request for a current page (its related reports kept for this
    catalogue version), and of the first request after an edit of the report."""
    url = detail_url(report, language)
    client.get(url)  # the related reports, kept for this catalogue version
    current = queries_of(client, url)
    services.refresh_listing(report_id=report.pk)  # what the admin does after a save
    after_edit = queries_of(client, url)
    return current, after_edit


@pytest.mark.parametrize("language", ["en", "zh-hans", "zh-hant"])
def test_the_page_keeps_a_fixed_small_query_count_with_the_cache_off(
    client, cache_off, language
):
    report = build_catalogue(10)
    small = current_and_after_edit(client, report, language)
    for number in range(10, 200):
        make_report(product_code=f"Q-{number:04d}", key_statistics=[])
    large = current_and_after_edit(client, report, language)

    assert small == large
    current, after_edit = large
    # the prepared page, with what decides whether it may be shown
    assert current == 1
    # and, after an edit: the related reports (their rows, their translations, for a
    # buyer whose currency is not the one their "price from" is stored in their
    # licences) and the time of the next scheduled publication
    assert after_edit <= 5


def test_a_page_never_prepared_is_built_on_its_first_request_and_kept(client, cache_off):
    report = make_report(refresh=False, title_en="Unprepared Widgets Market")
    assert not stored_pages(report)

    assert "Unprepared Widgets Market" in page_of(client, report)

    assert set(stored_pages(report)) == {"en"}
    client.get(detail_url(report))  # the related reports, kept
    assert queries_of(client, detail_url(report)) == 1


def test_pages_of_hidden_reports_are_404_even_when_prepared(client, cache_off):
    report = make_report(status=ReportStatus.DRAFT)
    services.refresh_listing(report_id=report.pk)
    assert stored_pages(report)

    assert client.get(detail_url(report)).status_code == 404
    assert client.get(f"/en/reports/{report.product_code}/").status_code == 404


def test_the_prepare_command_builds_missing_and_stale_pages():
    reports = [make_report(refresh=False) for _ in range(3)]
    product_page.pages_changed(Report.objects.filter(pk=reports[0].pk))

    call_command("prepare_report_pages", stdout=io.StringIO())

    for report in reports:
        pages = stored_pages(report)
        assert set(pages) == {"en", "zh-hans", "zh-hant"}
        revision = Report.objects.get(pk=report.pk).page_revision
        assert {page.revision for page in pages.values()} == {revision}
    out = io.StringIO()
    call_command("prepare_report_pages", stdout=out)
    assert out.getvalue().startswith("0 ")


def test_prices_show_in_the_buyers_currency_from_one_prepared_page(client, cache_off):
    report = make_report(licence_prices={"single_user": "3939"})
    LicenseOption.objects.create(
        report=report, license_type="single_user", price=Decimal("28000"), currency="CNY"
    )
    services.refresh_listing(report_id=report.pk)

    english = page_of(client, report)
    chinese = page_of(client, report, "zh-hans")  # CNY by default

    assert "USD 3,939" in english and "CNY 28,000" not in english
    assert "CNY 28,000" in chinese and "USD 3,939" not in chinese
    assert 'name="license_option"' in english  # the buy form, with the buyer's token
    assert 'name="csrfmiddlewaretoken"' in english
    assert page_cache.CSRF_PLACEHOLDER not in english


# --- Every kind of edit shows at once -------------------------------------------------


def edit_title(report, language, title):
    report = Report.objects.get(pk=report.pk)
    report.set_current_language(language)
    report.title = title
    report.save_translations()
    services.refresh_listing(report_id=report.pk)


@pytest.mark.parametrize("cache_seconds", [0, 300], ids=["cache off", "cache on"])
def test_a_saved_listing_shows_at_once(client, settings, cache_seconds):
    settings.CATALOGUE_CACHE_SECONDS = cache_seconds
    report = make_report(title_en="Old Widgets Market", title_zh="旧小部件市场")
    assert "Old Widgets Market" in page_of(client, report)
    assert "旧小部件市场" in page_of(client, report, "zh-hans")

    edit_title(report, "en", "New Widgets Market")
    edit_title(report, "zh-hans", "新小部件市场")

    assert "New Widgets Market" in page_of(client, report)
    assert "新小部件市场" in page_of(client, report, "zh-hans")
    assert "Old Widgets Market" not in page_of(client, report)


def test_key_figures_and_licences_show_at_once(client, cache_off):
    report = make_report(key_statistics=[], licence_prices={"single_user": "3939"})
    page = page_of(client, report)
    assert "USD 3,939" in page and 'id="key-figures"' not in page

    KeyStatistic.objects.create(report=report, kind="cagr", percentage=Decimal("12.34"))
    LicenseOption.objects.filter(report=report).update(price=Decimal("4111"))
    services.refresh_listing(report_id=report.pk)

    page = page_of(client, report)
    assert "12.34%" in page and 'id="key-figures"' in page
    assert "USD 4,111" in page and "USD 3,939" not in page
    # JSON-LD offers follow the licences too
    assert '"price":"4111.00"' in page


def test_an_outline_edit_shows_at_once_even_before_the_listing_is_refreshed(client, cache_off):
    report = make_report(toc=[(1, "Preface", "序言")])
    assert "Preface" in page_of(client, report)

    save_outline(TABLE_OF_CONTENTS, report_id=report.pk, language_code="en",
                 text="1 Foreword\n2 Methods")

    page = page_of(client, report)
    assert "Foreword" in page and "Methods" in page and "Preface" not in page


def test_a_reviewed_traditional_translation_shows_at_once(client, cache_off):
    report = make_report(title_zh="继续医学教育市场")
    services.draft_traditional_translation(report_id=report.pk)
    assert "繼續醫學教育市場" not in page_of(client, report, "zh-hant")

    services.mark_translation_reviewed(report_id=report.pk, language_code="zh-hant")

    assert "繼續醫學教育市場" in page_of(client, report, "zh-hant")


def test_rendered_sample_pages_show_at_once(client, cache_off, django_capture_on_commit_callbacks):
    report = make_report()
    assert 'id="sample"' not in page_of(client, report)
    report = Report.objects.get(pk=report.pk)

    with django_capture_on_commit_callbacks(execute=True):
        report.sample_pdf.save("sample.pdf", ContentFile(multi_page_pdf(2)))

    page = page_of(client, report)
    assert 'id="sample"' in page
    for sample_page in report.sample_pages.all():
        assert f'src="{sample_page.get_absolute_url()}"' in page


def test_a_renamed_category_or_publisher_shows_at_once(client, cache_off):
    category = make_category(slug="devices", name_en="Devices", name_zh="器械")
    publisher = make_publisher()
    report = make_report(categories=[category], publisher=publisher)
    assert ">Devices</a>" in page_of(client, report)

    category = Category.objects.get(pk=category.pk)
    category.set_current_language("en")
    category.name = "Medical Devices"
    category.save()
    services.category_changed(category_id=category.pk)
    Publisher.objects.filter(pk=publisher.pk).update(name="Renamed Research Ltd")
    services.publisher_changed(publisher_id=publisher.pk)

    page = page_of(client, report)
    assert ">Medical Devices</a>" in page
    assert "Renamed Research Ltd" in page
    assert '"category":"Medical Devices"' in page  # JSON-LD


def test_publishing_and_archiving_show_at_once(client, cache_off):
    report = make_report(status=ReportStatus.DRAFT, title_en="Soon Widgets Market")
    assert client.get(detail_url(report)).status_code == 404

    services.publish_now(report_id=report.pk)
    assert "Soon Widgets Market" in page_of(client, report)

    services.archive_report(report_id=report.pk)
    assert client.get(detail_url(report)).status_code == 404


def test_a_feed_import_update_shows_at_once(client, cache_off, tmp_path):
    make_category(slug="medical-devices", name_en="Medical Devices", name_zh="医疗器械")
    feed = {
        "product_code": "FEED-1",
        "publisher": "Northbridge Insights",
        "categories": ["medical-devices"],
        "published_on": "2025-11-03",
        "delivery_mode": "on_order",
        "delivery_days": 2,
        "translations": {
            "en": {"title": "Gadget Market First Edition", "summary": "<p>Gadgets sell.</p>"},
            "zh-hans": {"title": "小工具市场第一版", "summary": "<p>小工具畅销。</p>"},
        },
        "licences": [{"license_type": "single_user", "price": 3949}],
    }
    path = tmp_path / "feed.json"
    path.write_text(json.dumps({"reports": [feed]}))
    call_command("import_reports", str(path), "--publish", stdout=io.StringIO(),
                 stderr=io.StringIO())
    report = Report.objects.get(product_code="FEED-1")
    assert "Gadget Market First Edition" in page_of(client, report)

    feed["translations"]["en"]["title"] = "Gadget Market Second Edition"
    feed["licences"][0]["price"] = 4111
    path.write_text(json.dumps({"reports": [feed]}))
    call_command("import_reports", str(path), "--publish", stdout=io.StringIO(),
                 stderr=io.StringIO())

    report = Report.objects.get(product_code="FEED-1")
    page = page_of(client, report)
    assert "Gadget Market Second Edition" in page and "USD 4,111" in page


def test_seeded_catalogues_show_their_pages(client, cache_off):
    call_command("seed_catalog", reports=5, seed=3, stdout=io.StringIO())
    for report in Report.objects.all():
        with_translation = Report.objects.get(pk=report.pk)
        assert with_translation.safe_translation_getter("title") in page_of(client, report)


def test_other_settings_build_the_page_again(client, cache_off, settings):
    report = make_report()
    assert "https://shop.example" not in page_of(client, report)
    settings.SITE_URL = "https://shop.example"

    page = page_of(client, report)

    assert f'href="https://shop.example{detail_url(report)}"' in page  # canonical


def test_staff_preview_shows_a_draft_as_it_is_now_and_stores_nothing(admin_client):
    report = make_report(status=ReportStatus.DRAFT, title_en="Draft Widgets Market",
                         refresh=False)
    response = admin_client.get(f"/en/reports/preview/{report.product_code}/")
    assert response.status_code == 200
    assert "Draft Widgets Market" in response.content.decode()
    assert not stored_pages(report)


def test_related_reports_are_the_closest_newest_ones():
    parent = make_category(slug="health")
    same = make_category(slug="devices", parent=parent)
    sibling = make_category(slug="diagnostics", parent=parent)
    publisher = make_publisher()
    report = make_report(categories=[same], publisher=publisher)
    in_same = [make_report(categories=[same]) for _ in range(2)]
    in_sibling = make_report(categories=[sibling])
    by_publisher = make_report(publisher=publisher)
    unrelated = [make_report() for _ in range(3)]

    def shown(limit):
        cards = selectors.related_cards(report.pk, publisher.pk, [(same.pk, parent.pk)], limit)
        return [card.pk for card in cards]

    expected = [*reversed([r.pk for r in in_same]), in_sibling.pk, by_publisher.pk,
                *reversed([r.pk for r in unrelated])]
    assert shown(4) == expected[:4]
    assert shown(7) == expected[:7]
