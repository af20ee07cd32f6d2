"""The public catalogue pages: list, search, filters, detail, in both languages."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reports.models import ReportStatus
from tests.factories import make_category, make_publisher, make_report
from tests.reports.shown import product_codes_on

pytestmark = pytest.mark.django_db

LIST_URL = "/en/reports/"


def numbered_toc(count):
    return [(1 if n % 4 == 0 else 2, f"Chapter {n}", f"第{n}章") for n in range(count)]


def detail_url(report, language="en"):
    return f"/{language}/reports/{report.product_code}/{report.slug}/"


# --- Visibility ---------------------------------------------------------------


def test_list_shows_published_reports_only(client):
    # given
    now = timezone.now()
    make_report(product_code="PUB-1", title_en="Published Widgets Market")
    make_report(product_code="DUE-1", title_en="Due Gadgets Market",
                status=ReportStatus.SCHEDULED, publish_at=now - timedelta(minutes=1))
    make_report(product_code="DRAFT-1", title_en="Draft Sprockets Market",
                status=ReportStatus.DRAFT)
    make_report(product_code="LATER-1", title_en="Future Gizmos Market",
                status=ReportStatus.SCHEDULED, publish_at=now + timedelta(days=1))
    make_report(product_code="PUBLATER-1", title_en="Embargoed Cogs Market",
                status=ReportStatus.PUBLISHED, publish_at=now + timedelta(days=1))
    make_report(product_code="OLD-1", title_en="Archived Levers Market",
                status=ReportStatus.ARCHIVED)

    # when
    page = client.get(LIST_URL).content.decode()

    # then
    assert "Published Widgets Market" in page
    assert "Due Gadgets Market" in page
    for hidden in ("Draft Sprockets", "Future Gizmos", "Embargoed Cogs", "Archived Levers"):
        assert hidden not in page


@pytest.mark.parametrize(
    "status, publish_in",
    [
        (ReportStatus.DRAFT, None),
        (ReportStatus.SCHEDULED, timedelta(hours=2)),
        (ReportStatus.ARCHIVED, None),
    ],
)
def test_hidden_report_pages_are_404(client, status, publish_in):
    publish_at = timezone.now() + publish_in if publish_in else None
    report = make_report(product_code="HID-1", status=status, publish_at=publish_at)
    assert client.get(detail_url(report)).status_code == 404
    assert client.get(detail_url(report, "zh-hans")).status_code == 404


def test_unknown_product_code_is_404(client):
    response = client.get("/en/reports/NOPE-404/some-slug/")
    assert response.status_code == 404
    assert "We could not find that page" in response.content.decode()


def test_wrong_slug_redirects_permanently_to_canonical_url(client):
    report = make_report(product_code="1994249", title_en="Continuing Medical Education Market")
    response = client.get("/zh-hans/reports/1994249/old-title/")
    assert response.status_code == 301
    assert response["Location"] == detail_url(report, "zh-hans")


def test_a_product_code_alone_redirects_to_the_report_and_hides_drafts(client):
    report = make_report(product_code="1994249", title_en="Continuing Medical Education Market")
    make_report(product_code="2000001", status=ReportStatus.DRAFT)

    response = client.get("/en/reports/1994249/")

    assert response.status_code == 301
    assert response["Location"] == detail_url(report, "en")
    assert client.get("/en/reports/2000001/").status_code == 404
    assert client.get("/en/reports/no-such-code/").status_code == 404


# --- Detail page --------------------------------------------------------------


def test_detail_shows_everything_a_buyer_judges_by(client):
    report = make_report(
        product_code="1994249",
        title_en="Continuing Medical Education Market - Global Forecast 2026-2032",
        title_zh="继续医学教育(CME)市场",
        pages=196,
        licence_prices={"single_user": "3939", "multi_user": "4249", "enterprise": "5759"},
        toc=numbered_toc(30),
    )

    page = client.get(detail_url(report)).content.decode()

    assert "Continuing Medical Education Market - Global Forecast 2026-2032" in page
    assert "1994249" in page
    assert report.publisher.name in page
    assert "196" in page
    assert "USD 9.31 billion" in page
    assert "9.61%" in page
    assert "USD 3,939" in page and "USD 4,249" in page and "USD 5,759" in page
    assert "may differ from the latest version" in page
    assert "Ask a question" in page and "Request a sample" in page
    # The first TOC entries are open, the rest behind a toggle.
    assert '<details class="toc-more">' in page
    assert "Show 18 more entries" in page


def test_detail_in_chinese_words_the_figures_in_chinese(client):
    report = make_report(product_code="1994249", title_zh="继续医学教育(CME)市场")
    page = client.get(detail_url(report, "zh-hans")).content.decode()
    assert "继续医学教育(CME)市场" in page
    assert "93.1亿美元" in page
    assert "100.4亿美元" in page
    assert "177亿美元" in page
    assert 'lang="zh-hans"' in page
    assert "fallback-notice" not in page


def test_missing_chinese_translation_falls_back_to_english_visibly(client):
    report = make_report(product_code="EN-ONLY", title_en="Industrial Valves Market", title_zh=None)
    page = client.get(detail_url(report, "zh-hans")).content.decode()
    assert "Industrial Valves Market" in page
    assert "fallback-notice" in page
    # The English text is marked as English for screen readers.
    assert 'class="report-page" lang="en"' in page


def test_language_switcher_keeps_the_buyer_on_the_same_report(client):
    report = make_report(product_code="SW-1")
    page = client.get(detail_url(report)).content.decode()
    assert f'href="{detail_url(report, "zh-hans")}" hreflang="zh-hans"' in page


@pytest.mark.parametrize(
    "summary, forbidden",
    [
        ('<p>Fine</p><script>alert("x")</script>', "<script"),
        ('<p><img src="x" onerror="alert(1)">Fine</p>', "onerror"),
        ('<p><a href="javascript:alert(1)">Fine</a></p>', "javascript:"),
        ('<p style="background:url(javascript:alert(1))">Fine</p>', "style="),
        ('<iframe src="https://evil.example"></iframe><p>Fine</p>', "<iframe"),
    ],
)
def test_unsafe_html_in_a_summary_never_reaches_the_page(client, summary, forbidden):
    report = make_report(product_code="XSS-1", summary_en=summary, summary_zh=summary)
    for language in ("en", "zh-hans"):
        page = client.get(detail_url(report, language)).content.decode()
        main = page.split('id="summary-heading"', 1)[1]
        assert "Fine" in main
        assert forbidden not in main


# --- Search, filters, sorting, pagination -------------------------------------


@pytest.fixture
def small_catalogue():
    healthcare = make_category(slug="healthcare", name_en="Healthcare", name_zh="医疗保健")
    education = make_category(
        slug="medical-education", name_en="Medical Education", name_zh="医学教育", parent=healthcare
    )
    energy = make_category(slug="energy", name_en="Energy", name_zh="能源")
    acme = make_publisher(name="Acme Insights")
    cme = make_report(
        product_code="1994249",
        title_en="Continuing Medical Education Market",
        title_zh="继续医学教育(CME)市场",
        categories=[education],
        licence_prices={"single_user": "3939"},
    )
    solar = make_report(
        product_code="2000001",
        title_en="Solar Inverter Market",
        title_zh="太阳能逆变器市场",
        categories=[energy],
        publisher=acme,
        licence_prices={"single_user": "2500"},
    )
    hospital = make_report(
        product_code="2000002",
        title_en="Hospital Beds Market",
        title_zh="医院病床市场",
        categories=[healthcare],
        licence_prices={"single_user": "4800"},
    )
    return {"cme": cme, "solar": solar, "hospital": hospital, "acme": acme}


def codes_on(response):
    return product_codes_on(response)


@pytest.mark.parametrize(
    "q, expected",
    [
        ("medical education", ["1994249"]),
        ("MEDICAL", ["1994249"]),
        ("inverter", ["2000001"]),
        ("199424", ["1994249"]),  # part of a product code (the whole one opens the report)
        ("医学", ["1994249"]),  # a Chinese substring inside 继续医学教育
        ("逆变器", ["2000001"]),
        ("市场", ["2000002", "2000001", "1994249"]),
        ("ｓｏｌａｒ", ["2000001"]),  # full-width letters fold to ASCII
        ("solar hospital", []),  # every word must match
        ("no such thing", []),
    ],
)
def test_search_in_both_languages(client, small_catalogue, q, expected):
    for language in ("en", "zh-hans"):
        response = client.get(f"/{language}/reports/", {"q": q, "sort": "price_asc"})
        assert response.status_code == 200
        assert sorted(codes_on(response)) == sorted(expected)


def test_no_results_gives_a_helpful_message(client, small_catalogue):
    page = client.get(LIST_URL, {"q": "zzzz"}).content.decode()
    assert "No reports match your search." in page


def test_category_filter_includes_subcategories(client, small_catalogue):
    response = client.get(LIST_URL, {"category": "healthcare"})
    assert sorted(codes_on(response)) == ["1994249", "2000002"]
    response = client.get(LIST_URL, {"category": "medical-education"})
    assert codes_on(response) == ["1994249"]


def test_publisher_filter(client, small_catalogue):
    response = client.get(LIST_URL, {"publisher": small_catalogue["acme"].slug})
    assert codes_on(response) == ["2000001"]


@pytest.mark.parametrize("param", ["category", "publisher"])
def test_unknown_filter_value_is_404(client, small_catalogue, param):
    assert client.get(LIST_URL, {param: "does-not-exist"}).status_code == 404


def test_sort_by_price(client, small_catalogue):
    assert codes_on(client.get(LIST_URL, {"sort": "price_asc"})) == [
        "2000001", "1994249", "2000002"
    ]
    assert codes_on(client.get(LIST_URL, {"sort": "price_desc"})) == [
        "2000002", "1994249", "2000001"
    ]


def test_overlong_search_is_a_clear_400(client, small_catalogue):
    response = client.get(LIST_URL, {"q": "x" * 201})
    assert response.status_code == 400
    assert "Ensure this value has at most 200 characters" in response.content.decode()


def test_pagination(client, settings):
    settings.REPORTS_PER_PAGE = 2
    for number in range(5):
        make_report(product_code=f"PG-{number}")
    first = client.get(LIST_URL)
    third = client.get(LIST_URL, {"page": 3})
    assert len(product_codes_on(first)) == 2
    assert len(product_codes_on(third)) == 1
    assert "Page 1 of 3" in first.content.decode()
    assert client.get(LIST_URL, {"page": 4}).status_code == 404
    assert client.get(LIST_URL, {"page": "abc"}).status_code == 404


# --- A fixed number of queries whatever the catalogue's size -------------------


def build_catalogue(size):
    category = make_category(slug="healthcare", name_en="Healthcare", name_zh="医疗保健")
    # The first is the one whose product page is asked for: prepared as the admin does.
    reports = [
        make_report(product_code=f"Q-{number:04d}", categories=[category], toc=numbered_toc(3),
                    prepare_pages=number == 0)
        for number in range(size)
    ]
    return reports[0]


def count_queries(client, url, **params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries)


PAGES = [
    ("home", "/en/", {}),
    ("list", "/en/reports/", {}),
    ("list zh", "/zh-hans/reports/", {}),
    ("list page 2", "/en/reports/", {"page": 2}),
    ("search", "/en/reports/", {"q": "market"}),
    ("search zh", "/zh-hans/reports/", {"q": "市场"}),
    ("category", "/en/reports/", {"category": "healthcare", "sort": "price_desc"}),
]


@pytest.mark.parametrize("name, url, params", PAGES, ids=[page[0] for page in PAGES])
def test_catalogue_pages_keep_a_fixed_query_count(client, settings, name, url, params):
    settings.REPORTS_PER_PAGE = 5
    build_catalogue(10)
    small = count_queries(client, url, **params)
    for number in range(10, 200):
        make_report(product_code=f"Q-{number:04d}", key_statistics=[])
    large = count_queries(client, url, **params)
    assert small == large
    # one more on zh-hans pages: CNY buyers, cards whose stored "price from" is in USD
    assert large <= (10 if "zh" in name else 9)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_detail_page_keeps_a_fixed_query_count(client, language):
    first = build_catalogue(10)
    small = count_queries(client, detail_url(first, language))
    for number in range(10, 200):
        make_report(product_code=f"Q-{number:04d}", key_statistics=[])
    large = count_queries(client, detail_url(first, language))
    assert small == large
    # The prepared page (reports/product_page.py), the next scheduled publication (for
    # the page cache and for the parts kept per catalogue version), the related
    # reports and their translations, and one more where the buyer's currency (CNY for
    # zh-hans) is not the one the related reports' stored "price from" is in: their
    # licences, read in one query. tests/reports/test_product_page.py counts the page
    # with the cache off.
    assert large <= (5 if language == "en" else 6)


# --- Shop-wide endpoints ------------------------------------------------------


def test_healthz_reports_database_and_redis(client, settings):
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200
    assert body["checks"]["database"] == "ok"
    if settings.REDIS_URL:
        assert body["checks"]["redis"] == "ok"
    assert response["Cache-Control"].startswith("max-age=0")


def test_healthz_is_degraded_not_down_when_redis_is_unreachable(client, settings):
    # given Redis (broker and cache) unreachable
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    settings.CACHE_REDIS_URL = "redis://127.0.0.1:1/1"
    # when a load balancer probes the shop
    response = client.get("/healthz")
    # then it stays in the pool (pages come from the database, work waits for the
    # sweeps) and monitoring sees what is down
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"] == {"database": "ok", "redis": "error", "cache": "error", "storage": "ok"}
    assert set(body["latency_ms"]) == set(body["checks"])


def test_robots_txt(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert "Disallow: /admin/" in response.content.decode()


def test_root_redirects_to_a_language(client):
    assert client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")["Location"] == "/zh-hans/"
    assert client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB")["Location"] == "/en/"
