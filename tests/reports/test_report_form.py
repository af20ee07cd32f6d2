"""The report form as an editor meets it: a rich-text summary that runs under the
site's CSP, wide title boxes, a breadcrumb naming the report, and no quick way to
lose a translation."""

import re

import pytest

from reports.models import Report
from tests.factories import make_report
from tests.reports.test_admin import change_url, post_data

pytestmark = pytest.mark.django_db

ReportTranslation = Report._parler_meta.root_model


def test_the_summary_is_edited_in_the_rich_text_editor_from_static_files(admin_client):
    report = make_report()

    response = admin_client.get(change_url(report))

    html = response.content.decode()
    assert "data-django-prose-editor-configurable" in html
    # Every script is a static file except the import map, which carries the nonce
    # that this response's policy allows.
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    assert f'<script type="importmap" nonce="{nonce}">' in html
    inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert all(f'nonce="{nonce}"' in tag or "json" in tag for tag in inline), inline
    assert '/static/django_prose_editor/configurable.js' in html


def test_pages_without_the_editor_carry_no_nonce(client, admin_client):
    assert "nonce" not in client.get("/en/reports/")["Content-Security-Policy"]
    assert "nonce" not in admin_client.get("/admin/")["Content-Security-Policy"]


def test_a_summary_from_the_editor_is_stored_sanitised(admin_client):
    report = make_report()
    data = post_data(admin_client.get(change_url(report)))
    data["summary"] = '<h2>Scope</h2><p onclick="x()">Grows <strong>fast</strong>.</p><script>x()</script>'

    response = admin_client.post(change_url(report), data)

    assert response.status_code == 302, response.context and response.context["errors"]
    summary = ReportTranslation.objects.get(master=report, language_code="en").summary
    assert summary == "<h2>Scope</h2><p>Grows <strong>fast</strong>.</p>"


def test_titles_get_a_box_as_wide_as_the_form(admin_client):
    html = admin_client.get(change_url(make_report())).content.decode()

    title = re.search(r'<input[^>]*name="title"[^>]*>', html).group()
    assert 'class="vLargeTextField wide-text"' in title


def test_the_chinese_tab_of_an_untranslated_report_names_the_report(admin_client):
    report = make_report(title_en="Drone Market", title_zh=None)

    html = admin_client.get(change_url(report) + "?language=zh-hans").content.decode()

    breadcrumbs = re.search(r'<div class="breadcrumbs">(.*?)</div>', html, re.S).group(1)
    assert "Drone Market" in breadcrumbs
    assert "Add report" not in breadcrumbs


def test_english_cannot_be_deleted_and_another_language_only_after_confirming(admin_client):
    report = make_report()
    base = change_url(report)

    english_tab = admin_client.get(base).content.decode()
    assert "delete-translation/en/" not in english_tab
    assert admin_client.get(base + "delete-translation/en/").status_code == 403
    assert admin_client.post(base + "delete-translation/en/", {"post": "yes"}).status_code == 403

    chinese_tab = admin_client.get(base + "?language=zh-hans").content.decode()
    assert "Delete the Simplified Chinese translation" in chinese_tab or (
        "delete-translation/zh-hans/" in chinese_tab
    )
    confirm = admin_client.get(base + "delete-translation/zh-hans/")
    assert confirm.status_code == 200 and "Are you sure?" in confirm.content.decode()
    assert ReportTranslation.objects.filter(master=report, language_code="zh-hans").exists()

    admin_client.post(base + "delete-translation/zh-hans/", {"post": "yes"})

    assert not ReportTranslation.objects.filter(master=report, language_code="zh-hans").exists()
    assert ReportTranslation.objects.filter(master=report, language_code="en").exists()


# --- Amounts typed with a unit ------------------------------------------------------------


def statistics_rows(response):
    (formset,) = [
        inline.formset
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.prefix == "key_statistics"
    ]
    return formset


@pytest.mark.parametrize(
    ("figure", "unit", "stored", "words"),
    [
        ("9.31", "1000000000", "9310000000.00", "USD 9.31 billion"),
        ("512.5", "1000000", "512500000.00", "USD 512.50 million"),
        ("750", "1000", "750000.00", "USD 750,000"),
    ],
)
def test_an_amount_is_typed_with_a_unit_stored_whole_and_shown_in_words(
    admin_client, figure, unit, stored, words
):
    from decimal import Decimal

    report = make_report()
    data = post_data(admin_client.get(change_url(report)))
    data["key_statistics-0-amount_figure"] = figure
    data["key_statistics-0-amount_unit"] = unit

    response = admin_client.post(change_url(report), data)

    assert response.status_code == 302, response.context and response.context["errors"]
    statistic = report.key_statistics.order_by("position", "id").first()
    assert statistic.amount == Decimal(stored)
    page = admin_client.get(change_url(report))
    first = statistics_rows(page).forms[0]
    # Shown back as typed, and in words as buyers read it.
    assert Decimal(first["amount_figure"].value()) == Decimal(figure)
    assert Decimal(first["amount_unit"].value()) == Decimal(unit)
    assert statistic.display_value() == words
    assert words in page.content.decode()


def test_an_amount_finer_than_a_cent_is_refused(admin_client):
    report = make_report()
    before = list(report.key_statistics.values_list("amount", flat=True))
    data = post_data(admin_client.get(change_url(report)))
    data["key_statistics-0-amount_figure"] = "0.001"
    data["key_statistics-0-amount_unit"] = "1"

    response = admin_client.post(change_url(report), data)

    assert response.status_code == 200
    assert "more than two decimals" in response.content.decode()
    assert list(report.key_statistics.values_list("amount", flat=True)) == before
