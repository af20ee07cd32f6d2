"""The results part of a catalogue list page (count, cards, cap note, pagination) as HTML.

Formatted here rather than by templates/reports/list_results.html for a page with
cards, the page every list and search request builds: through the template engine
it cost a fifth of a page built on a cache miss. The template stays for the page
without results (did-you-mean, industries, ask an analyst), and
tests/reports/test_list_pages.py checks that both give the same HTML.
"""

from urllib.parse import quote

from django.contrib.humanize.templatetags.humanize import intcomma
from django.template.loader import render_to_string
from django.utils.formats import localize
from django.utils.html import escape
from django.utils.translation import gettext, ngettext


def results_html(context: dict) -> str:
    """The results for the list's context (reports.views._list_content)."""
    if not context["cards"]:
        return render_to_string("reports/list_results.html", context)
    page, query = context["page"], context["query"]
    paginator = page.paginator
    count, capped = paginator.count, paginator.capped
    values = {"total": escape(intcomma(count)), "q": escape(query.q)}
    if capped:
        text = gettext("%(total)s+ reports for “%(q)s”") % values
    elif query.q:
        text = ngettext(
            "%(total)s report for “%(q)s”", "%(total)s reports for “%(q)s”", count
        ) % values
    else:
        text = ngettext("%(total)s report", "%(total)s reports", count) % values
    publisher = ""
    if context["selected_publisher"]:
        category = context["selected_category"]
        in_category = f"category={escape(category.slug)}&amp;" if category else ""
        publisher = (
            f'· {escape(context["selected_publisher"].name)} <a href="?{in_category}'
            f'q={escape(quote(query.q, safe="/"))}">{escape(gettext("(remove)"))}</a>'
        )
    cap_note = ""
    if capped and not page.has_next():
        cap_note = '<p class="result-cap">%s</p>' % (
            gettext(
                "Only the first %(shown)s matches are shown. Add a word or choose an "
                "industry to narrow the search."
            ) % {"shown": escape(intcomma(count))}
        )
    return (
        f'    <p class="result-count" role="status">\n      {text}\n      {publisher}\n'
        f"    </p>\n\n"
        f'    <div class="report-list">\n      {context["cards_html"]}\n    </div>\n'
        f"    {cap_note}\n    {_pagination(page, capped, context['querystring'])}"
    )


def _pagination(page, capped: bool, querystring: str) -> str:
    if not page.has_other_pages():
        return ""
    prefix = f"?{escape(querystring)}&amp;" if querystring else "?"
    previous = next_link = ""
    if page.has_previous():
        previous = (
            f'<a rel="prev" href="{prefix}page={page.previous_page_number()}">'
            f'{escape(gettext("Previous"))}</a>'
        )
    if page.has_next():
        next_link = (
            f'<a rel="next" href="{prefix}page={page.next_page_number()}">{escape(gettext("Next"))}</a>'
        )
    numbers = {"number": localize(page.number), "total": localize(page.paginator.num_pages)}
    if capped:
        status = gettext("Page %(number)s of %(total)s+") % numbers
    else:
        status = gettext("Page %(number)s of %(total)s") % numbers
    return (
        f'\n<nav class="pagination" aria-label="{escape(gettext("Pages"))}">\n  {previous}\n'
        f'  <span class="page-status">{status}</span>\n  {next_link}\n</nav>\n'
    )
