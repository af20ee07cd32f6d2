"""Editors' rich text: the tags a summary may use, and nothing that runs.

Summaries are cleaned when they are saved, in every language and whatever wrote
them (admin, feed import, shell): see ``reports.signals``. Pages clean them once
more when they render, so a row written around the ORM is still safe to show.
"""

import re

import nh3

# Tags and attributes an editor's summary may use; everything else is removed.
SUMMARY_TAGS = {
    "p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "h2", "h3", "h4",
    "blockquote", "table", "thead", "tbody", "tr", "th", "td", "caption", "sup", "sub", "a",
}  # fmt: skip
SUMMARY_ATTRIBUTES = {"a": {"href", "title"}, "th": {"scope"}, "td": {"colspan", "rowspan"}}
SUMMARY_URL_SCHEMES = {"http", "https", "mailto"}


# Summaries cleaned lately, and their clean text (clean text cleans to itself): a
# summary is cleaned several times on its way in (a feed row compares it, then the
# save hooks clean it and stamp its change), once by nh3. Bounded, and emptied when full.
_RECENTLY_CLEANED: dict[str, str] = {}
_RECENTLY_CLEANED_LIMIT = 256


def clean_summary_html(value: str | None) -> str:
    """Summary HTML with scripts, event handlers, styles and unsafe links removed.

    Idempotent: cleaning clean text returns it unchanged, so saving a summary twice
    does not make it look edited.
    """
    value = value or ""
    cleaned = _RECENTLY_CLEANED.get(value)
    if cleaned is None:
        cleaned = nh3.clean(
            value,
            tags=SUMMARY_TAGS,
            attributes=SUMMARY_ATTRIBUTES,
            url_schemes=SUMMARY_URL_SCHEMES,
            link_rel="noopener nofollow",
        )
        if len(_RECENTLY_CLEANED) >= _RECENTLY_CLEANED_LIMIT:
            _RECENTLY_CLEANED.clear()
        _RECENTLY_CLEANED[value] = cleaned
        _RECENTLY_CLEANED[cleaned] = cleaned
    return cleaned


# Top-level blocks a summary may be cut after, and the ones that must be closed first.
_BLOCK_END = re.compile(r"</(?:p|ul|ol|h2|h3|h4|blockquote|table)>", re.IGNORECASE)
_NESTING = re.compile(r"<(/?)(ul|ol|blockquote|table)\b", re.IGNORECASE)


def split_summary(html: str, *, lead_chars: int) -> tuple[str, str]:
    """Clean summary HTML cut after the first top-level blocks that hold at least
    `lead_chars` characters of markup: (lead, rest). The rest is "" when nothing is
    left after the lead, or when no block boundary comes before the end.
    """
    html = clean_summary_html(html)
    for match in _BLOCK_END.finditer(html):
        cut = match.end()
        if cut < lead_chars:
            continue
        depth = sum(-1 if closing else 1 for closing, _tag in _NESTING.findall(html[:cut]))
        if depth == 0:
            rest = html[cut:].strip()
            return (html[:cut], rest) if rest else (html, "")
    return html, ""
