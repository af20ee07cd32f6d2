"""Traditional Chinese (zh-hant): a third language for buyers, with the simplified text
(or English) as its fallback, machine-converted drafts for editors, and search that
finds either script with the other."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from reports import formatting, services
from reports.chinese import to_simplified, to_traditional
from reports.models import Report
from tests.factories import make_category, make_report
from tests.reports.test_views import detail_url, numbered_toc

pytestmark = pytest.mark.django_db

D = formatting.Decimal


# --- Words and numbers ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "language", "expected"),
    [
        ("9310000000", "USD", "zh-hant", "93.1億美元"),
        ("9310000000", "USD", "zh-hans", "93.1亿美元"),
        ("2500000000000", "EUR", "zh-hant", "2.5兆歐元"),
        ("52000", "TWD", "zh-hant", "5.2萬新臺幣"),
        ("135000000000", "CNY", "zh-hant", "1350億元人民幣"),
        ("9310000000", "USD", "en", "USD 9.31 billion"),
    ],
)
def test_market_sizes_are_worded_as_taiwan_writes_them(amount, currency, language, expected):
    assert formatting.format_money_amount(D(amount), currency, language) == expected


def test_conversion_keeps_the_words_of_a_shop_not_of_a_software_manual():
    # s2twp alone would write 釋出 (a software release), 稽核 (an audit), 型別, 許可權.
    assert to_traditional("立即发布，编辑审核，许可类型，下载权限，结账") == "立即發佈，編輯審核，許可類型，下載權限，結帳"
    assert to_traditional("项目信息软件托管") == "專案資訊軟體託管"
    assert to_simplified("醫學教育") == "医学教育"


# --- Pages: the traditional text, else the fallback, saying so -----------------------


def test_a_traditional_page_reads_the_traditional_text(client):
    report = make_report(title_zh="继续医学教育市场")
    services.draft_traditional_translation(report_id=report.pk)
    services.mark_translation_reviewed(report_id=report.pk, language_code="zh-hant")

    page = client.get(detail_url(report, "zh-hant")).content.decode()

    assert "繼續醫學教育市場" in page
    assert "fallback-notice" not in page
    assert 'lang="zh-hant"' in page


def test_without_traditional_text_the_simplified_text_shows_with_a_notice(client):
    report = make_report(title_zh="继续医学教育市场")

    page = client.get(detail_url(report, "zh-hant")).content.decode()

    assert "继续医学教育市场" in page
    assert "fallback-notice" in page and "簡體中文" in page


def test_the_fallback_order_is_a_setting(client, settings):
    settings.PARLER_LANGUAGES = {
        None: ({"code": "en"}, {"code": "zh-hans"}, {"code": "zh-hant", "fallbacks": ["en"]}),
        "default": {"fallbacks": ["en"], "hide_untranslated": False},
    }
    from parler import appsettings

    saved = appsettings.PARLER_LANGUAGES
    appsettings.PARLER_LANGUAGES = appsettings.add_default_language_settings(
        settings.PARLER_LANGUAGES
    )
    try:
        report = make_report(title_en="Continuing Medical Education Market", title_zh="继续医学教育市场")
        page = client.get(detail_url(report, "zh-hant")).content.decode()
    finally:
        appsettings.PARLER_LANGUAGES = saved

    assert "Continuing Medical Education Market" in page
    assert "继续医学教育市场" not in page


# --- Editors: a converted draft that buyers see only once reviewed --------------------


def test_a_machine_converted_draft_stays_hidden_until_an_editor_reviews_it(client):
    report = make_report(title_zh="继续医学教育市场", toc=[(1, "Introduction", "项目简介")])

    assert services.draft_traditional_translation(report_id=report.pk) is True

    draft = Report._parler_meta.root_model.objects.get(master=report, language_code="zh-hant")
    assert (draft.title, draft.machine_converted) == ("繼續醫學教育市場", True)
    page = client.get(detail_url(report, "zh-hant")).content.decode()
    assert "继续医学教育市场" in page and "繼續醫學教育市場" not in page
    assert "專案簡介" in page  # the converted contents, a structure, show at once

    services.mark_translation_reviewed(report_id=report.pk, language_code="zh-hant")

    page = client.get(detail_url(report, "zh-hant")).content.decode()
    assert "繼續醫學教育市場" in page


def test_a_draft_never_overwrites_what_an_editor_wrote():
    report = make_report(title_zh="继续医学教育市场")
    report.set_current_language("zh-hant")
    report.title = "持續醫學教育市場"
    report.save_translations()

    assert services.draft_traditional_translation(report_id=report.pk) is False
    report = Report.objects.get(pk=report.pk)
    assert report.safe_translation_getter("title", language_code="zh-hant") == "持續醫學教育市場"


def test_no_draft_without_simplified_text():
    report = make_report(title_zh=None)
    assert services.draft_traditional_translation(report_id=report.pk) is False


def test_editors_draft_from_the_report_list(admin_client):
    with_chinese = make_report(title_zh="继续医学教育市场")
    english_only = make_report(title_zh=None)

    response = admin_client.post(
        "/admin/reports/report/",
        {"action": "draft_traditional_chinese", "_selected_action": [with_chinese.pk, english_only.pk]},
        follow=True,
    )

    text = response.content.decode()
    assert "1 traditional Chinese draft written" in text
    assert "1 report skipped" in text
    changelist = admin_client.get("/admin/reports/report/").content.decode()
    assert "machine draft, to review" in changelist


# --- Search: either script finds the other ------------------------------------------


@pytest.mark.parametrize("language", ["en", "zh-hans", "zh-hant"])
@pytest.mark.parametrize("query", ["醫學", "医学", "繼續醫學教育"])
def test_search_finds_simplified_text_with_traditional_terms_and_back(client, language, query):
    simplified = make_report(product_code="1994249", title_zh="继续医学教育市场")
    other = make_report(product_code="2000001", title_zh="锂离子电池回收市场")

    page = client.get(f"/{language}/reports/", {"q": query}).content.decode()

    assert simplified.product_code in page
    assert other.product_code not in page


def test_search_finds_traditional_text_with_simplified_terms(client):
    report = make_report(title_zh="继续医学教育市场")
    services.draft_traditional_translation(report_id=report.pk)
    services.mark_translation_reviewed(report_id=report.pk, language_code="zh-hant")
    Report._parler_meta.root_model.objects.filter(master=report, language_code="zh-hans").delete()
    services.refresh_listing(report_id=report.pk)

    page = client.get("/zh-hant/reports/", {"q": "医学"}).content.decode()

    assert report.product_code in page


@pytest.mark.parametrize(
    "language, query, shown",
    [
        ("zh-hant", "醫學", "搜尋：醫學"),
        ("zh-hant", "医学", "搜尋：醫學"),  # typed in simplified, shown as the page writes
        ("zh-hans", "醫學", "搜索：医学"),
    ],
)
def test_a_search_is_named_in_the_script_of_its_page(client, language, query, shown):
    make_report(product_code="1994249", title_zh="继续医学教育市场")

    page = client.get(f"/{language}/reports/", {"q": query}).content.decode()

    assert f"<title>{shown} · " in page


@pytest.mark.parametrize("query", ["醫學", "医学"])
@pytest.mark.parametrize("with_results", [True, False], ids=["results", "no-results"])
def test_a_traditional_search_page_shows_and_links_the_search_as_it_writes_it(
    client, query, with_results
):
    # given: a report in an industry and by a publisher; a search for it (or with a
    # publisher chosen that has none of it: a page without results)
    healthcare = make_category(slug="healthcare", name_en="Healthcare", name_zh="医疗保健")
    make_report(product_code="1994249", title_zh="继续医学教育市场", categories=[healthcare])
    other = make_report(product_code="2000001", title_zh="锂离子电池回收市场")
    params = {"q": query, "publisher": other.publisher.slug}
    if with_results:
        params = {"q": query, "category": "healthcare"}

    page = client.get("/zh-hant/reports/", params).content.decode()

    # then: the title, the count line, the page's search box, and the sidebar's and
    # the other links within the page spell it 醫學, never the folded 医学 (the header's
    # box keeps what was typed; the card shows the report's simplified title; the
    # canonical and alternate addresses, shared by every language, are folded)
    assert "<title>搜尋：醫學 · " in page
    assert 'id="id_q" type="search" name="q" value="醫學"' in page
    assert "“医学”" not in page
    in_page_links = re.findall(r'href="(\?[^"]*)"', page)
    assert in_page_links and all("q=%E9%86%AB%E5%AD%B8" in link for link in in_page_links)
    if with_results:
        assert "與“醫學”相關的報告" in page
    else:
        assert "在所有行業和出版商中搜索“醫學”" in page
        assert "/zh-hant/reports/?q=%E9%86%AB%E5%AD%B8" in page  # without the filters
        assert "search=%E9%86%AB%E5%AD%B8" in page  # the analyst is told what was searched


# --- The same queries in a third language --------------------------------------------


def count_queries(client, url, **params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries)


def test_traditional_pages_cost_what_simplified_pages_cost_at_any_size(client, settings):
    settings.REPORTS_PER_PAGE = 5
    category = make_category(slug="healthcare", name_en="Healthcare", name_zh="医疗保健")
    first = make_report(product_code="Q-0000", categories=[category], toc=numbered_toc(3),
                        prepare_pages=True)
    for number in range(1, 10):
        make_report(product_code=f"Q-{number:04d}", categories=[category], toc=numbered_toc(3))
    pages = [("/{}/reports/", {}), ("/{}/reports/", {"q": "市场"}), (detail_url(first, "{}"), {})]
    # One currency for both (each language has its own default): a price in another
    # currency than the stored one costs a query of its own, whatever the language.
    client.post("/en/currency/", {"currency": "USD"})

    def counts():
        return [
            (count_queries(client, url.format("zh-hans"), **params),
             count_queries(client, url.format("zh-hant"), **params))
            for url, params in pages
        ]

    small = counts()
    for number in range(10, 120):
        make_report(product_code=f"Q-{number:04d}", key_statistics=[])
    large = counts()

    assert small == large
    assert all(hans == hant for hans, hant in large)


def test_every_page_names_its_traditional_alternate(client, settings):
    report = make_report()
    page = client.get(detail_url(report)).content.decode()
    assert f'hreflang="zh-hant" href="{settings.SITE_URL}/zh-hant/reports/{report.product_code}/' in page


def test_the_country_list_starts_with_taiwan_hong_kong_and_macao(client):
    from storefront.orders.forms import CheckoutForm

    with translation.override("zh-hant"):
        codes = [code for code, _name in CheckoutForm().fields["country"].choices if code][:3]
    assert codes == ["TW", "HK", "MO"]
