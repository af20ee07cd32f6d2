"""The editors' admin: pages render in both language tabs, saving refreshes the listing,
and the changelist costs the same number of queries whatever the catalogue's size."""

from datetime import date
from decimal import Decimal

import pytest
from django import forms
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reports.models import (
    Category,
    KeyStatistic,
    KeyStatisticKind,
    LicenseOption,
    LicenseType,
    Publisher,
    Report,
    ReportStatus,
)
from tests.factories import make_category, make_publisher, make_report, minimal_pdf

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:reports_report_changelist")
ADD = reverse("admin:reports_report_add")
INLINE_PREFIXES = {
    "key_statistics": KeyStatistic,
    "license_options": LicenseOption,
}


def change_url(report):
    return reverse("admin:reports_report_change", args=[report.pk])


# --- Turning a rendered admin form back into POST data ------------------------------


def _field_data(name, field, value):
    """What a browser would post for one form field showing ``value``."""
    widget = field.widget
    while hasattr(widget, "widget"):  # RelatedFieldWidgetWrapper
        widget = widget.widget
    if isinstance(widget, forms.FileInput):
        return {}  # nothing uploaded: the stored file stays
    if isinstance(widget, forms.MultiWidget):
        parts = widget.decompress(value) if value else [None] * len(widget.widgets)
        return {
            f"{name}_{index}": subwidget.format_value(part) or ""
            for index, (subwidget, part) in enumerate(zip(widget.widgets, parts, strict=True))
        }
    if isinstance(widget, forms.CheckboxInput):
        return {name: "on"} if value else {}
    if isinstance(value, (list, tuple)):
        return {name: [str(item) for item in value]}
    if value is None:
        return {name: ""}
    shown = widget.format_value(value)
    if isinstance(widget, forms.Select) and not widget.allow_multiple_selected:
        shown = shown[0] if shown else ""  # Select.format_value() gives a list
    return {name: shown or ""}


def _form_data(form):
    data = {}
    for name, field in form.fields.items():
        data.update(_field_data(form.add_prefix(name), field, form[name].value()))
    return data


def management_forms(response):
    """{prefix: {"TOTAL_FORMS": ..., ...}} of every inline formset on an admin form page."""
    return {
        inline.formset.prefix: {
            key: str(value) for key, value in inline.formset.management_form.initial.items()
        }
        for inline in response.context["inline_admin_formsets"]
    }


def post_data(response):
    """The POST a browser would send for an admin add/change page, unchanged.

    Includes the main form (translated fields of the page's language tab too), each
    inline formset's management form as rendered, and every inline form's values.
    """
    data = _form_data(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for key, value in management_forms(response)[formset.prefix].items():
            data[f"{formset.prefix}-{key}"] = value
        for form in formset.forms:
            data.update(_form_data(form))
    return data


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


# --- Pages render ---------------------------------------------------------------


@pytest.fixture
def report():
    return make_report(
        product_code="1994249",
        title_en="Continuing Medical Education Market - Global Forecast 2026-2032",
        title_zh="继续医学教育市场 - 2026-2032年全球预测",
        categories=[make_category(name_en="Healthcare", name_zh="医疗保健")],
        toc=[(1, "Preface", "前言"), (2, "Market Segmentation & Coverage", "市场区隔与覆盖范围")],
        segments=[(1, "Provider", "提供者"), (2, "Hospitals", "医院")],
    )


@pytest.mark.parametrize(
    ("query", "accept_language", "title"),
    [
        ("", "en", "Continuing Medical Education Market"),
        ("?language=en", "en", "Continuing Medical Education Market"),
        ("?language=zh-hans", "en", "继续医学教育市场"),
        ("", "zh-hans", "继续医学教育市场"),
    ],
)
def test_changelist_shows_titles_in_the_chosen_language(
    admin_client, report, query, accept_language, title
):
    response = admin_client.get(CHANGELIST + query, HTTP_ACCEPT_LANGUAGE=accept_language)

    assert response.status_code == 200
    assert response.context["cl"].result_count == 1
    html = response.content.decode()
    assert "1994249" in html
    assert title in html
    assert "en ✓ · zh-hans ✓" in html  # translations column
    assert "USD 3,939" in html  # price from


def test_changelist_language_parameter_survives_in_filter_links(admin_client, report):
    response = admin_client.get(CHANGELIST + "?language=zh-hans")

    assert response.status_code == 200
    # The filter links keep the tab; the parameter itself filters nothing.
    assert "language=zh-hans&amp;status__exact=published" in response.content.decode()


def test_changelist_falls_back_to_english_for_untranslated_reports(admin_client):
    make_report(title_en="Only English Title", title_zh=None)

    response = admin_client.get(CHANGELIST + "?language=zh-hans")

    html = response.content.decode()
    assert "Only English Title" in html
    assert "zh-hans ✓" not in html
    assert '<span class="translation-missing">zh-hans missing</span>' in html


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("?q=1994249", True),
        ("?q=continuing", True),
        ("?q=医学教育", True),
        ("?q=nothing-like-this", False),
        ("?status__exact=published", True),
        ("?status__exact=draft", False),
        ("?formats__exact=pdf_excel", True),
        ("?published_on__year=2025", True),
        ("?published_on__year=2024", False),
    ],
)
def test_changelist_search_and_filters(admin_client, report, query, found):
    make_report(
        title_en="Another Market",
        title_zh="另一个市场",
        status=ReportStatus.DRAFT,
        formats="pdf",
        published_on=date(2024, 5, 1),
    )

    response = admin_client.get(CHANGELIST + query)

    assert response.status_code == 200
    shown = {row.pk for row in response.context["cl"].result_list}
    assert (report.pk in shown) is found


def test_changelist_category_filter(admin_client, report):
    other = make_report(categories=[make_category()])
    healthcare = report.categories.get()

    response = admin_client.get(CHANGELIST + f"?categories__id__exact={healthcare.pk}")

    assert response.status_code == 200
    assert [row.pk for row in response.context["cl"].result_list] == [report.pk]
    assert other.pk not in {row.pk for row in response.context["cl"].result_list}
    assert "Healthcare" in response.content.decode()  # the filter's choice, by name


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_add_page_renders_both_tabs(admin_client, language):
    response = admin_client.get(ADD + f"?language={language}")

    assert response.status_code == 200
    assert response.context["adminform"].form.language_code == language
    assert set(management_forms(response)) == set(INLINE_PREFIXES)
    assert {
        inline.formset.prefix: inline.formset.model
        for inline in response.context["inline_admin_formsets"]
    } == INLINE_PREFIXES
    html = response.content.decode()
    assert "?language=zh-hans" in html and "?language=en" in html  # the language tabs
    fields = (
        "product_code", "slug", "publisher", "categories", "status", "publish_at_0",
        "published_on", "pages", "formats", "delivery_mode", "delivery_days", "base_year",
        "master_pdf", "sample_pdf", "title", "summary", "meta_description", "toc_outline",
        "segments_outline",
    )  # fmt: skip
    for field in fields:
        assert f'name="{field}"' in html, field


def test_new_slug_is_prepopulated_from_the_english_title_only(admin_client):
    def prepopulated(response):
        return {
            (item["field"].name, tuple(dep.name for dep in item["dependencies"]))
            for item in response.context["adminform"].prepopulated_fields
        }

    assert prepopulated(admin_client.get(ADD)) == {("slug", ("title",))}
    assert prepopulated(admin_client.get(ADD + "?language=zh-hans")) == set()


@pytest.mark.parametrize(
    ("language", "title", "toc_title", "segment"),
    [
        ("en", "Continuing Medical Education Market", "Preface", "Hospitals"),
        ("zh-hans", "继续医学教育市场", "前言", "医院"),
    ],
)
def test_change_page_renders_the_tab_translation(
    admin_client, report, language, title, toc_title, segment
):
    response = admin_client.get(change_url(report) + f"?language={language}")

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.language_code == language
    assert form["title"].value().startswith(title)
    formsets = {
        inline.formset.prefix: inline.formset
        for inline in response.context["inline_admin_formsets"]
    }
    assert formsets["key_statistics"].initial_form_count() == 4
    assert formsets["license_options"].initial_form_count() == 4
    assert form["toc_outline"].value().splitlines()[0] == f"1 {toc_title}"
    assert form["segments_outline"].value().splitlines()[1].endswith(f" {segment}")


def test_change_page_of_an_untranslated_tab_is_empty_not_english(admin_client):
    report = make_report(title_en="English Only Market", title_zh=None)

    response = admin_client.get(change_url(report) + "?language=zh-hans")

    assert response.status_code == 200
    assert not response.context["adminform"].form["title"].value()


def test_change_page_names_private_files_without_linking_them(admin_client):
    report = make_report(master_pdf=minimal_pdf(), sample_pdf=minimal_pdf("Sample"))

    response = admin_client.get(change_url(report))

    html = response.content.decode()
    assert report.master_pdf.name in html
    assert report.sample_pdf.name in html
    assert report.master_pdf.url not in html
    assert report.sample_pdf.url not in html


# --- Saving -----------------------------------------------------------------------


def test_add_report_with_inlines_refreshes_the_listing(admin_client):
    publisher = make_publisher(name="360iResearch")
    category = make_category(name_en="Healthcare")
    page = admin_client.get(ADD + "?language=en")
    data = post_data(page)
    assert data["key_statistics-TOTAL_FORMS"] == "4"
    assert data["license_options-TOTAL_FORMS"] == "1"
    data.update(
        {
            "product_code": "1994249",
            "slug": "continuing-medical-education-market",
            "publisher": str(publisher.pk),
            "categories": [str(category.pk)],
            "status": ReportStatus.PUBLISHED,
            "published_on": "2025-11-01",
            "pages": "193",
            "formats": "pdf_excel",
            "delivery_mode": "on_order",
            "delivery_days": "2",
            "base_year": "2025",
            "forecast_start_year": "2026",
            "forecast_end_year": "2032",
            "title": "Continuing Medical Education Market - Global Forecast 2026-2032",
            "summary": "<p>The Continuing Medical Education Market grew steadily.</p>",
            "key_statistics-0-position": "1",
            "key_statistics-0-kind": KeyStatisticKind.BASE_YEAR,
            "key_statistics-0-year": "2025",
            "key_statistics-0-amount_figure": "9.31",
            "key_statistics-0-amount_unit": "1000000000",
            "key_statistics-0-currency": "USD",
            "license_options-0-license_type": LicenseType.SINGLE_USER,
            "license_options-0-price": "3939",
            "license_options-0-currency": "USD",
        }
    )

    response = admin_client.post(ADD + "?language=en", data)

    assert response.status_code == 302, response.context and response.context["errors"]
    report = Report.objects.get(product_code="1994249")
    assert list(report.get_available_languages()) == ["en"]
    report.set_current_language("en")
    assert report.title == "Continuing Medical Education Market - Global Forecast 2026-2032"
    assert list(report.categories.all()) == [category]
    statistic = report.key_statistics.get()
    assert (statistic.kind, statistic.year, statistic.amount, statistic.currency) == (
        KeyStatisticKind.BASE_YEAR, 2025, Decimal("9310000000.00"), "USD"
    )
    option = report.license_options.get()
    assert (option.license_type, option.price, option.currency) == (
        LicenseType.SINGLE_USER, Decimal("3939.00"), "USD"
    )
    # refresh_listing ran after the inlines were saved.
    assert report.price_from == Decimal("3939.00")
    assert report.price_currency == "USD"
    assert "1994249" in report.search_text
    assert "360iresearch" in report.search_text
    assert "continuing medical education market" in report.search_text
    assert "grew steadily" in report.search_text
    assert "<p>" not in report.search_text


def test_adding_a_translation_and_a_cheaper_licence_refreshes_the_listing(admin_client):
    report = make_report(title_en="Drone Market", title_zh=None, licence_prices=["4949"])
    assert "无人机" not in report.search_text
    page = admin_client.get(change_url(report) + "?language=zh-hans")
    data = post_data(page)
    assert data["license_options-INITIAL_FORMS"] == "1"
    data.update(
        {
            "title": "无人机市场",
            "summary": "<p>无人机市场摘要</p>",
            "license_options-TOTAL_FORMS": "2",
            "license_options-1-license_type": LicenseType.ENTERPRISE,
            "license_options-1-price": "1999.50",
            "license_options-1-currency": "USD",
        }
    )

    response = admin_client.post(change_url(report) + "?language=zh-hans", data)

    assert response.status_code == 302, response.context and response.context["errors"]
    report.refresh_from_db()
    assert sorted(report.get_available_languages()) == ["en", "zh-hans"]
    assert "无人机市场" in report.search_text
    assert "drone market" in report.search_text  # the English text stays searchable
    assert report.price_from == Decimal("1999.50")
    assert report.license_options.count() == 2


def test_deleting_an_inline_licence_refreshes_the_price(admin_client):
    report = make_report(licence_prices={LicenseType.SINGLE_USER: "100", LicenseType.SITE: "900"})
    assert report.price_from == Decimal("100.00")
    page = admin_client.get(change_url(report))
    data = post_data(page)
    cheapest = next(
        index
        for index in range(2)
        if data[f"license_options-{index}-license_type"] == LicenseType.SINGLE_USER
    )
    data[f"license_options-{cheapest}-DELETE"] = "on"

    response = admin_client.post(change_url(report), data)

    assert response.status_code == 302
    report.refresh_from_db()
    assert report.price_from == Decimal("900.00")


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            {
                "key_statistics-0-kind": KeyStatisticKind.CAGR,
                "key_statistics-0-amount_figure": "100",
                "key_statistics-0-currency": "USD",
            },
            "keystatistic_value_matches_kind",
        ),
        (
            {
                "license_options-0-license_type": LicenseType.SITE,
                "license_options-0-price": "0",
            },
            "greater than or equal to 0.01",
        ),
    ],
)
def test_bad_inline_rows_save_nothing(admin_client, rows, message):
    publisher = make_publisher()
    data = post_data(admin_client.get(ADD))
    data.update(
        {
            "product_code": "BAD-1",
            "slug": "bad",
            "publisher": str(publisher.pk),
            "published_on": "2025-11-01",
            "title": "Bad Market",
            **rows,
        }
    )

    response = admin_client.post(ADD, data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Report.objects.filter(product_code="BAD-1").exists()


def test_duplicate_licence_types_are_refused(admin_client):
    report = make_report(licence_prices={LicenseType.SINGLE_USER: "100"})
    data = post_data(admin_client.get(change_url(report)))
    data.update(
        {
            "license_options-TOTAL_FORMS": "2",
            "license_options-1-license_type": LicenseType.SINGLE_USER,
            "license_options-1-price": "50",
            "license_options-1-currency": "USD",
        }
    )

    response = admin_client.post(change_url(report), data)

    assert response.status_code == 200
    assert report.license_options.count() == 1
    report.refresh_from_db()
    assert report.price_from == Decimal("100.00")


def test_deleting_a_translation_refreshes_the_search_text(admin_client, report):
    assert "继续医学教育市场" in report.search_text
    url = reverse("admin:reports_report_delete_translation", args=[report.pk, "zh-hans"])

    response = admin_client.post(url, {"post": "yes"})

    assert response.status_code == 302
    report.refresh_from_db()
    assert list(report.get_available_languages()) == ["en"]
    assert "继续医学教育市场" not in report.search_text
    assert "continuing medical education market" in report.search_text


def test_refresh_action_repairs_stale_listings(admin_client, report):
    Report.objects.filter(pk=report.pk).update(search_text="", price_from=None, price_currency="")

    response = admin_client.post(
        CHANGELIST, {"action": "refresh_listings", "_selected_action": [str(report.pk)]}
    )

    assert response.status_code == 302
    report.refresh_from_db()
    assert report.price_from == Decimal("3939.00")
    assert "1994249" in report.search_text


# --- Query counts -----------------------------------------------------------------


def _catalogue(count, *, publisher, category):
    for index in range(count):
        make_report(
            publisher=publisher if index % 2 else None,
            categories=[category],
            # Every third report only in English: the Chinese list falls back.
            title_zh=None if index % 3 == 0 else f"市场 {index}",
            status=ReportStatus.PUBLISHED if index % 2 else ReportStatus.DRAFT,
            published_on=date(2025, 1 + index % 12, 1),
        )


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?language=zh-hans",
        "?q=market",
        "?status__exact=published&formats__exact=pdf_excel",
        "?o=6",  # by price
        "?categories__id__exact={category}",
        "?published_on__year=2025",
    ],
)
def test_changelist_query_count_does_not_grow_with_the_catalogue(
    admin_client, django_assert_max_num_queries, query
):
    publisher = make_publisher()
    category = make_category()
    url = CHANGELIST + query.format(category=category.pk)
    _catalogue(5, publisher=publisher, category=category)
    admin_client.get(url)  # warm up: session, content types
    small, response = count_queries(admin_client, url)
    assert len(response.context["cl"].result_list) > 0

    _catalogue(25, publisher=publisher, category=category)
    with django_assert_max_num_queries(small):
        response = admin_client.get(url)

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) > 5
    for row in response.context["cl"].result_list:
        # The rows really carry what the columns show (no lazy loads hidden by luck).
        assert "translations" in row._prefetched_objects_cache
        assert "publisher" in row._state.fields_cache


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_change_page_query_count_does_not_grow_with_the_outline(
    admin_client, django_assert_max_num_queries, language
):
    def outline(count):
        return [(1 + index % 2, f"Line {index}", f"第 {index} 行") for index in range(count)]

    small = make_report(toc=outline(3), segments=outline(3))
    large = make_report(toc=outline(40), segments=outline(40))
    tab = f"?language={language}"
    admin_client.get(change_url(small))
    small_count, _response = count_queries(admin_client, change_url(small) + tab)

    with django_assert_max_num_queries(small_count):
        response = admin_client.get(change_url(large) + tab)

    assert response.status_code == 200
    last_line = "第 39 行" if language == "zh-hans" else "Line 39"
    assert last_line in response.content.decode()


# --- Categories and publishers ------------------------------------------------------


def test_category_admin_pages(admin_client, django_assert_max_num_queries):
    parent = make_category(name_en="Healthcare", name_zh="医疗保健")
    child = make_category(name_en="Medical Education", name_zh="医学教育", parent=parent)
    url = reverse("admin:reports_category_changelist")
    admin_client.get(url)
    small, response = count_queries(admin_client, url)
    html = response.content.decode()
    assert "Medical Education" in html and "Healthcare" in html

    for index in range(10):
        make_category(parent=parent if index % 2 else child)
    with django_assert_max_num_queries(small):
        response = admin_client.get(url)
    assert response.context["cl"].result_count == 12

    for language, name in (("en", "Healthcare"), ("zh-hans", "医疗保健")):
        page = admin_client.get(
            reverse("admin:reports_category_change", args=[parent.pk]) + f"?language={language}"
        )
        assert page.status_code == 200
        assert page.context["adminform"].form["name"].value() == name
    assert admin_client.get(reverse("admin:reports_category_add")).status_code == 200


def test_add_category_through_the_admin(admin_client):
    parent = make_category(name_en="Healthcare")
    data = post_data(admin_client.get(reverse("admin:reports_category_add")))
    data.update({"name": "Medical Devices", "slug": "medical-devices", "parent": str(parent.pk)})

    response = admin_client.post(reverse("admin:reports_category_add"), data)

    assert response.status_code == 302
    category = Category.objects.get(slug="medical-devices")
    assert category.parent == parent
    assert category.safe_translation_getter("name", language_code="en") == "Medical Devices"


def test_publisher_admin_pages(admin_client):
    publisher = make_publisher(name="360iResearch")
    changelist = admin_client.get(reverse("admin:reports_publisher_changelist") + "?q=360i")
    assert changelist.status_code == 200
    assert [row.pk for row in changelist.context["cl"].result_list] == [publisher.pk]

    add = admin_client.get(reverse("admin:reports_publisher_add"))
    assert add.status_code == 200
    assert {item["field"].name for item in add.context["adminform"].prepopulated_fields} == {"slug"}

    response = admin_client.post(
        reverse("admin:reports_publisher_add"),
        {"name": "Global Insights", "slug": "global-insights", "website": ""},
    )
    assert response.status_code == 302
    assert Publisher.objects.filter(slug="global-insights").exists()


@pytest.mark.parametrize("page", ["changelist", "add", "change"])
def test_report_pages_query_count_does_not_grow_with_the_categories(
    admin_client, django_assert_max_num_queries, page
):
    """Category names are translated: the filter and the category picker read them in one go."""
    parent = make_category()
    report = make_report(categories=[parent, make_category(parent=parent)])
    url = {"changelist": CHANGELIST, "add": ADD, "change": change_url(report)}[page]
    admin_client.get(url)
    small, _response = count_queries(admin_client, url)

    extra = [make_category(parent=parent, name_en=f"Extra {index}") for index in range(10)]
    report.categories.add(*extra[:5])
    with django_assert_max_num_queries(small):
        response = admin_client.get(url)

    assert response.status_code == 200
    assert "Extra 9" in response.content.decode()
