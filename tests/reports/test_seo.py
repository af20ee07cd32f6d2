"""What search engines read: sitemap, robots.txt and the head of every catalogue page."""

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from reports import services, sitemaps
from reports.models import LicenseType, Report, ReportStatus
from tests.factories import make_category, make_publisher, make_report

pytestmark = pytest.mark.django_db

SITE = "https://shop.example.com"
NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "xhtml": "http://www.w3.org/1999/xhtml"}


@pytest.fixture(autouse=True)
def _public_address(settings):
    # Another host than the test client's "testserver": addresses must come from SITE_URL.
    settings.SITE_URL = SITE


def detail_path(report, language="en"):
    return f"/{language}/reports/{report.product_code}/{report.slug}/"


# --- Reading what a crawler reads ------------------------------------------------


@dataclass
class Head:
    canonical: list = field(default_factory=list)
    alternates: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)  # name or property -> [content, ...]
    json_ld: list = field(default_factory=list)  # raw text of each ld+json script

    def one(self, key):
        values = self.meta.get(key, [])
        assert len(values) == 1, (key, values)
        return values[0]


class HeadParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.head = Head()
        self._in_json_ld = False
        self._in_head = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "head":
            self._in_head = True
        elif tag == "body":
            self._in_head = False
        elif tag == "link" and self._in_head and attrs.get("rel") == "canonical":
            self.head.canonical.append(attrs["href"])
        elif tag == "link" and self._in_head and attrs.get("rel") == "alternate":
            assert attrs["hreflang"] not in self.head.alternates, "hreflang given twice"
            self.head.alternates[attrs["hreflang"]] = attrs["href"]
        elif tag == "meta" and self._in_head and ("name" in attrs or "property" in attrs):
            key = attrs.get("name") or attrs.get("property")
            self.head.meta.setdefault(key, []).append(attrs.get("content"))
        elif tag == "script" and attrs.get("type") == "application/ld+json":
            self._in_json_ld = True
            self.head.json_ld.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_json_ld = False

    def handle_data(self, data):
        if self._in_json_ld:
            self.head.json_ld[-1] += data


def head_of(response) -> Head:
    assert response.status_code == 200
    parser = HeadParser()
    parser.feed(response.content.decode())
    return parser.head


def product_of(response) -> dict:
    (text,) = head_of(response).json_ld
    return json.loads(text)


def sitemap_entries(response) -> dict:
    """{loc: {"lastmod": ..., "alternates": {hreflang: href}}} of a <urlset>."""
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{{{NS['s']}}}urlset"
    entries = {}
    for url in root.findall("s:url", NS):
        loc = url.findtext("s:loc", namespaces=NS)
        assert loc not in entries, f"{loc} listed twice"
        entries[loc] = {
            "lastmod": url.findtext("s:lastmod", namespaces=NS),
            "alternates": {
                link.get("hreflang"): link.get("href") for link in url.findall("xhtml:link", NS)
            },
        }
    return entries


def index_locations(response) -> list[str]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{{{NS['s']}}}sitemapindex"
    return [item.findtext("s:loc", namespaces=NS) for item in root.findall("s:sitemap", NS)]


def local(url: str) -> str:
    assert url.startswith(SITE), url
    return url.removeprefix(SITE)


LANGUAGES = ("en", "zh-hans", "zh-hant")


def expected_alternates(path_en: str) -> dict:
    alternates = {code: SITE + path_en.replace("/en/", f"/{code}/", 1) for code in LANGUAGES}
    return {**alternates, "x-default": SITE + path_en}


def count_queries(client, url, **params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries), response


# --- Sitemap ----------------------------------------------------------------------


def test_sitemap_lists_every_published_report_in_both_languages_with_alternates(client):
    # given
    now = timezone.now()
    published = make_report(product_code="PUB-1")
    due = make_report(
        product_code="DUE-1", status=ReportStatus.SCHEDULED, publish_at=now - timedelta(minutes=1)
    )
    english_only = make_report(product_code="EN-1", title_zh=None)
    hidden = [
        make_report(product_code="DRAFT-1", status=ReportStatus.DRAFT),
        make_report(product_code="OLD-1", status=ReportStatus.ARCHIVED),
        make_report(
            product_code="LATER-1",
            status=ReportStatus.SCHEDULED,
            publish_at=now + timedelta(days=1),
        ),
        make_report(
            product_code="EMBARGO-1",
            status=ReportStatus.PUBLISHED,
            publish_at=now + timedelta(days=1),
        ),
    ]

    # when
    response = client.get("/sitemap.xml")

    # then
    entries = sitemap_entries(response)
    expected_paths = ["/en/", "/en/reports/"] + [
        detail_path(report) for report in (published, due, english_only)
    ]
    expected = {}
    for path_en in expected_paths:
        alternates = expected_alternates(path_en)
        for language in LANGUAGES:
            expected[alternates[language]] = alternates
    assert {loc: entry["alternates"] for loc, entry in entries.items()} == expected
    for loc in entries:
        assert client.get(local(loc)).status_code == 200, loc
    for report in hidden:
        assert report.product_code not in response.content.decode()
    lastmod = Report.objects.get(pk=published.pk).updated_at.date().isoformat()
    assert entries[SITE + detail_path(published, "zh-hans")]["lastmod"] == lastmod
    assert response["X-Robots-Tag"].startswith("noindex")


def test_sitemap_becomes_an_index_of_files_beyond_one_file(client, monkeypatch):
    # given: 4 addresses per file; home and list (6) and 2 reports (6) need 4 files
    monkeypatch.setattr(sitemaps.CatalogueSitemap, "limit", 4)
    reports = [make_report(product_code=f"IDX-{number}") for number in range(2)]

    # when
    files = index_locations(client.get("/sitemap.xml"))

    # then
    assert files == [
        f"{SITE}/sitemap-pages.xml",
        f"{SITE}/sitemap-pages.xml?p=2",
        f"{SITE}/sitemap-reports.xml",
        f"{SITE}/sitemap-reports.xml?p=2",
    ]
    listed = {}
    for url in files:
        entries = sitemap_entries(client.get(local(url)))
        assert 0 < len(entries) <= 4
        listed.update(entries)
    expected = {
        SITE + detail_path(report, language) for report in reports for language in LANGUAGES
    } | {f"{SITE}/{language}/{page}" for language in LANGUAGES for page in ("", "reports/")}
    assert set(listed) == expected
    assert all(entry["alternates"].keys() == {*LANGUAGES, "x-default"}
               for entry in listed.values())


@pytest.mark.parametrize(
    "url", ["/sitemap-reports.xml?p=3", "/sitemap-reports.xml?p=0", "/sitemap-reports.xml?p=x",
            "/sitemap-reports.xml?p=²", "/sitemap-nothing.xml"]
)
def test_sitemap_files_that_do_not_exist_are_404(client, monkeypatch, url):
    monkeypatch.setattr(sitemaps.CatalogueSitemap, "limit", 4)
    for number in range(2):  # 6 addresses: two files
        make_report(product_code=f"IDX-{number}")
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "limit, url",
    [(50_000, "/sitemap.xml"), (4, "/sitemap.xml"), (4, "/sitemap-reports.xml?p=2")],
    ids=["one file", "index", "a file of the index"],
)
def test_sitemap_keeps_a_fixed_query_count(client, settings, monkeypatch, limit, url):
    settings.CATALOGUE_CACHE_SECONDS = 0  # every request builds the sitemap
    monkeypatch.setattr(sitemaps.CatalogueSitemap, "limit", limit)
    category = make_category()
    for number in range(3):
        make_report(product_code=f"FQ-{number:03d}", categories=[category])
    small, _ = count_queries(client, url)
    for number in range(3, 60):
        make_report(product_code=f"FQ-{number:03d}", key_statistics=[], licence_prices=[])
    large, response = count_queries(client, url)
    assert small == large <= 5
    if limit == 50_000:
        assert len(sitemap_entries(response)) == len(LANGUAGES) * (2 + 60)


def test_a_warm_sitemap_needs_no_query(client):
    make_report()
    cold, first = count_queries(client, "/sitemap.xml")
    warm, second = count_queries(client, "/sitemap.xml")
    assert cold > 0
    assert warm == 0
    assert second.content == first.content


def test_a_published_report_enters_the_sitemap_at_once(client):
    # given: a draft, and a sitemap already cached without it
    draft = make_report(product_code="NEW-1", status=ReportStatus.DRAFT)
    assert SITE + detail_path(draft) not in sitemap_entries(client.get("/sitemap.xml"))

    # when: an editor publishes it
    Report.objects.filter(pk=draft.pk).update(status=ReportStatus.PUBLISHED)
    services.catalogue_changed()

    # then
    assert SITE + detail_path(draft) in sitemap_entries(client.get("/sitemap.xml"))

    # and archiving it takes it out again, through the admin's save path
    Report.objects.filter(pk=draft.pk).update(status=ReportStatus.ARCHIVED)
    services.refresh_listing(report_id=draft.pk)
    assert SITE + detail_path(draft) not in sitemap_entries(client.get("/sitemap.xml"))


def test_a_scheduled_report_enters_the_sitemap_on_time(client):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        soon = make_report(
            product_code="SOON-1",
            status=ReportStatus.SCHEDULED,
            publish_at=timezone.now() + timedelta(seconds=90),
        )
        assert SITE + detail_path(soon) not in sitemap_entries(client.get("/sitemap.xml"))
        traveller.shift(timedelta(seconds=120))
        assert SITE + detail_path(soon) in sitemap_entries(client.get("/sitemap.xml"))


def test_robots_txt_names_the_sitemap(client):
    lines = client.get("/robots.txt").content.decode().splitlines()
    assert f"Sitemap: {SITE}/sitemap.xml" in lines
    assert "Disallow: /*/reports/preview/" in lines


# --- The head of catalogue pages ------------------------------------------------


@pytest.fixture
def listing():
    healthcare = make_category(slug="healthcare", name_en="Healthcare", name_zh="医疗保健")
    return make_report(
        product_code="1994249",
        title_en="Continuing Medical Education Market",
        title_zh="继续医学教育(CME)市场",
        meta_description_en="The CME market in figures.",
        meta_description_zh="继续医学教育市场的数据。",
        categories=[healthcare],
        publisher=make_publisher(name="Research Partners", website="https://partners.example"),
        licence_prices={
            LicenseType.SINGLE_USER: "3939",
            LicenseType.MULTI_USER: "4249.5",
            LicenseType.ENTERPRISE: "5759",
        },
        licence_currency="EUR",
    )


def page_path(name, report, language):
    return {
        "home": f"/{language}/",
        "list": f"/{language}/reports/",
        "detail": detail_path(report, language),
    }[name]


@pytest.mark.parametrize("language, locale, others", [
    ("en", "en_US", ["zh_CN", "zh_TW"]),
    ("zh-hans", "zh_CN", ["en_US", "zh_TW"]),
    ("zh-hant", "zh_TW", ["en_US", "zh_CN"]),
])
@pytest.mark.parametrize("name", ["home", "list", "detail"])
def test_catalogue_pages_name_their_canonical_address_and_languages(
    client, listing, name, language, locale, others
):
    path = page_path(name, listing, language)

    head = head_of(client.get(path))

    assert head.canonical == [SITE + path]
    assert head.alternates == expected_alternates(page_path(name, listing, "en"))
    assert head.one("og:url") == SITE + path
    assert head.one("og:type") == ("product" if name == "detail" else "website")
    assert head.one("og:locale") == locale
    assert head.meta["og:locale:alternate"] == others
    assert head.one("og:site_name") == "Meridian Research Store"
    assert head.one("og:description") == head.one("description")
    assert head.one("og:title")
    assert "robots" not in head.meta
    assert bool(head.json_ld) == (name == "detail")


def test_report_pages_describe_the_report_in_the_page_language(client, listing):
    english = head_of(client.get(detail_path(listing)))
    chinese = head_of(client.get(detail_path(listing, "zh-hans")))

    assert english.one("description") == "The CME market in figures."
    assert chinese.one("description") == "继续医学教育市场的数据。"
    assert chinese.one("og:title") == "继续医学教育(CME)市场"
    assert english.one("og:title") == "Continuing Medical Education Market"


def test_meta_description_falls_back_to_the_summary_then_to_english(client):
    no_description = make_report(
        product_code="SUM-1",
        summary_en="<p>Obstetrics &amp; <b>Gynecology</b> devices.</p>",
        summary_zh="<p>妇产科 &amp; 器械。</p>",
    )
    english_only = make_report(
        product_code="EN-1", title_zh=None, meta_description_en="Valves, measured."
    )

    assert head_of(client.get(detail_path(no_description))).one("description") == (
        "Obstetrics & Gynecology devices."
    )
    assert head_of(client.get(detail_path(no_description, "zh-hans"))).one("description") == (
        "妇产科 & 器械。"
    )
    assert head_of(client.get(detail_path(english_only, "zh-hans"))).one("description") == (
        "Valves, measured."
    )


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_report_pages_carry_a_product_with_one_offer_per_licence(client, listing, language):
    path = detail_path(listing, language)

    product = product_of(client.get(path))

    assert product["@context"] == "https://schema.org"
    assert product["@type"] == "Product"
    assert product["sku"] == "1994249"
    assert product["url"] == SITE + path
    assert product["brand"] == {
        "@type": "Organization", "name": "Research Partners", "url": "https://partners.example"
    }
    assert product["description"] == listing.safe_translation_getter(
        "meta_description", language_code=language
    )
    with translation.override(language):
        names = {value: str(label) for value, label in LicenseType.choices}
        assert product["category"] == str(listing.categories.get())
    offers = {
        (offer["name"], offer["price"], offer["priceCurrency"]) for offer in product["offers"]
    }
    assert offers == {
        (names[LicenseType.SINGLE_USER], "3939.00", "EUR"),
        (names[LicenseType.MULTI_USER], "4249.50", "EUR"),
        (names[LicenseType.ENTERPRISE], "5759.00", "EUR"),
    }
    for offer in product["offers"]:
        assert offer["@type"] == "Offer"
        assert offer["availability"] == "https://schema.org/InStock"
        assert offer["url"] == SITE + path
        assert offer["seller"]["name"] == "Meridian Research Store"


def test_text_in_structured_data_cannot_close_its_script(client):
    title = 'Widgets </script><script>alert("x")</script> & Co Market'
    pasted = 'Pasted <b>markup</b> and "quotes" </script><img src=x onerror=alert(1)>'
    report = make_report(product_code="XSS-2", title_en=title, meta_description_en=pasted)

    response = client.get(detail_path(report))

    page = response.content.decode()
    script = page.split('<script type="application/ld+json">', 1)[1].split("</script>", 1)[0]
    assert "<" not in script and ">" not in script and "&" not in script
    product = json.loads(script)
    assert product["name"] == title
    # A meta description is text: pasted tags go, in the JSON-LD and the meta tags alike.
    assert product["description"] == 'Pasted markup and "quotes"'
    head = head_of(response)
    assert head.json_ld == [script]
    assert head.one("description") == head.one("og:description") == product["description"]
    assert "<script>alert" not in page and "<img src=x" not in page


@pytest.mark.parametrize(
    "params, canonical",
    [
        ({"utm_source": "mail", "ref": "abc"}, "/en/reports/"),
        ({"page": "1", "sort": "newest"}, "/en/reports/"),
        (
            {"ref": "x", "page": "2", "sort": "price_asc", "category": "healthcare",
             "q": "market"},
            "/en/reports/?q=market&category=healthcare&sort=price_asc&page=2",
        ),
    ],
)
def test_list_canonical_keeps_only_what_changes_the_results(client, settings, params, canonical):
    settings.REPORTS_PER_PAGE = 1
    healthcare = make_category(slug="healthcare")
    for number in range(3):
        make_report(product_code=f"L-{number}", categories=[healthcare])

    head = head_of(client.get("/en/reports/", params))

    assert head.canonical == [SITE + canonical]
    assert head.alternates["zh-hans"] == SITE + canonical.replace("/en/", "/zh-hans/")
    assert head.alternates["x-default"] == SITE + canonical


@pytest.mark.parametrize("name", ["home", "list", "detail"])
def test_a_cache_hit_costs_no_query_and_keeps_the_head(client, listing, name):
    path = page_path(name, listing, "zh-hans")
    _cold, first = count_queries(client, path)

    warm, second = count_queries(Client(), path)

    assert warm == 0
    assert head_of(second) == head_of(first)
    assert head_of(second).canonical == [SITE + path]


def test_a_buyer_with_a_cart_gets_the_head_from_cached_content(client, listing):
    Client().get(detail_path(listing))  # warms the shared content
    client.post("/en/cart/add/", {"license_option": listing.license_options.first().pk})

    with CaptureQueriesContext(connection) as queries:
        head = head_of(client.get(detail_path(listing)))

    assert not any("reports_report" in query["sql"] for query in queries.captured_queries)
    assert head.canonical == [SITE + detail_path(listing)]
    assert product_of(client.get(detail_path(listing)))["sku"] == "1994249"


# --- Pages outside the catalogue ----------------------------------------------------


def test_shop_pages_link_their_languages_from_the_public_address(client):
    head = head_of(client.get("/zh-hans/contact/", {"kind": "question"}))
    assert head.alternates == expected_alternates("/en/contact/")
    assert "robots" not in head.meta


@pytest.mark.parametrize("path", ["/en/cart/", "/zh-hans/checkout/"])
def test_cart_and_checkout_are_not_indexed(client, listing, path):
    client.post("/en/cart/add/", {"license_option": listing.license_options.first().pk})
    response = client.get(path)
    assert head_of(response).one("robots") == "noindex"
