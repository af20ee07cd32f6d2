"""The list and search pages built on a cache miss, and the shell of every catalogue page:
query counts at 10 and 10,000 reports, the per-request parts of the kept shell (CSRF
token, cart count, messages, language and currency links), and the kept SQL of a page
of cards."""

import re
from datetime import date, timedelta

import pytest
import time_machine
from django.contrib import messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reports import (
    cards,
    list_results,
    page_cache,
    page_shell,
    search,
    selectors,
    services,
    views,
)
from reports.forms import CatalogueFilterForm, accepted_filters
from reports.models import Report, ReportStatus
from reports.views import CountedPaginator, SearchPages
from tests.factories import make_category, make_publisher, make_report
from tests.reports.shown import product_codes_on

pytestmark = pytest.mark.django_db

CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def detail_url(report, language="en"):
    return f"/{language}/reports/{report.product_code}/{report.slug}/"


def queries_for(client, url, params=None):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200, url
    return len(queries), response


def grow_catalogue(template: Report, count: int) -> None:
    """count published copies of template (rows and translations, in bulk), then an edit."""
    translation_model = Report._parler_meta.root_model
    fields = [
        field.attname for field in Report._meta.concrete_fields if not field.primary_key
    ]
    values = {name: getattr(template, name) for name in fields}
    copies = Report.objects.bulk_create(
        [
            Report(**{**values, "product_code": f"BULK-{n:05d}", "slug": f"bulk-copy-{n}"})
            for n in range(count)
        ],
        batch_size=2000,
    )
    translation_fields = [
        field.attname for field in translation_model._meta.concrete_fields
        if not field.primary_key and field.attname != "master_id"
    ]
    originals = list(translation_model.objects.filter(master_id=template.pk))
    translation_model.objects.bulk_create(
        [
            translation_model(
                master_id=copy.pk,
                **{name: getattr(original, name) for name in translation_fields},
            )
            for copy in copies
            for original in originals
        ],
        batch_size=4000,
    )
    services.catalogue_changed()


# --- Fixed query counts at 10 and 10,000 reports ----------------------------------

PAGES = [
    ("list en", "/en/reports/", {}),
    ("list zh-hans", "/zh-hans/reports/", {}),
    ("list zh-hant", "/zh-hant/reports/", {}),
    ("list page 2", "/en/reports/", {"page": "2"}),
    ("search en", "/en/reports/", {"q": "market"}),
    ("search zh-hans", "/zh-hans/reports/", {"q": "市场"}),
    ("search zh-hant", "/zh-hant/reports/", {"q": "市場"}),
    ("search without results", "/en/reports/", {"q": "zzzqqq"}),
    ("category, sorted", "/en/reports/", {"category": "healthcare", "sort": "price_desc"}),
]


def test_list_and_search_pages_keep_their_query_count_at_10_and_10000_reports(
    settings, monkeypatch
):
    # given the page cache off (every request builds its page) and 10 reports, with the
    # search count capped below 10 so that "market" is capped at both sizes (a capped
    # search reads its page in display order: one query more than an uncapped one)
    settings.CATALOGUE_CACHE_SECONDS = 0
    monkeypatch.setattr(search, "SEARCH_COUNT_CAP", 5)
    settings.REPORTS_PER_PAGE = 5
    # page 2 read as a deep page is (its ids first, then its rows)
    monkeypatch.setattr(cards, "DEFERRED_FROM", 5)
    category = make_category(slug="healthcare", name_en="Healthcare", name_zh="医疗保健")
    reports = [make_report(product_code=f"L-{n:04d}", categories=[category]) for n in range(10)]
    client = Client()

    def counts():
        cold, warm = {}, {}
        for name, url, params in PAGES:
            services.catalogue_changed()  # the first request of a new catalogue version
            cold[name] = queries_for(client, url, params)[0]
            warm[name] = queries_for(client, url, params)[0]
        return cold, warm

    small_cold, small_warm = counts()
    # when the catalogue grows to 10,010 reports
    grow_catalogue(reports[0], 10_000)
    assert Report.objects.published().count() == 10_010
    large_cold, large_warm = counts()

    # then every page costs what it cost at 10 reports, and one query once warm: the
    # page of cards (the count, the sidebar, the prices and the SQL are kept per version)
    assert large_cold == small_cold
    assert large_warm == small_warm
    assert large_warm == {name: 1 for name, _url, _params in PAGES}
    assert max(large_cold.values()) <= 9  # zh-hans: the CNY prices of USD-priced cards


def test_a_cached_page_costs_no_query_at_either_size():
    report = make_report()
    client = Client()
    for grow in (False, True):
        if grow:
            grow_catalogue(report, 10_000)
        for url in ("/en/reports/", "/zh-hans/reports/?q=%E5%B8%82%E5%9C%BA", detail_url(report)):
            client.get(url)
            assert queries_for(client, url)[0] == 0


# --- The shell: rendered once, filled per request -----------------------------------


def _normalised(html: str) -> str:
    return " ".join(CSRF_TOKEN.sub("CSRF", html).split())


@pytest.mark.parametrize("language", ["en", "zh-hans", "zh-hant"])
def test_the_kept_shell_gives_the_page_the_templates_give(client, settings, language):
    # given a buyer with a cart, on several catalogue pages
    settings.CATALOGUE_CACHE_SECONDS = 0
    report = make_report(product_code="SHELL-1", title_en="Shell <Test> & Market")
    client.post(f"/{language}/cart/add/", {"license_option": report.license_options.first().pk})
    client.get(f"/{language}/cart/")  # shows the cart's message, so no page below has one
    for url in (
        f"/{language}/reports/",
        f"/{language}/reports/?q=shell&page=1&utm=%22%3E",
        detail_url(report, language),
        f"/{language}/",
    ):
        # when the page is built from the kept shell, then through the templates
        from_shell = client.get(url).content.decode()
        with_templates = _render_through_templates(client, url)
        # then both give the same page
        assert 'class="cart-count"' in from_shell
        assert _normalised(from_shell) == _normalised(with_templates), url


def _render_through_templates(client, url):
    """The page as catalogue_page.html renders it, with page_shell switched off."""
    original = page_shell.fill
    page_shell.fill = lambda request, **parts: None
    try:
        return client.get(url).content.decode()
    finally:
        page_shell.fill = original


def test_two_buyers_never_share_a_csrf_token_on_a_page_built_from_the_shell(settings):
    settings.CATALOGUE_CACHE_SECONDS = 0
    report = make_report()
    pages = [Client().get(detail_url(report)).content.decode() for _ in range(2)]
    tokens = [CSRF_TOKEN.search(page).group(1) for page in pages]
    assert tokens[0] != tokens[1]
    assert all(page_cache.CSRF_PLACEHOLDER not in page for page in pages)


def test_a_buyer_with_a_cart_sees_its_count_on_list_and_search_pages(settings):
    settings.CATALOGUE_CACHE_SECONDS = 0
    report = make_report(title_en="Counted Cart Market")
    buyer = Client()
    buyer.post("/en/cart/add/", {"license_option": report.license_options.first().pk})
    for url in ("/en/reports/", "/en/reports/?q=counted", "/zh-hans/reports/"):
        assert '<span class="cart-count">1</span>' in buyer.get(url).content.decode()
        assert "cart-count" not in Client().get(url).content.decode()


def test_messages_show_once_on_a_catalogue_page(settings):
    settings.CATALOGUE_CACHE_SECONDS = 0
    make_report()
    buyer = Client()
    buyer.cookies["messages"] = _messages_cookie("Saved & <kept>")
    page = buyer.get("/en/reports/").content.decode()
    assert '<div class="messages" role="status">' in page
    assert '<p class="message message-success">Saved &amp; &lt;kept&gt;</p>' in page
    assert '<div class="messages"' not in buyer.get("/en/reports/").content.decode()


def _messages_cookie(text: str) -> str:
    """The messages cookie a view that left ``text`` as a message would set."""
    from django.contrib.messages.storage.cookie import CookieStorage
    from django.http import HttpResponse
    from django.test import RequestFactory

    storage = CookieStorage(RequestFactory().get("/"))
    storage.add(messages.SUCCESS, text)
    response = HttpResponse()
    storage.update(response)
    return response.cookies["messages"].value


def test_language_and_currency_links_carry_the_pages_own_address(settings, client):
    settings.CATALOGUE_CACHE_SECONDS = 0
    make_report(title_en="Address Market")
    page = client.get("/en/reports/", {"q": 'address"<', "page": "1"}).content.decode()
    query = "?q=address%22%3C&amp;page=1"
    assert f'<a href="/zh-hans/reports/{query}" hreflang="zh-hans"' in page
    assert f'<a href="/zh-hant/reports/{query}" hreflang="zh-hant"' in page
    assert f'<input type="hidden" name="next" value="/en/reports/{query}">' in page
    assert 'name="q" value="address&quot;&lt;" maxlength="200" placeholder' in page
    # the currency the buyer chose is the one selected
    client.post("/en/currency/", {"currency": "EUR", "next": "/en/reports/"})
    page = client.get("/en/reports/").content.decode()
    assert '<option value="EUR" selected>EUR</option>' in page


def test_a_settings_change_renders_the_shell_again(settings, client):
    settings.CATALOGUE_CACHE_SECONDS = 0
    make_report()
    client.get("/en/reports/")
    settings.SELLER_LEGAL_NAME = "Shell Seller Ltd"
    assert "Shell Seller Ltd" in client.get("/en/reports/").content.decode()


# --- Card rows: the SQL of a page kept per version -----------------------------------


def test_a_scheduled_report_appears_on_time_with_the_page_cache_off(client, settings):
    settings.CATALOGUE_CACHE_SECONDS = 0
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        make_report(product_code="NOW-2", title_en="Visible Now Market")
        make_report(
            product_code="SOON-2",
            title_en="Scheduled Soon Market",
            status=ReportStatus.SCHEDULED,
            publish_at=timezone.now() + timedelta(seconds=90),
        )
        for _ in range(2):
            page = client.get("/en/reports/", {"q": "market"}).content.decode()
            assert "Visible Now Market" in page and "Scheduled Soon Market" not in page
            assert "Scheduled Soon Market" not in client.get("/en/reports/").content.decode()
        traveller.shift(timedelta(seconds=120))
        assert "Scheduled Soon Market" in client.get("/en/reports/").content.decode()
        page = client.get("/en/reports/", {"q": "market"}).content.decode()
        assert "Scheduled Soon Market" in page


@pytest.mark.parametrize("q", ["market", "市场", "zzzqqq", "solar market"])
def test_search_pages_read_what_the_search_paginator_reads(monkeypatch, q):
    # a cap of 3 makes "market" a capped search, read in display order
    monkeypatch.setattr(search, "SEARCH_COUNT_CAP", 3)
    category = make_category(slug="energy", name_en="Energy", name_zh="能源")
    for n in range(7):
        make_report(title_en=f"Solar Market {n}", categories=[category] if n % 2 else [])
    for query in (
        selectors.CatalogueQuery(q=q),
        selectors.CatalogueQuery(q=q, category_ids=(category.pk,), sort="price_asc"),
    ):
        for number in (1, 2):
            expected = search.SearchPaginator(query, 2)
            pages = SearchPages(query, 2)
            assert (pages.count, pages.capped) == (expected.count, expected.capped)
            if number > expected.num_pages:
                continue
            for _ in range(2):  # compiled, then from the kept SQL
                assert list(pages.page(number).object_list) == list(
                    expected.page(number).object_list
                )


def test_card_rows_read_a_page_as_the_queryset_does():
    for n in range(5):
        make_report(title_en=f"Rows Market {n}")
    query = selectors.CatalogueQuery(sort="price_desc")
    rows = cards.CardRows(query)
    expected = list(cards.as_rows(selectors.search_reports(query))[1:4])
    assert rows[1:4] == expected
    assert rows[1:4] == expected  # from the kept SQL
    assert rows.count() == 5



# --- The results formatted in Python, as the template formats them ----------------


@pytest.mark.parametrize("language", ["en", "zh-hans", "zh-hant"])
def test_the_results_formatted_in_python_are_what_the_template_renders(
    client, settings, monkeypatch, language
):
    # given pages with one and several pages of results, a capped search (its last
    # page carries the note), a publisher with markup in its name, and a thousand
    # separator in a count
    settings.CATALOGUE_CACHE_SECONDS = 0
    settings.REPORTS_PER_PAGE = 2
    monkeypatch.setattr(search, "SEARCH_COUNT_CAP", 3)
    category = make_category(slug="energy", name_en="Energy <&>", name_zh="能源")
    publisher = make_publisher(name='Acme & "Sons" <Research>', slug="acme")
    for n in range(5):
        make_report(
            product_code=f"PY-{n}",
            title_en=f"Solar <b>Market</b> {n}",
            categories=[category] if n % 2 else [],
            publisher=publisher if n < 3 else None,
        )
    base = f"/{language}/reports/"
    pages = [
        "", "?page=2", "?page=3", "?sort=price_asc&page=2",
        "?q=solar", "?q=solar&page=2", "?q=solar&sort=price_desc",
        "?q=%E5%B8%82%E5%9C%BA",
        "?publisher=acme", "?publisher=acme&category=energy&q=solar",
        "?category=energy&utm_source=%22%3E%3Cx%3E",
    ]
    for query in pages:
        # when a page is built with its results formatted in Python, then through
        # the template
        from_python = client.get(base + query)
        with monkeypatch.context() as patched:
            patched.setattr(list_results, "html", lambda **parts: None)
            from_template = client.get(base + query)
        # then both give the same page, byte for byte but for the CSRF token
        assert from_python.status_code == from_template.status_code == 200
        assert product_codes_on(from_python), query
        assert CSRF_TOKEN.sub("CSRF", from_python.content.decode()) == CSRF_TOKEN.sub(
            "CSRF", from_template.content.decode()
        ), query
    capped_last = client.get(base + "?q=solar&page=2").content.decode()
    assert 'class="result-cap"' in capped_last
    assert "Acme &amp; &quot;Sons&quot; &lt;Research&gt;" in client.get(
        base + "?publisher=acme"
    ).content.decode()


def test_the_results_count_has_its_thousands_separator(client, settings, monkeypatch):
    # given more matches than a thousand (the page of one report, counted as 12,345;
    # the Chinese number format has no separator)
    settings.CATALOGUE_CACHE_SECONDS = 0
    make_report(product_code="COUNT-1", title_en="Counted Market")
    monkeypatch.setattr(CountedPaginator, "count", 12345)
    for language, expected in (("en", "12,345 reports"), ("zh-hans", "共 12345 份报告")):
        from_python = client.get(f"/{language}/reports/").content.decode()
        with monkeypatch.context() as patched:
            patched.setattr(list_results, "html", lambda **parts: None)
            from_template = client.get(f"/{language}/reports/").content.decode()
        count_line = re.search(r'class="result-count"[^>]*>\s*([^\n]*)', from_python).group(1)
        assert count_line == expected
        assert CSRF_TOKEN.sub("", from_python) == CSRF_TOKEN.sub("", from_template)


# --- The filter form judged without being built when plainly valid ----------------


@pytest.mark.parametrize(
    "query",
    [
        "", "q=market", "q=++Market++", "q=%E5%B8%82%E5%9C%BA", "q=", "q=a&q=b",
        "category=energy", "category=+energy+", "publisher=acme&category=e-1_x",
        "sort=newest", "sort=price_asc", "sort=price_desc", "sort=", "page=3&utm_source=x",
        "q=" + "x" * 200, "q=+" + "x" * 200 + "+",
        # refused: the form is built and says why
        "q=" + "x" * 201, "sort=bogus", "sort=+newest", "category=a+b", "publisher=%C3%A9",
        "category=%2F",
    ],
)
def test_accepted_filters_say_what_the_form_says(rf, query):
    data = rf.get("/en/reports/?" + query).GET
    form = CatalogueFilterForm(data or None)
    accepted = accepted_filters(data)
    if accepted is None:
        assert form.is_bound and not form.is_valid()
        return
    assert accepted.is_bound == form.is_bound
    assert accepted.is_valid() == form.is_valid()
    if form.is_bound:
        assert accepted.cleaned_data == form.cleaned_data
    assert not accepted.errors


@pytest.mark.parametrize("sort", ["newest", "price_asc", "price_desc"])
def test_a_deep_page_reads_the_rows_the_queryset_reads(monkeypatch, sort):
    # given reports with equal dates and prices (the id decides), a missing price, a
    # draft and a scheduled report not yet due, two publishers and a category
    monkeypatch.setattr(cards, "DEFERRED_FROM", 2)
    category = make_category(slug="energy", name_en="Energy", name_zh="能源")
    publisher = make_publisher(name="Deep Research")
    for n in range(9):
        make_report(
            title_en=f"Deep Market {n}",
            published_on=date(2026, 1, 1 + n % 3),
            licence_prices={"single_user": str(1000 + 100 * (n % 2))} if n != 4 else {},
            categories=[category] if n % 2 else [],
            publisher=publisher if n % 3 else None,
        )
    make_report(title_en="Deep Draft", status=ReportStatus.DRAFT)
    make_report(
        title_en="Deep Scheduled", status=ReportStatus.SCHEDULED,
        publish_at=timezone.now() + timedelta(days=1),
    )
    for query in (
        selectors.CatalogueQuery(sort=sort),
        selectors.CatalogueQuery(sort=sort, category_ids=(category.pk,)),
        selectors.CatalogueQuery(sort=sort, publisher_id=publisher.pk),
    ):
        queryset = cards.as_rows(selectors.search_reports(query))
        for start in (2, 3, 4, 6, 8):
            rows = cards.CardRows(query)
            expected = list(queryset[start:start + 2])
            # then the same rows in the same order, compiled and from the kept SQL
            assert rows[start:start + 2] == expected, (query, start)
            assert rows[start:start + 2] == expected
            if connection.vendor == "postgresql":
                assert "IN (SELECT" in str(rows._page(slice(start, start + 2)).query)


def test_a_search_sent_as_raw_utf8_finds_its_kept_page_at_the_first_lookup(monkeypatch):
    # given a Chinese search kept whole (a browser sends it percent-encoded)
    make_report(title_zh="医学影像市场")
    client = Client()
    encoded = client.get("/zh-hans/reports/?q=%E5%8C%BB%E5%AD%A6").content.decode()
    # when a client sends the same address with the UTF-8 bytes as they are
    monkeypatch.setattr(views, "accepted_filters", _never_called)
    monkeypatch.setattr(views, "CatalogueFilterForm", _never_called)
    with CaptureQueriesContext(connection) as queries:
        raw = client.get("/zh-hans/reports/?q=医学")
    # then the kept page answers before any form is built, with no query
    assert raw.status_code == 200 and len(queries) == 0
    assert CSRF_TOKEN.sub("", raw.content.decode()) == CSRF_TOKEN.sub("", encoded)


def _never_called(*args, **kwargs):
    raise AssertionError("the page was built again")
