from dataclasses import replace
from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.contrib.sitemaps.views import x_robots_tag
from django.core.paginator import InvalidPage, Paginator
from django.core.signals import setting_changed
from django.http import FileResponse, Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.functional import cached_property
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from reports import (
    cards,
    catalogue_memo,
    list_results,
    page_cache,
    page_shell,
    product_page,
    search,
    selectors,
    seo,
    sitemaps,
)
from reports.forms import CatalogueFilterForm, accepted_filters
from reports.search_index import search_text_in_script
from reports.services import normalise_search_text
from reports.storage import private_storage


def report_list(request):
    """The catalogue: search, filter by category or publisher, sort, paginate."""
    # A page kept whole is looked up before a form is built, under the address as it is
    # spelled: a page is kept under its canonical query, so an address spelled that way
    # (every link the shop writes) finds it at once; any other spelling is looked up
    # again below, once its canonical form is known.
    spelled = _percent_encoded(request.META.get("QUERY_STRING", ""))
    cached = page_cache.cached_page(request, query=spelled)
    if cached is not None:
        return cached
    # The form is built only for a query string it might refuse (it then says why).
    form = accepted_filters(request.GET) or CatalogueFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return page_cache.render_page(request, _list_content(request, form), status=400)
    if form.is_bound:
        # A product code as the search goes straight to its report.
        report_url = search.report_url_for_code(normalise_search_text(form.cleaned_data["q"]))
        if report_url is not None:
            return redirect(report_url)
    # Pages are kept under the canonical query, whatever the spelling of the address.
    query = _canonical_list_query(form, request.GET.get("page"))
    if query is None:  # a page number that is not a plain number: built, never stored
        return page_cache.render_page(request, _list_content(request, form))
    if query != spelled:
        cached = page_cache.cached_page(request, query=query)
        if cached is not None:
            return cached
    content = page_cache.cached_content(
        page_cache.content_key("list", query),
        lambda: _list_content(request, form, query),
        seconds_until_change=selectors.seconds_until_next_publication,
        request=request,
        query=query,
    )
    return page_cache.render_page(request, content, query=query)


def _percent_encoded(query_string: str) -> str:
    """The query string with the bytes past ASCII percent-encoded as the canonical query
    writes them (upper case), so a client sending 医学 as raw UTF-8 finds its page with
    the first lookup. (WSGI gives the raw bytes as Latin-1 characters.)"""
    if query_string.isascii():
        return query_string
    return "".join(c if c < "\x80" else f"%{ord(c):02X}" for c in query_string)


def _canonical_list_query(form, page: str | None) -> str | None:
    """The list's query string with only what changes the results, in canonical form.

    The search text as the search reads it (reports.services.normalise_search_text:
    full-width forms, case and runs of spaces make no difference), in the page's script
    (traditional on zh-hant pages, as its visitors type it), defaults left out
    (no search, newest first, page 1), a fixed order; None for a page number that
    is not a plain positive number.
    """
    data = form.cleaned_data if form.is_bound else {}
    page = (page or "1").strip()
    if not (page.isascii() and page.isdigit() and int(page) >= 1):
        return None
    sort = data.get("sort") or selectors.DEFAULT_SORT
    parameters = [
        ("q", search_text_in_script(normalise_search_text(data.get("q", "")), get_language())),
        ("category", data.get("category", "")),
        ("publisher", data.get("publisher", "")),
        ("sort", sort if sort != selectors.DEFAULT_SORT else ""),
        ("page", str(int(page)) if int(page) > 1 else ""),
    ]
    return urlencode([(name, value) for name, value in parameters if value])


def _list_content(request, form, canonical_query: str | None = None):
    """The list's content, built from the canonical query when there is one, so a
    cached page shows nothing of the spelling of the request that built it."""
    categories = selectors.category_tree()
    publishers = selectors.publishers()
    query = selectors.CatalogueQuery()
    selected_category = selected_publisher = None
    parameters = request.GET if canonical_query is None else QueryDict(canonical_query)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data["category"]:
            selected_category = _find_category(categories, data["category"])
        if data["publisher"]:
            selected_publisher = next((p for p in publishers if p.slug == data["publisher"]), None)
            if selected_publisher is None:
                raise Http404(_("There is no such publisher."))
        query = selectors.CatalogueQuery(
            q=normalise_search_text(data["q"]),
            category_ids=_category_ids(selected_category),
            publisher_id=selected_publisher.pk if selected_publisher else None,
            sort=data["sort"],
        )

    if query.q:
        # Counted up to a cap, so a common word costs no more than a rare one.
        paginator = SearchPages(query, settings.REPORTS_PER_PAGE)
    else:
        paginator = CountedPaginator(
            cards.CardRows(query),
            settings.REPORTS_PER_PAGE,
            count_key=(query.q, query.category_ids, query.publisher_id),
        )
    try:
        page = paginator.page(parameters.get("page") or 1)
    except InvalidPage:
        raise Http404(_("There is no such page of results."))

    querystring = parameters.copy()
    querystring.pop("page", None)
    # The search text as the page shows and links it: spelled as its visitors type it
    # (醫學 on a traditional page), as the page's address is.
    shown_q = search_text_in_script(query.q, get_language())
    if query.q:
        title = _("Search: %(q)s") % {"q": shown_q}
    elif selected_category:
        title = str(selected_category)
    else:
        title = _("All reports")
    filters = {
        "query": query,
        "shown_q": shown_q,
        "categories": categories,
        "publishers": publishers,
        "selected_category": selected_category,
        "selected_publisher": selected_publisher,
    }
    shown, shown_html = cards.shown(page.object_list)
    context = {
        **filters,
        "form": form,
        "page": page,
        "reports": shown,
        "cards": shown_html,
        # Joined here: a template loop over 24 cards cost more than the rest of the list.
        "cards_html": mark_safe("".join(f"{card}\n      " for card in shown_html)),
        "querystring": querystring.urlencode(),
    }
    if shown_html:
        # Formatted in Python (reports/list_results.py): the template cost more than the
        # cards; a page without results (did you mean) goes through the template.
        context["results_html"] = list_results.html(
            page=page,
            query=query,
            shown_q=shown_q,
            selected_category=selected_category,
            selected_publisher=selected_publisher,
            cards_html=context["cards_html"],
            querystring=context["querystring"],
        )
    elif query.q and not paginator.count:
        context.update(
            _no_results_context(query, shown_q, selected_category, selected_publisher)
        )
    description = _(
        "Market research reports with bilingual summaries, key statistics and instant "
        "licensed delivery."
    )
    # In the folded form: the address every language's page of this search shares
    # (the alternates name each language's page by it).
    canonical_path = _list_canonical_path(
        query, selected_category, selected_publisher, page.number
    )
    return page_cache.CatalogueContent(
        title=title,
        meta_description=description,
        html=_list_html(context, filters),
        head=seo.page_head(path=canonical_path, title=title, description=description),
    )


def _list_html(context: dict, filters: dict) -> SafeString:
    """The list's HTML: its frame (breadcrumbs, heading, search form) kept per catalogue
    version, filter and sort, with the sidebar, the search text and the results put in.

    A form with errors shows them and the text as typed: rendered whole, never kept.
    """
    form, query = context["form"], filters["query"]
    results = context.get("results_html")
    if results is None:  # no results: did you mean, industries, an analyst to ask
        results = mark_safe(render_to_string("reports/list_results.html", context))
    frame_context = {**filters, "sort_choices": CatalogueFilterForm.SORT_CHOICES}
    if form.errors:
        return mark_safe(render_to_string("reports/report_list.html", {
            **frame_context,
            "form": form,
            "filters_html": _filters_html(filters),
            "search_value": form["q"].value() or "",
            "results": results,
        }))
    category, publisher = filters["selected_category"], filters["selected_publisher"]
    key = (
        "list-frame",
        category.slug if category else "",
        publisher.slug if publisher else "",
        query.sort,
    )
    parts = catalogue_memo.memoised(key, lambda: page_shell.split_at_slots(render_to_string(
        "reports/report_list.html",
        {
            **frame_context,
            # The frame of every request without errors: a form showing none. (A valid
            # query string is judged without building the form: forms.accepted_filters.)
            "form": CatalogueFilterForm(),
            "filters_html": page_shell.slot("filters"),
            "search_value": page_shell.slot("q"),
            "results": page_shell.slot("results"),
        },
    )))
    return mark_safe(page_shell.join_slots(parts, {
        "filters": _filters_html(filters),
        "q": escape(filters["shown_q"]),
        "results": results,
    }))


def _no_results_context(query, shown_q: str, category, publisher) -> dict:
    """What a search that found nothing offers instead: a corrected spelling, the same
    search without filters, and an analyst to ask (the contact form, query preset)."""
    filters = [
        ("category", category.slug if category else ""),
        ("publisher", publisher.slug if publisher else ""),
    ]
    suggestion = search.did_you_mean(query.q)
    list_path = _list_path()
    context = {
        "suggestion": suggestion,
        "ask_analyst_url": (
            f"{reverse('inquiries:contact')}?{urlencode({'kind': 'question', 'search': shown_q})}"
        ),
    }
    if suggestion:
        parameters = [("q", suggestion), *((name, value) for name, value in filters if value)]
        context["suggestion_url"] = f"{list_path}?{urlencode(parameters)}"
    if category or publisher:
        context["without_filters_url"] = f"{list_path}?{urlencode({'q': shown_q})}"
    return context
class CountedPaginator(Paginator):
    """A paginator whose count (a COUNT(*) over the matches) is kept per catalogue version."""

    # Every match is counted (search.SearchPaginator caps its count). Said here, as the
    # templates ask: a missing attribute costs them a dir() of the paginator each time.
    capped = False

    def __init__(self, object_list, per_page, *, count_key: tuple):
        super().__init__(object_list, per_page)
        self._count_key = count_key

    @cached_property
    def count(self) -> int:
        return catalogue_memo.memoised(
            ("count", *self._count_key), lambda: self.object_list.count()
        )


class SearchPages(search.SearchPaginator):
    """search.SearchPaginator with its pages read through cards.CardRows: the same
    queries, built and compiled only on the first request of a catalogue version
    (tests/reports/test_list_pages.py compares the two)."""

    def _rows(self, *, in_display_order: bool = False):
        return cards.CardRows(self.query, in_display_order=in_display_order)


# Where the search text goes in the sidebar's links (kept once for every search).
_SEARCH_TEXT_SLOT = "searchtextslot7d1c4f"


def _filters_html(filters: dict) -> SafeString:
    """The sidebar (industries, publishers), kept per catalogue version and selection.

    Its links carry the search text: the sidebar is rendered once with a slot there
    and the search's own text (URL-encoded, as the template's urlencode filter writes
    it) is put in per request, so a new search costs no sidebar rendering.
    """
    category, publisher = filters["selected_category"], filters["selected_publisher"]
    q = filters["shown_q"]
    key = (
        "filters",
        bool(q),
        category.slug if category else "",
        publisher.slug if publisher else "",
    )

    def build():
        shown = filters
        if q:
            shown = {**filters, "query": replace(filters["query"], q=_SEARCH_TEXT_SLOT),
                     "shown_q": _SEARCH_TEXT_SLOT}
        return render_to_string("reports/catalogue_filters.html", shown)

    html = catalogue_memo.memoised(key, build)
    if q:
        html = html.replace(_SEARCH_TEXT_SLOT, quote(q, safe="/"))
    return mark_safe(html)


def _list_canonical_path(query, category, publisher, page_number: int) -> str:
    """The list's address with only what changes the results, in a fixed order.

    Junk parameters (utm_*, ref) go, and so do defaults (page 1, newest first),
    so every spelling of the same results names one address.
    """
    parameters = [
        ("q", query.q),
        ("category", category.slug if category else ""),
        ("publisher", publisher.slug if publisher else ""),
        ("sort", query.sort if query.sort != selectors.DEFAULT_SORT else ""),
        ("page", str(page_number) if page_number > 1 else ""),
    ]
    querystring = urlencode([(name, value) for name, value in parameters if value])
    path = _list_path()
    return f"{path}?{querystring}" if querystring else path


# reverse("reports:list") per language, script prefix and URLconf: a reverse() cost
# a list page a twentieth of its time. Emptied when a setting changes (tests).
_list_paths: dict[tuple, str] = {}


def _list_path() -> str:
    key = (get_language(), get_script_prefix(), get_urlconf())
    path = _list_paths.get(key)
    if path is None:
        path = reverse("reports:list")
        if len(_list_paths) > 64:
            _list_paths.clear()
        _list_paths[key] = path
    return path


def _forget_list_paths(**kwargs):
    _list_paths.clear()


setting_changed.connect(_forget_list_paths, dispatch_uid="reports-list-paths")


def _find_category(categories, slug):
    for category in categories:
        if category.slug == slug:
            return category
        for child in category.children:
            if child.slug == slug:
                return child
    raise Http404(_("There is no such category."))


def _category_ids(category) -> tuple[int, ...]:
    if category is None:
        return ()
    return (category.pk, *(child.pk for child in category.children))


def report_detail(request, product_code, slug):
    """A report's page; an outdated slug redirects permanently to the canonical URL."""
    cached = page_cache.cached_page(request)
    if cached is not None:
        return cached
    content = page_cache.cached_content(
        page_cache.content_key("detail", product_code),
        lambda: product_page.stored_content(product_code),
        seconds_until_change=selectors.seconds_until_next_publication,
    )
    canonical_slug = content.facts["slug"]
    if slug != canonical_slug:
        return redirect(
            reverse(
                "reports:detail", kwargs={"product_code": product_code, "slug": canonical_slug}
            ),
            permanent=True,
        )
    return page_cache.render_page(request, content)


def report_by_code(request, product_code):
    """Redirects permanently to the report's canonical address; 404 unless published."""
    return report_detail(request, product_code, slug="")


# --- Look inside -----------------------------------------------------------------

SAMPLE_PAGE_MAX_AGE = 365 * 24 * 3600


@require_GET
def sample_page_image(request, product_code, number, digest):
    """A published report's stamped sample page, streamed from the private storage.

    The address carries the image's digest, so the answer never changes: browsers and
    proxies keep it a year. A stale digest (the sample was replaced) is a 404, as is a
    report nobody may see yet. One query.
    """
    page = selectors.visible_sample_page(product_code, number, digest)
    if page is None:
        raise Http404(_("There is no such sample page."))
    try:
        image = private_storage().open(page.image, "rb")
    except FileNotFoundError:  # removed since the row was read (a newer sample)
        raise Http404(_("There is no such sample page.")) from None
    response = FileResponse(image, content_type="image/webp")
    response["Cache-Control"] = f"public, max-age={SAMPLE_PAGE_MAX_AGE}, immutable"
    response["X-Robots-Tag"] = "noindex"
    return response


# --- Editors' preview -----------------------------------------------------------


@never_cache
@require_GET
def report_preview(request, product_code):
    """A report's page in any status, for staff who may view reports; never cached.

    Anonymous visitors go to the admin login; anyone else without the permission
    gets the same 404 as for a missing report, so drafts stay unknown.
    """
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))
    if not (request.user.is_staff and request.user.has_perm("reports.view_report")):
        raise Http404(_("There is no published report with this product code."))
    report = selectors.report_for_preview(product_code)
    if report is None:
        raise Http404(_("There is no published report with this product code."))
    # Built from the report as it is now, never stored: a draft changes without a revision.
    content = product_page.content(product_page.prepare(report), report_id=report.pk)
    context = {
        **page_cache.page_context(request, content),
        "report": report,
        "visible_to_buyers": report.is_visible(),
        "public_url": report.get_absolute_url(),
        "admin_url": reverse("admin:reports_report_change", args=[report.pk]),
    }
    response = render(request, "reports/report_preview.html", context)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


# --- Sitemaps -----------------------------------------------------------------

SITEMAP_CONTENT_TYPE = "application/xml"


@x_robots_tag
@require_GET
def sitemap(request):
    """/sitemap.xml: the whole catalogue, or an index of its files when it is large."""
    xml = page_cache.cached_document(
        "catalogue:sitemap",
        sitemaps.sitemap_xml,
        seconds_until_change=selectors.seconds_until_next_publication,
    )
    return HttpResponse(xml, content_type=SITEMAP_CONTENT_TYPE)


@x_robots_tag
@require_GET
def sitemap_section(request, section):
    """/sitemap-<section>.xml?p=<page>: one file of the index."""
    page = request.GET.get("p", "1")
    if not (page.isascii() and page.isdigit()) or section not in sitemaps.SECTIONS:
        raise Http404(_("There is no such sitemap page."))
    xml = page_cache.cached_document(
        f"catalogue:sitemap:{section}:{int(page)}",
        lambda: sitemaps.section_xml(section, int(page)),
        seconds_until_change=selectors.seconds_until_next_publication,
    )
    return HttpResponse(xml, content_type=SITEMAP_CONTENT_TYPE)
