"""Parts of catalogue pages kept per catalogue version: cards, sidebar, counts, outlines,
related reports; and one build per page when many requests miss at once."""

import threading
import time
from datetime import date

import pytest
from django.core.cache import cache
from django.template.loader import render_to_string
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports import cards, page_cache, selectors
from reports.models import Report
from tests.factories import make_category, make_publisher, make_report

pytestmark = pytest.mark.django_db


def detail_url(report, language="en"):
    return f"/{language}/reports/{report.product_code}/{report.slug}/"


def queries_for(client, url, **params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries), response


def toc(count):
    return [(1 if n % 4 == 0 else 2, f"Chapter {n}", f"第{n}章") for n in range(count)]


# --- Fixed query counts with the page cache off, cold and warm, at two sizes --------

PAGES = [
    ("list en", "/en/reports/", {}),
    ("list zh-hans", "/zh-hans/reports/", {}),
    ("list zh-hant", "/zh-hant/reports/", {}),
    ("search en", "/en/reports/", {"q": "market"}),
    ("search zh-hans", "/zh-hans/reports/", {"q": "市场"}),
    ("category", "/en/reports/", {"category": "healthcare", "sort": "price_desc"}),
    ("detail en", "detail", {"language": "en"}),
    ("detail zh-hans", "detail", {"language": "zh-hans"}),
    ("detail zh-hant", "detail", {"language": "zh-hant"}),
]


def _counts(client, url, params, first):
    if url == "detail":
        url, params = detail_url(first, params["language"]), {}
    cold, _ = queries_for(client, url, **params)
    warm, response = queries_for(client, url, **params)
    return cold, warm, response


@pytest.mark.parametrize("name, url, params", PAGES, ids=[page[0] for page in PAGES])
def test_pages_built_without_the_page_cache_keep_a_fixed_query_count(
    client, settings, name, url, params
):
    # given the page cache off (every request builds its page) and 10 reports
    settings.CATALOGUE_CACHE_SECONDS = 0
    settings.REPORTS_PER_PAGE = 5
    category = make_category(slug="healthcare", name_en="Healthcare", name_zh="医疗保健")
    # (the page asked for is prepared as an edit in the admin prepares it)
    reports = [
        make_report(product_code=f"Q-{n:04d}", categories=[category], toc=toc(30), segments=[],
                    prepare_pages=n == 0)
        for n in range(10)
    ]
    small_cold, small_warm, _ = _counts(client, url, params, reports[0])
    # when the catalogue grows to 200 (each report an edit: a new version)
    for number in range(10, 200):
        make_report(product_code=f"Q-{number:04d}", key_statistics=[], toc=toc(3))
    large_cold, large_warm, response = _counts(client, url, params, reports[0])
    # then the first build after the edit and the next ones cost what they cost at 10
    assert (small_cold, small_warm) == (large_cold, large_warm)
    assert large_warm < large_cold
    # detail: one of them for the "look inside" pages, and one more for a zh-hans buyer
    # (CNY by default), whose related reports' stored "price from" is in USD
    detail_bound = 8 if params.get("language") == "zh-hans" else 7
    assert large_warm <= (detail_bound if url == "detail" else 3)
    assert cards.PRICE_SLOT not in response.content.decode()


# --- Cards -------------------------------------------------------------------------


def test_a_card_shows_its_price_put_in_per_request(client, settings):
    settings.CATALOGUE_CACHE_SECONDS = 0
    make_report(product_code="P-1", licence_prices={"single_user": "4949"})
    for _ in range(2):  # the card rendered, then reused
        page = client.get("/en/reports/").content.decode()
        assert "From USD 4,949" in page
        assert cards.PRICE_SLOT not in page
    assert "USD 4,949" in client.get("/zh-hans/reports/").content.decode()


def test_card_html_kept_for_a_version_holds_no_price():
    report = make_report(licence_prices={"single_user": "4949"})
    row = cards.as_rows(Report.objects.filter(pk=report.pk)).get()

    (card,) = cards.card_rows([row])
    kept = render_to_string(cards.CARD_TEMPLATE, {"report": card, "price_slot": cards.PRICE_SLOT})
    assert "4,949" not in kept and cards.PRICE_SLOT in kept


def test_a_traditional_card_without_traditional_text_says_it_shows_simplified_text(client):
    make_report(title_zh="继续医学教育市场")

    for _ in range(2):  # built, then from the kept parts
        page = client.get("/zh-hant/reports/?sort=price_asc").content.decode()
        assert "继续医学教育市场" in page
        assert "badge-fallback" in page and "簡體中文" in page


def test_an_english_only_card_says_so_in_chinese(client):
    make_report(title_en="Battery recycling market", title_zh=None)

    page = client.get("/zh-hans/reports/").content.decode()

    assert "Battery recycling market" in page and "badge-fallback" in page


def test_an_edit_shows_at_once_with_the_page_cache_off(client, settings):
    settings.CATALOGUE_CACHE_SECONDS = 0
    publisher = make_publisher(name="Acme Research")
    make_report(publisher=publisher)
    assert "Acme Research" in client.get("/en/reports/").content.decode()

    from reports import services

    publisher.name = "Apex Insight"
    publisher.save()
    services.catalogue_changed()

    page = client.get("/en/reports/").content.decode()
    assert "Apex Insight" in page and "Acme Research" not in page


# --- Related reports ------------------------------------------------------------


def related_codes(report) -> list[str]:
    shown = selectors.related_reports(selectors.visible_report(report.product_code))
    return [card.product_code for card in shown]


def test_related_reports_fall_back_to_the_parent_category_then_the_publisher(client):
    # given a report alone in its sub-category
    health = make_category(slug="health", name_en="Health")
    education = make_category(slug="medical-education", name_en="Education", parent=health)
    devices = make_category(slug="devices", name_en="Devices", parent=health)
    ours = make_publisher(name="Ours")
    flagship = make_report(product_code="F-1", categories=[education], publisher=ours)
    sibling = make_report(
        product_code="S-1", categories=[devices], published_on=date(2024, 1, 1)
    )
    parent = make_report(product_code="P-1", categories=[health], published_on=date(2023, 1, 1))
    same_publisher = make_report(
        product_code="O-1", publisher=ours, published_on=date(2025, 1, 1)
    )
    newest = make_report(product_code="N-1", published_on=date(2026, 1, 1))

    # when its page is shown
    response = client.get(detail_url(flagship))

    # then the parent's family comes first (newest first), then the publisher's, then the rest
    assert related_codes(flagship) == ["S-1", "P-1", "O-1", "N-1"]
    page = response.content.decode()
    assert "Related reports" in page
    for report in (sibling, parent, same_publisher, newest):
        assert report.get_absolute_url() in page


def test_related_reports_start_with_the_same_category(client):
    energy = make_category(slug="energy", name_en="Energy")
    first = make_report(product_code="E-1", categories=[energy])
    make_report(product_code="X-1", published_on=date(2026, 6, 1))
    make_report(product_code="E-2", categories=[energy], published_on=date(2020, 1, 1))

    assert "E-2" in client.get(detail_url(first)).content.decode()
    assert related_codes(first)[:2] == ["E-2", "X-1"]


def test_related_reports_show_whenever_the_catalogue_has_other_reports(client):
    alone = make_report(product_code="A-1")
    assert "related-heading" not in client.get(detail_url(alone)).content.decode()

    make_report(product_code="B-1", publisher=make_publisher())  # nothing in common

    assert "related-heading" in client.get(detail_url(alone)).content.decode()


# --- Stampedes -----------------------------------------------------------------------


def _content(text):
    return page_cache.CatalogueContent(title=text, meta_description="", html=text)


def test_a_request_waits_for_the_page_another_one_is_building(settings):
    # given another request holding the lock for a page, storing it 0.2 s later
    settings.CATALOGUE_STAMPEDE_WAIT_SECONDS = 5
    key = page_cache.content_key("list", "")
    version = page_cache.current_version()
    cache.add(f"{key}:building:{version}", 1, timeout=5)

    def other_request():
        time.sleep(0.2)
        stored = _content("built by the other request")
        stored.version, stored.stale_after = version, time.time() + 60
        cache.set(key, stored, timeout=60)

    thread = threading.Thread(target=other_request)
    thread.start()
    builds = []

    # when this request misses the cache
    content = page_cache.cached_content(
        key, lambda: builds.append(1) or _content("built here"), seconds_until_change=lambda: 60
    )
    thread.join()

    # then it serves the other request's page and builds nothing
    assert content.html == "built by the other request"
    assert builds == []


def test_a_waiting_request_builds_the_page_itself_when_the_builder_keeps_nothing(settings):
    settings.CATALOGUE_STAMPEDE_WAIT_SECONDS = 30
    key = page_cache.content_key("list", "q=x")
    version = page_cache.current_version()
    lock = f"{key}:building:{version}"
    cache.add(lock, 1, timeout=30)
    threading.Timer(0.1, lambda: cache.delete(lock)).start()  # done, nothing stored

    started = time.monotonic()
    content = page_cache.cached_content(
        key, lambda: _content("built here"), seconds_until_change=lambda: 60
    )

    assert content.html == "built here"
    assert time.monotonic() - started < 5


def test_the_build_lock_is_released_and_a_lone_request_never_waits(settings):
    settings.CATALOGUE_STAMPEDE_WAIT_SECONDS = 30
    key = page_cache.content_key("home")
    started = time.monotonic()

    content = page_cache.cached_content(
        key, lambda: _content("home"), seconds_until_change=lambda: 60
    )

    assert content.html == "home" and time.monotonic() - started < 5
    version = page_cache.current_version()
    assert cache.get(f"{key}:building:{version}") is None
