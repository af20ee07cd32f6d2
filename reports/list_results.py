"""The results part of the catalogue list and search pages, formatted in Python.

The count line, the cards, the note on a capped search and the pagination are what
templates/reports/list_results.html (with includes/pagination.html) renders for a
page with results, written here with the same text, translations and escaping:
rendering them through the template engine cost a list page more than reading its
cards. A page without results (did you mean, industries to browse, an analyst to
ask) is rendered through the template; tests/reports/test_list_pages.py compares the
two for pages with results.

Every value that reaches the HTML goes through escape(); translated text is used as
the templates use it (translations are the shop's own text, never escaped there).
"""

from urllib.parse import quote

from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext


def html(*, page, query, shown_q: str, selected_category, selected_publisher, cards_html: str,
         querystring: str) -> SafeString:
    """The results of a page that shows cards (cards_html: their joined HTML); shown_q is
    the search text as the page shows it (reports.views: traditional on zh-hant)."""
    paginator = page.paginator
    count = paginator.count
    capped = paginator.capped
    total = escape(intcomma(count))
    if capped:
        counted = gettext("%(total)s+ reports for “%(q)s”") % {
            "total": total, "q": escape(shown_q)
        }
    elif query.q:
        counted = ngettext(
            "%(total)s report for “%(q)s”", "%(total)s reports for “%(q)s”", count
        ) % {"total": total, "q": escape(shown_q), "counter": count}
    else:
        counted = ngettext("%(total)s report", "%(total)s reports", count) % {
            "total": total, "counter": count
        }
    publisher = ""
    if selected_publisher:
        category = (
            f"category={escape(selected_category.slug)}&amp;" if selected_category else ""
        )
        publisher = (
            f"· {escape(selected_publisher.name)} "
            f'<a href="?{category}q={escape(quote(shown_q, safe="/"))}">'
            f"{gettext('(remove)')}</a>"
        )
    has_next = page.has_next()
    cap_note = ""
    if capped and not has_next:
        cap_note = '<p class="result-cap">' + gettext(
            "Only the first %(shown)s matches are shown. Add a word or choose an industry "
            "to narrow the search."
        ) % {"shown": total} + "</p>"
    return mark_safe(
        '    <p class="result-count" role="status">\n'
        f"      {counted}\n"
        f"      {publisher}\n"
        "    </p>\n\n"
        '    <div class="report-list">\n'
        f"      {cards_html}\n"
        "    </div>\n"
        f"    {cap_note}\n"
        f"    \n{_pagination(page, has_next, capped, querystring)}\n\n"
    )


def _pagination(page, has_next: bool, capped: bool, querystring: str) -> str:
    """As templates/includes/pagination.html."""
    has_previous = page.has_previous()
    if not (has_previous or has_next):
        return ""
    prefix = f"?{escape(querystring)}&amp;" if querystring else "?"
    previous = next_link = ""
    if has_previous:
        previous = (
            f'<a rel="prev" href="{prefix}page={page.number - 1}">{gettext("Previous")}</a>'
        )
    if has_next:
        next_link = f'<a rel="next" href="{prefix}page={page.number + 1}">{gettext("Next")}</a>'
    pages = {"number": page.number, "total": page.paginator.num_pages}
    if capped:
        status = gettext("Page %(number)s of %(total)s+") % pages
    else:
        status = gettext("Page %(number)s of %(total)s") % pages
    return (
        f'\n<nav class="pagination" aria-label="{gettext("Pages")}">\n'
        f"  {previous}\n"
        f'  <span class="page-status">{status}</span>\n'
        f"  {next_link}\n"
        "</nav>\n"
    )
