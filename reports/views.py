from django.conf import settings
from django.core.paginator import InvalidPage, Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from reports import selectors
from reports.forms import CatalogueFilterForm
from reports.links import contact_link
from reports.outline import outline_tree


def report_list(request):
    """The catalogue: search, filter by category or publisher, sort, paginate."""
    categories = selectors.category_tree()
    publishers = selectors.publishers()
    form = CatalogueFilterForm(request.GET or None)
    status = 200
    query = selectors.CatalogueQuery()
    selected_category = selected_publisher = None
    if form.is_bound and not form.is_valid():
        status = 400
    elif form.is_bound:
        data = form.cleaned_data
        if data["category"]:
            selected_category = _find_category(categories, data["category"])
        if data["publisher"]:
            selected_publisher = next(
                (p for p in publishers if p.slug == data["publisher"]), None
            )
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
    return render(request, "reports/report_list.html", context, status=status)


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
    report = selectors.visible_report(product_code)
    if report is None:
        raise Http404(_("There is no published report with this product code."))
    if slug != report.slug:
        return redirect(report, permanent=True)
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
        "question_url": contact_link(
            _("Question about report %(code)s") % {"code": report.product_code}
        ),
        "sample_url": contact_link(
            _("Sample request for report %(code)s") % {"code": report.product_code}
        ),
    }
    return render(request, "reports/report_detail.html", context)
