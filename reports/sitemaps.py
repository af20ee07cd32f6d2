"""The sitemap of the public catalogue: every page in every language, with hreflang.

Django's sitemaps framework builds the entries (``i18n``, ``alternates``); around
it this module adds what the shop needs:

- addresses from settings.SITE_URL, as in mail: the Sites framework is not
  installed and the request's Host header is not to be trusted;
- x-default pointing at the English page, as the pages' own heads do;
- reports counted and sliced in SQL, so a file costs the same few queries and
  reads only its own rows however large the catalogue (the framework would list
  every report in every language for every file: 2.8 s at 100,000 reports);
- one file while every address fits in it, beyond that a sitemap index of
  section files (``/sitemap-reports.xml?p=2``);
- XML written directly: the framework's template and a reverse() per address
  took 14 s for a file of 50,000 addresses (see URLS_PER_FILE).
"""

from dataclasses import dataclass
from functools import cached_property
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import SitemapIndexItem
from django.core.paginator import InvalidPage, Paginator
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils import translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from reports import selectors

# The protocol allows 50,000 addresses and 50 MB a file. With four addresses per
# entry (the page and its hreflang links) 50,000 entries made 40 MB; 10,000 keep a
# file near 8 MB and its build around a second, so a crawler's fetch after an edit
# never holds a worker for long. 100,000 reports in two languages: 20 files.
URLS_PER_FILE = 10_000


def sitemap_languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


@dataclass(frozen=True)
class SiteAddress:
    """The shop's public address, in the shape Sitemap.get_urls() takes as its site."""

    protocol: str
    domain: str

    @classmethod
    def from_settings(cls) -> "SiteAddress":
        parts = urlsplit(settings.SITE_URL)
        # A path in SITE_URL (a shop under /shop) goes with the domain into every address.
        return cls(protocol=parts.scheme or "https", domain=parts.netloc + parts.path.rstrip("/"))


class CatalogueSitemap(Sitemap):
    """Every item in every language, each entry listing all of them and x-default.

    x-default is added here rather than by the framework's ``x_default``, which
    names the unprefixed address: that only redirects by Accept-Language, and the
    pages' heads name the English page.
    """

    i18n = True
    alternates = True
    limit = URLS_PER_FILE

    def get_urls(self, page=1, site=None, protocol=None):
        urls = super().get_urls(page=page, site=site, protocol=protocol)
        for url in urls:
            default = next(
                alternate["location"]
                for alternate in url["alternates"]
                if alternate["lang_code"] == settings.LANGUAGE_CODE
            )
            url["alternates"].append({"location": default, "lang_code": "x-default"})
        return urls


class PageSitemap(CatalogueSitemap):
    """The home page and the catalogue list; they change with the catalogue."""

    def items(self):
        return ["home", "reports:list"]

    def location(self, item):
        return reverse(item)

    def lastmod(self, item):
        return self.latest_update

    def get_latest_lastmod(self):
        return self.latest_update

    @cached_property
    def latest_update(self):
        return selectors.latest_catalogue_update()


class ReportSitemap(CatalogueSitemap):
    """Every published report (due scheduled ones included) in every language."""

    def items(self):
        return selectors.sitemap_reports()

    def location(self, report):
        # The detail address is the list's plus code and slug (reports/urls.py):
        # one reverse() per language instead of three per entry, which dominated.
        return f"{self._list_paths[get_language()]}{report.product_code}/{report.slug}/"

    def lastmod(self, report):
        return report.updated_at

    def get_latest_lastmod(self):
        return selectors.latest_catalogue_update()

    @cached_property
    def paginator(self):
        return Paginator(InEveryLanguage(self.items(), sitemap_languages()), self.limit)

    @cached_property
    def _list_paths(self) -> dict[str, str]:
        paths = {}
        for language in sitemap_languages():
            with translation.override(language):
                paths[language] = reverse("reports:list")
        return paths


class InEveryLanguage:
    """(item, language) pairs of a queryset, counted and sliced in SQL.

    What Sitemap._items() builds as a list for i18n, without loading every row.
    """

    def __init__(self, queryset, languages: list[str]):
        self.queryset = queryset
        self.languages = languages

    @cached_property
    def _item_count(self) -> int:
        return self.queryset.count()

    def count(self) -> int:
        return self._item_count * len(self.languages)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, bounds: slice) -> list[tuple]:
        per_item = len(self.languages)
        start, stop = bounds.start or 0, bounds.stop
        first_item, end_item = start // per_item, -(-stop // per_item)  # round up
        pairs = [
            (item, language)
            for item in self.queryset[first_item:end_item]
            for language in self.languages
        ]
        skipped = first_item * per_item
        return pairs[start - skipped : stop - skipped]


SECTIONS = {"pages": PageSitemap, "reports": ReportSitemap}
QUOTE = {'"': "&quot;"}


def sitemap_xml() -> str:
    """/sitemap.xml: every address while they fit in one file, else an index of files."""
    sections = {name: sitemap_class() for name, sitemap_class in SECTIONS.items()}
    total = sum(section.paginator.count for section in sections.values())
    if total <= CatalogueSitemap.limit:
        return _urlset_xml(sections.values(), page=1)
    return _index_xml(sections)


def section_xml(name: str, page: int) -> str:
    """One file of a section (/sitemap-<name>.xml?p=<page>); 404 beyond its last."""
    if name not in SECTIONS:
        raise Http404(_("There is no such sitemap."))
    try:
        return _urlset_xml([SECTIONS[name]()], page=page)
    except InvalidPage:
        raise Http404(_("There is no such sitemap page."))


def _urlset_xml(sections, *, page: int) -> str:
    """A <urlset> with the framework's entries, as its sitemap.xml template writes it."""
    site = SiteAddress.from_settings()
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:xhtml="http://www.w3.org/1999/xhtml">',
    ]
    for section in sections:
        for url in section.get_urls(page=page, site=site, protocol=site.protocol):
            lines.append(_url_element(url))
    lines.append("</urlset>\n")
    return "\n".join(lines)


def _url_element(url: dict) -> str:
    parts = [f"<url><loc>{escape(url['location'])}</loc>"]
    if url["lastmod"]:
        parts.append(f"<lastmod>{timezone.localtime(url['lastmod']).date().isoformat()}</lastmod>")
    for alternate in url["alternates"]:
        parts.append(
            f'<xhtml:link rel="alternate" hreflang="{escape(alternate["lang_code"])}" '
            f'href="{escape(alternate["location"], QUOTE)}"/>'
        )
    parts.append("</url>")
    return "".join(parts)


def _index_xml(sections: dict) -> str:
    site = SiteAddress.from_settings()
    files = []
    for name, section in sections.items():
        path = reverse("sitemap_section", kwargs={"section": name})
        location = f"{site.protocol}://{site.domain}{path}"
        lastmod = section.get_latest_lastmod()
        files.append(SitemapIndexItem(location, lastmod))
        for page in range(2, section.paginator.num_pages + 1):
            files.append(SitemapIndexItem(f"{location}?p={page}", lastmod))
    return render_to_string("sitemap_index.xml", {"sitemaps": files})
