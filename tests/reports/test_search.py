"""Catalogue search: the indexed path finds what the plain substring match finds, a
capped count, product codes, "did you mean" and the page for a search without results."""

import re
from datetime import date

import pytest
from django.core.paginator import InvalidPage
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports import cards, search, selectors, vocabulary
from reports.models import Report, ReportStatus, SearchWord, SearchWordScript
from reports.search_index import cjk_bigrams, normalise_search_text
from tests.factories import make_category, make_publisher, make_report
from tests.reports.shown import product_codes_on

pytestmark = pytest.mark.django_db

LIST_URL = "/en/reports/"

VARIED_TITLES = [
    ("Continuing Medical Education Market", "继续医学教育(CME)市场"),
    ("Medical Imaging Software Market", "医学影像软件市场"),
    ("Lithium Battery Recycling Market", "锂电池回收市场"),
    ("Solid-State Battery Market", "固态電池市場"),  # traditional characters fold
    ("mRNA Vaccine Market", "mRNA疫苗市场"),
    ("Veterinary Vaccines Market", "兽用疫苗"),
    ("Hospital Beds Market", "医院病床市场"),
    ("Solar Inverter Market", "太阳能逆变器市场"),
    ("Obstetrics & Gynecology Devices", "妇产科器械"),
    ("Cold-Chain Logistics for Vaccines", "疫苗冷链物流市场"),
]

TERMS = [
    "medical", "market", "battery", "vaccine", "vaccines", "recycling", "inverter",
    "&", "cme", "rna", "a", "zz", "lithium battery", "medical market",
    "医学", "电池", "電池", "疫苗", "市场", "醫學", "医", "电", "学影像", "锂电池回收",
    "cme)市场", "mrna疫苗", "疫苗 市场", "医学 电池", "不存在", "0000",
]


@pytest.fixture
def varied_catalogue():
    healthcare = make_category(slug="healthcare", name_en="Healthcare", name_zh="医疗保健")
    reports = [
        make_report(
            product_code=f"V-{number:03d}",
            title_en=title_en,
            title_zh=title_zh,
            categories=[healthcare] if number % 2 else [],
        )
        for number, (title_en, title_zh) in enumerate(VARIED_TITLES)
    ]
    make_report(product_code="V-DRAFT", title_en="Medical Battery Draft", status=ReportStatus.DRAFT)
    return reports


def plain_substring_match(q: str) -> set[str]:
    """The search as it always was: every word a substring of search_text, nothing else."""
    reports = Report.objects.published()
    for term in normalise_search_text(q).split(" "):
        reports = reports.filter(search_text__contains=term)
    return set(reports.values_list("product_code", flat=True))


@pytest.mark.parametrize("in_display_order", [False, True])
def test_the_indexed_search_finds_what_the_plain_match_finds(varied_catalogue, in_display_order):
    for q in TERMS:
        # when
        query = selectors.CatalogueQuery(q=normalise_search_text(q))
        found = selectors.search_reports(query, in_display_order=in_display_order)
        # then
        assert set(found.values_list("product_code", flat=True)) == plain_substring_match(q), q


def test_chinese_terms_are_narrowed_by_character_pairs_on_postgresql(varied_catalogue):
    if connection.vendor != "postgresql":
        pytest.skip("search_grams is a PostgreSQL column")
    with connection.cursor() as cursor:
        cursor.execute("SELECT search_grams FROM reports_report WHERE product_code = 'V-003'")
        (grams,) = cursor.fetchone()
    assert {"电池", "市场", "固态"} <= set(grams)  # 電池 stored as simplified
    sql = str(selectors.search_reports(selectors.CatalogueQuery(q="电池")).query)
    assert "search_grams" in sql
    unindexed = selectors.search_reports(selectors.CatalogueQuery(q="电池"), in_display_order=True)
    assert "search_grams" not in str(unindexed.query)


def test_two_chinese_characters_match_only_where_they_stand_together(db):
    # given reports with 医 and 学 together, apart, across a space and in a longer word
    for code, title_zh in [("P-1", "医学影像"), ("P-2", "医科大学"), ("P-3", "医 学"),
                           ("P-4", "继续医学教育"), ("P-5", "醫學期刊")]:
        make_report(product_code=code, title_en=f"Report {code}", title_zh=title_zh)
    for q in ("医学", "醫學", "大学", "学 医", "医学教育"):
        # when
        found = selectors.search_reports(selectors.CatalogueQuery(q=normalise_search_text(q)))
        # then exactly the reports whose text holds the term
        assert set(found.values_list("product_code", flat=True)) == plain_substring_match(q), q
    assert plain_substring_match("医学") == {"P-1", "P-4", "P-5"}


SORT_NAMES = ["newest", "price_asc", "price_desc"]


@pytest.mark.parametrize("sort", SORT_NAMES)
def test_the_count_read_with_its_page_gives_the_pages_of_the_plain_reads(
    sort, monkeypatch, settings
):
    settings.CATALOGUE_MEMO_ENTRIES = 0  # every page reads its count (no count kept)
    # given reports of a few prices and dates, some sharing them, a cap of 7, 3 per page
    monkeypatch.setattr(search, "SEARCH_COUNT_CAP", 7)
    healthcare = make_category(slug="healthcare", name_en="Healthcare", name_zh="医疗保健")
    for number in range(12):
        make_report(
            product_code=f"S-{number:02d}",
            title_en=f"Widget {'Medical ' if number % 3 else ''}Market {number}",
            title_zh=f"小部件{'医学' if number % 3 else ''}市场{number}",
            licence_prices=[str(100 + 10 * (number % 4))],
            published_on=date(2026, 1, 1 + number % 5),
            categories=[healthcare] if number % 2 else [],
        )
    queries = [
        selectors.CatalogueQuery(q=q, sort=sort, category_ids=category_ids)
        for q in ("widget", "medical", "医学", "市场", "widget 医学", "nothing")
        for category_ids in ((), (healthcare.pk,))
    ]
    for query in queries:
        plain = list(cards.as_rows(selectors.search_reports(query)))
        for number in range(1, 5):
            # when a page is read the first time, with its count
            paginator = search.SearchPaginator(query, 3)
            try:
                page = paginator.page(number)
            except InvalidPage:
                # then a page past the matches (or past the cap) does not exist
                assert (number - 1) * 3 >= min(len(plain), 7) and number > 1, (query, number)
                continue
            # then the count is capped honestly and the page is the plain read's
            assert paginator.count == min(len(plain), 7), query
            assert paginator.capped == (len(plain) > 7), query
            bottom, top = (number - 1) * 3, min(number * 3, paginator.count)
            if paginator.capped:  # the first 7 in display order
                walked = selectors.search_reports(query, in_display_order=True)
                expected = list(cards.as_rows(walked)[bottom:top])
            else:
                expected = plain[bottom:top]
            assert list(page.object_list) == expected, (query, number)


def test_a_new_search_reads_its_count_and_page_in_one_query(client, settings):
    if connection.vendor != "postgresql":
        pytest.skip("the count is read with the page on PostgreSQL")
    settings.CATALOGUE_CACHE_SECONDS = 0
    for number in range(5):
        make_report(product_code=f"N-{number}", title_en=f"Widget Market {number}")
    client.get(LIST_URL, {"q": "market"})  # the parts kept per catalogue version
    # when a search nobody made before is asked for
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST_URL, {"q": "widget"})
    # then one query finds the matches for both the count and the page
    assert len(product_codes_on(response)) == 5
    searches = [q["sql"] for q in queries.captured_queries if "search_text" in q["sql"]]
    assert len(searches) == 1 and "WITH matching" in searches[0]


def test_cjk_bigrams_pair_adjacent_chinese_characters_only():
    assert cjk_bigrams("继续医学教育(cme)市场 a 中") == ["继续", "续医", "医学", "学教", "教育", "市场"]
    assert cjk_bigrams("medical 医") == []


def test_search_results_page_in_both_languages_matches_the_plain_match(client, varied_catalogue):
    for language in ("en", "zh-hans"):
        for q in ("医学", "電池", "vaccine", "market"):
            response = client.get(f"/{language}/reports/", {"q": q})
            codes = set(product_codes_on(response))
            assert codes == plain_substring_match(q)


# --- A count capped past SEARCH_COUNT_CAP ---------------------------------------


def test_a_common_word_shows_a_capped_count_and_honest_pages(client, settings, monkeypatch):
    # given: five matches, a cap of three, two per page
    monkeypatch.setattr(search, "SEARCH_COUNT_CAP", 3)
    settings.REPORTS_PER_PAGE = 2
    for number in range(5):
        make_report(product_code=f"CAP-{number}", title_en=f"Capped Widget Market {number}")
    # when
    first = client.get(LIST_URL, {"q": "widget"})
    second = client.get(LIST_URL, {"q": "widget", "page": 2})
    # then
    page = first.content.decode()
    assert "3+ reports for “widget”" in page
    assert "Page 1 of 2+" in page
    assert len(product_codes_on(second)) == 1
    assert "Only the first 3 matches are shown." in second.content.decode()
    assert client.get(LIST_URL, {"q": "widget", "page": 3}).status_code == 404
    shown = product_codes_on(first) + product_codes_on(second)
    assert shown == ["CAP-4", "CAP-3", "CAP-2"]  # newest first, as without the cap


def test_a_count_under_the_cap_is_exact(client, monkeypatch):
    monkeypatch.setattr(search, "SEARCH_COUNT_CAP", 3)
    for number in range(3):
        make_report(product_code=f"CAP-{number}", title_en="Capped Widget Market")
    page = client.get(LIST_URL, {"q": "widget"}).content.decode()
    assert "3 reports for “widget”" in page
    assert "3+" not in page


def test_the_capped_count_is_translated(client, monkeypatch):
    monkeypatch.setattr(search, "SEARCH_COUNT_CAP", 1)
    for number in range(2):
        make_report(product_code=f"CAP-{number}", title_zh="小部件市场")
    page = client.get("/zh-hans/reports/", {"q": "部件"}).content.decode()
    assert "超过 1 份与“部件”相关的报告" in page


# --- A product code opens its report ---------------------------------------------


def test_a_product_code_as_the_search_opens_the_report(client, varied_catalogue):
    response = client.get(LIST_URL, {"q": " v-003 "})
    assert response.status_code == 302
    assert response["Location"] == varied_catalogue[3].get_absolute_url()
    zh = client.get("/zh-hans/reports/", {"q": "V-003"})
    assert zh["Location"].startswith("/zh-hans/reports/V-003/")


def test_a_draft_code_or_a_plain_number_is_an_ordinary_search(client, varied_catalogue):
    assert client.get(LIST_URL, {"q": "V-DRAFT"}).status_code == 200
    response = client.get(LIST_URL, {"q": "2026"})
    assert response.status_code == 200


# --- Did you mean, and the page for a search without results ---------------------


def test_a_misspelt_word_gets_a_did_you_mean_link(client, varied_catalogue):
    # when
    response = client.get(LIST_URL, {"q": "medcal"})
    page = response.content.decode()
    # then
    assert "No reports match your search." in page
    assert response.context["suggestion"] == "medical"
    assert 'Did you mean: <a href="/en/reports/?q=medical">medical</a>?' in page
    assert response.context["suggestion"] and product_codes_on(
        client.get(LIST_URL, {"q": "medical"})
    )


def test_did_you_mean_keeps_known_words_and_the_filters(client, varied_catalogue):
    response = client.get(LIST_URL, {"q": "lithium batery", "category": "healthcare"})
    assert response.context["suggestion"] == "lithium battery"
    assert response.context["suggestion_url"] == (
        "/en/reports/?q=lithium+battery&category=healthcare"
    )
    page = response.content.decode()
    assert "/en/reports/?q=lithium+batery" in page  # the same search without the industry


def test_did_you_mean_in_chinese(client, varied_catalogue):
    vocabulary.rebuild_search_words()  # category names come in with a rebuild
    response = client.get("/zh-hans/reports/", {"q": "医疗保险"})
    assert response.context["suggestion"] == "医疗保健"
    assert "您是不是要找：" in response.content.decode()


def test_nothing_similar_means_no_suggestion(client, varied_catalogue):
    response = client.get(LIST_URL, {"q": "xylophone"})
    assert response.context["suggestion"] is None
    assert "Did you mean" not in response.content.decode()


def test_the_sqlite_fallback_ranks_with_difflib(varied_catalogue):
    replacements = search._similar_words_difflib(
        [(0, "medcal", SearchWordScript.LATIN), (1, "market", SearchWordScript.LATIN)]
    )
    assert replacements == {0: "medical"}


def test_no_results_offers_industries_and_an_analyst_with_the_query(client, varied_catalogue):
    # given
    page = client.get("/zh-hans/reports/", {"q": "量子 传感器"}).content.decode()
    # then
    assert "医疗保健" in page  # an industry to browse
    match = re.search(r'href="(/zh-hans/contact/\?[^"]+)"', page)
    assert match, "no link to ask an analyst"
    contact = client.get(match.group(1).replace("&amp;", "&"))
    # when the buyer follows it, the message carries the search
    message = contact.context["form"]["message"].value()
    assert "量子 传感器" in message
    assert contact.context["form"]["kind"].value() == "question"


def test_the_search_box_keeps_its_width_with_an_industry_selected(client, varied_catalogue):
    page = client.get(LIST_URL, {"category": "healthcare"}).content.decode()
    assert 'class="field field-search"' in page


# --- The vocabulary -----------------------------------------------------------


def test_drafts_never_add_words_and_a_rebuild_counts_published_titles(varied_catalogue):
    words = set(SearchWord.objects.values_list("word", flat=True))
    assert {"medical", "battery", "兽用疫苗"} <= words
    assert "draft" not in words
    assert vocabulary.rebuild_search_words() > 0
    medical = SearchWord.objects.get(script=SearchWordScript.LATIN, word="medical")
    assert medical.frequency == 2
    assert not SearchWord.objects.filter(word="draft").exists()


# --- A fixed number of queries whatever the catalogue's size -------------------


def count_queries(client, url, params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code in (200, 302)
    return len(queries)


SEARCH_PAGES = [
    ("results", "/en/reports/", {"q": "market"}),
    ("results zh", "/zh-hans/reports/", {"q": "市场"}),
    ("capped", "/en/reports/", {"q": "widget"}),
    ("capped page 2", "/zh-hans/reports/", {"q": "部件", "page": 2}),
    ("no results", "/en/reports/", {"q": "xylophone"}),
    ("did you mean", "/en/reports/", {"q": "widgte marekt"}),
    ("did you mean zh", "/zh-hans/reports/", {"q": "医疗保险"}),
    ("product code", "/en/reports/", {"q": "Q-0003"}),
]


@pytest.mark.parametrize("name, url, params", SEARCH_PAGES, ids=[p[0] for p in SEARCH_PAGES])
def test_search_pages_keep_a_fixed_query_count(client, settings, monkeypatch, name, url, params):
    monkeypatch.setattr(search, "SEARCH_COUNT_CAP", 8)
    settings.REPORTS_PER_PAGE = 3
    category = make_category(slug="healthcare", name_en="Healthcare", name_zh="医疗保健")
    publisher = make_publisher()
    for number in range(10):
        make_report(product_code=f"Q-{number:04d}", title_en=f"Widget Market {number}",
                    title_zh=f"小部件市场{number}", categories=[category], publisher=publisher,
                    key_statistics=[])
    small = count_queries(client, url, params)
    for number in range(10, 60):
        make_report(product_code=f"Q-{number:04d}", title_en=f"Widget Market {number}",
                    title_zh=f"小部件市场{number}", categories=[category], key_statistics=[])
    large = count_queries(client, url, params)
    assert small == large
    assert large <= 10


def test_searches_share_one_sidebar_each_with_its_own_search_in_its_links(client, settings):
    # given pages rebuilt on every request, their parts kept per catalogue version
    settings.CATALOGUE_CACHE_SECONDS = 0
    make_category(slug="healthcare", name_en="Healthcare", name_zh="医疗保健")
    make_report(title_en="Medical Devices & Imaging Market", title_zh="医学影像市场")
    # when two different searches are asked for, the second with text to encode
    client.get(LIST_URL, {"q": "medical"})
    page = client.get("/zh-hans/reports/", {"q": "医学 & 影像"}).content.decode()
    other = client.get(LIST_URL, {"q": "imaging"}).content.decode()
    # then each sidebar links its industries with its own search, encoded
    assert "?category=healthcare&amp;q=%E5%8C%BB%E5%AD%A6%20%26%20%E5%BD%B1%E5%83%8F" in page
    assert "?category=healthcare&amp;q=imaging" in other
    assert "q=medical" not in other and "searchtextslot" not in page + other


@pytest.mark.parametrize("q", ["medical", "医学 & 影像", "a/b \"c\" <d> 100%"])
def test_the_kept_sidebar_is_the_sidebar_rendered_for_the_search(q):
    from django.template.loader import render_to_string

    from reports import views

    healthcare = make_category(slug="healthcare", name_en="Healthcare", name_zh="医疗保健")
    filters = {
        "query": selectors.CatalogueQuery(q=q),
        "shown_q": q,
        "categories": selectors.category_tree(),
        "publishers": selectors.publishers(),
        "selected_category": next(c for c in selectors.category_tree() if c.pk == healthcare.pk),
        "selected_publisher": None,
    }
    direct = render_to_string("reports/catalogue_filters.html", filters)
    assert views._filters_html(filters) == direct
    assert views._filters_html(filters) == direct  # from the memo
