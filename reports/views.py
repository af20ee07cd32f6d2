from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import InvalidPage, Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import strip_tags
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from reports import page_cache, selectors
from reports.forms import CatalogueFilterForm
from reports.outline import outline_tree

LIST_PARAMETERS = ("q", "category", "publisher", "sort", "page")


def report_list(request):
    """The catalogue: search, filter by category or publisher, sort, paginate."""
    cached = page_cache.cached_page(request, allowed_parameters=LIST_PARAMETERS)
    if cached is not None:
        return cached
    form = CatalogueFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return page_cache.render_page(request, _list_content(request, form), status=400)
    # Only the parameters the page uses make the key: junk parameters share an entry.
    key_parts = [f"{name}={request.GET.get(name, '')}" for name in LIST_PARAMETERS]
    content = page_cache.cached_content(
        page_cache.content_key("list", *key_parts),
        lambda: _list_content(request, form),
        seconds_until_change=selectors.seconds_until_next_publication,
    )
    return page_cache.render_page(request, content, allowed_parameters=LIST_PARAMETERS)


def _list_content(request, form) -> page_cache.CatalogueContent:
    categories = selectors.category_tree()
    publishers = selectors.publishers()
    query = selectors.CatalogueQuery()
    selected_category = selected_publisher = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data["category"]:
            selected_category = _find_category(categories, data["category"])
        if data["publisher"]:
            selected_publisher = next((p for p in publishers if p.slug == data["publisher"]), None)
            if selected_publisher is None:
                raise Http404(_("There is no such publisher."))
        query = selectors.CatalogueQuery(
            q=data["q"],
            category_ids=_category_ids(selected_category),
            publisher_id=selected_publisher.pk if selected_publisher else None,
            sort=data["sort"],
        )

    paginator = Paginator(selectors.search_reports(query), settings.REPORTS_PER_PAGE)
    try:
        page = paginator.page(request.GET.get("page") or 1)
    except InvalidPage:
        raise Http404(_("There is no such page of results."))

    querystring = request.GET.copy()
    querystring.pop("page", None)
    if query.q:
        title = _("Search: %(q)s") % {"q": query.q}
    elif selected_category:
        title = str(selected_category)
    else:
        title = _("All reports")
    context = {
        "form": form,
        "query": query,
        "page": page,
        "reports": page.object_list,
        "categories": categories,
        "publishers": publishers,
        "selected_category": selected_category,
        "selected_publisher": selected_publisher,
        "querystring": querystring.urlencode(),
        "sort_choices": CatalogueFilterForm.SORT_CHOICES,
    }
    return page_cache.CatalogueContent(
        title=title,
        meta_description=_(
            "Market research reports with bilingual summaries, key statistics and instant "
            "licensed delivery."
        ),
        html=page_cache.render_content(request, "reports/report_list.html", context),
    )


def _find_category(categories, slug):
    for category in categories:
        if category.slug == slug:
            return category
        for child in category.children.all():
            if child.slug == slug:
                return child
    raise Http404(_("There is no such category."))


def _category_ids(category) -> tuple[int, ...]:
    if category is None:
        return ()
    return (category.pk, *(child.pk for child in category.children.all()))


def report_detail(request, product_code, slug):
    """A report's page; an outdated slug redirects permanently to the canonical URL."""
    cached = page_cache.cached_page(request)
    if cached is not None:
        return cached
    content = page_cache.cached_content(
        page_cache.content_key("detail", product_code),
        lambda: _detail_content(request, product_code),
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


def _contact_url(product_code: str, kind: str) -> str:
    return f"{reverse('inquiries:contact')}?{urlencode({'report': product_code, 'kind': kind})}"


def _detail_content(request, product_code) -> page_cache.CatalogueContent:
    report = selectors.visible_report(product_code)
    if report is None:
        raise Http404(_("There is no published report with this product code."))
    toc_entries = list(report.toc_entries.all())
    context = {
        "report": report,
        "key_statistics": list(report.key_statistics.all()),
        "license_options": list(report.license_options.all()),
        "toc_open": toc_entries[: selectors.TOC_PREVIEW_ENTRIES],
        "toc_more": toc_entries[selectors.TOC_PREVIEW_ENTRIES :],
        "segments": outline_tree(report.segments.all()),
        "categories": list(report.categories.all()),
        "related_reports": selectors.related_reports(report),
        "shown_language": report.shown_language,
        # The contact form with the report and the kind preset; the same for every
        # visitor, so the page can stay cached.
        "question_url": _contact_url(report.product_code, "question"),
        "sample_url": _contact_url(report.product_code, "sample"),
    }
    description = report.meta_description or Truncator(strip_tags(report.summary)).chars(300)
    return page_cache.CatalogueContent(
        title=report.title,
        meta_description=description or report.title,
        html=page_cache.render_content(request, "reports/report_detail.html", context),
        facts={"slug": report.slug},
    )
