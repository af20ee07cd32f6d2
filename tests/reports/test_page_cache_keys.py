"""The catalogue cache cannot be filled from outside: one entry per page, a budget per visitor."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.factories import make_report

pytestmark = pytest.mark.django_db

# Spellings of one search: case, width, spaces, encoding, order, defaults, junk, repeats.
SPELLINGS_OF_MARKET = [
    "q=market",
    "q=Market",
    "q=MARKET",
    "q=%EF%BD%8D%EF%BD%81%EF%BD%92%EF%BD%8B%EF%BD%85%EF%BD%94",  # full-width ｍａｒｋｅｔ
    "q=+market",
    "q=market++",
    "q=%6Darket",
    "q=market&sort=newest",
    "sort=newest&q=market",
    "q=market&page=1",
    "q=market&page=01",
    "q=market&category=&publisher=",
    "q=market&utm_source=newsletter",
    "q=market&ref=abc&fbclid=xyz",
    "q=nothing&q=market",
    "&q=market",
    "q=market&",
    "q=market&&&",
]


@pytest.fixture
def local_cache(settings):
    """A local-memory cache, so the test can list what was stored."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()


def stored(kind: str) -> list[str]:
    return [key for key in cache._cache if f":catalogue:{kind}:" in key]


def test_every_spelling_of_a_search_shares_one_cache_entry(local_cache):
    # given a catalogue with a report found by "market"
    make_report(title_en="Continuing Medical Education Market")
    # when a visitor asks for the same search in every spelling
    for spelling in SPELLINGS_OF_MARKET:
        response = Client().get(f"/en/reports/?{spelling}")
        assert response.status_code == 200, spelling
        assert "Continuing Medical Education Market" in response.content.decode()
    # then the cache holds the search once: one content entry, one whole page
    assert len(stored("list")) == 1
    assert len(stored("page")) == 1


def test_a_cached_search_shows_nothing_of_the_spelling_that_built_it(local_cache):
    # given a search first asked for in an odd spelling, with junk parameters
    make_report(title_en="Continuing Medical Education Market")
    Client().get("/en/reports/?q=%EF%BD%8D%EF%BD%81RKET&utm_source=evil&sort=newest")
    # when the next visitor asks for it plainly
    page = Client().get("/en/reports/?q=market").content.decode()
    # then they see their own search, canonical, and no trace of the other address
    assert "utm_source" not in page and "evil" not in page
    assert "ＭＡＲＫＥＴ" not in page and "ｍａ" not in page
    assert 'value="market"' in page


def test_one_visitor_adds_at_most_their_budget_of_searches_then_pages_are_served_unstored(
    local_cache, settings
):
    # given a budget of 3 new searched pages per visitor and window
    settings.CATALOGUE_CACHE_QUERIES_PER_IP = 3
    report = make_report(title_en="Continuing Medical Education Market")
    flooder = Client(REMOTE_ADDR="203.0.113.7")
    # when one address asks for ten different searches
    responses = [flooder.get(f"/en/reports/?q=market+{number}") for number in range(10)]
    # then every page is served, but only three searches were kept
    assert all(response.status_code == 200 for response in responses)
    assert len(stored("list")) == 3
    assert len(stored("page")) == 3
    # and pages without a query (bounded by the catalogue) are still kept for it
    flooder.get("/en/")
    flooder.get(report.get_absolute_url())
    assert len(stored("home")) == len(stored("detail")) == 1
    # and another visitor still has a budget of their own
    Client(REMOTE_ADDR="198.51.100.20").get("/en/reports/?q=medical")
    assert len(stored("list")) == 4


def test_a_page_number_that_is_not_a_number_is_answered_but_never_stored(local_cache):
    make_report(title_en="Continuing Medical Education Market")
    for spelling in ("page=1.0", "page=0", "page=-1", "page=x", "page=%EF%BC%91"):
        response = Client().get(f"/en/reports/?{spelling}")
        assert response.status_code in (200, 404), spelling
    assert stored("list") == [] and stored("page") == []


def test_empty_query_strings_do_not_make_new_home_pages(local_cache):
    # "/en/?", "/en/?&", "/en/?&&"… are all the home page: one entry, whatever the spelling
    for suffix in ("", "?&", "?&&", "?&&&", "?utm_source=x", "?=", "?a=b"):
        assert Client().get(f"/en/{suffix}").status_code == 200
    assert len(stored("page")) == 1


HANS_MEDICINE = "q=%E5%8C%BB%E5%AD%A6"  # 医学, as a browser sends it
HANT_MEDICINE = "q=%E9%86%AB%E5%AD%B8"  # 醫學, folded to 医学 by the search


@pytest.mark.parametrize(
    "language, spelled, canonical, shown",
    [
        ("zh-hans", HANS_MEDICINE, HANS_MEDICINE, "医学"),
        ("zh-hant", HANT_MEDICINE, HANT_MEDICINE, "醫學"),
        ("zh-hans", HANS_MEDICINE.lower(), HANS_MEDICINE, "医学"),
        ("zh-hans", "q=医学", HANS_MEDICINE, "医学"),  # UTF-8 not percent-encoded
        ("en", "q=medical&", "q=medical", "medical"),
    ],
)
def test_a_repeated_search_is_served_whole_from_the_cache(
    local_cache, language, spelled, canonical, shown
):
    # given a report found by the search, asked for once
    make_report(title_en="Continuing Medical Education Market", title_zh="继续医学教育市场")
    url = f"/{language}/reports/?{spelled}"
    assert Client().get(url).status_code == 200
    # when another visitor asks for it again, spelled the same way
    with CaptureQueriesContext(connection) as queries:
        response = Client().get(url)
    # then the whole page comes from the cache: no query, no template rendered
    assert response.status_code == 200
    assert len(queries) == 0
    assert response.templates == []
    assert len(stored("page")) == 1
    # and it shows the search as the visitor typed it, its links spelled canonically
    page = response.content.decode()
    assert f'value="{shown}"' in page
    assert f'href="/en/reports/?{canonical}"' in page


def test_a_traditional_page_spells_the_search_as_its_visitors_type_it(local_cache):
    # given a report found by 医学, searched for on the traditional Chinese pages
    report = make_report(title_en="Continuing Medical Education Market", title_zh="继续医学教育市场")
    # when the search is typed in simplified characters, then in traditional ones
    simplified = Client().get(f"/zh-hant/reports/?{HANS_MEDICINE}").content.decode()
    assert stored("page") == []
    traditional = Client().get(f"/zh-hant/reports/?{HANT_MEDICINE}").content.decode()
    # then both find the report, from one content entry kept under the traditional
    # spelling, and only that spelling is kept whole
    assert report.get_absolute_url().split("/", 2)[2] in simplified
    assert report.get_absolute_url().split("/", 2)[2] in traditional
    assert len(stored("list")) == 1 and len(stored("page")) == 1
