"""What a list or search page shows, read from its HTML."""

import re
from urllib.parse import unquote

_CARD_LINK = re.compile(
    r'<h3 class="card-title"[^>]*>\s*<a href="/[a-z-]+/reports/([^/"]+)/[^/"]+/">'
)


def product_codes_on(response) -> list[str]:
    """The product codes of the report cards on the page, in the order shown."""
    html = response.content.decode()
    results = html.split('<div class="report-list">', 1)
    assert len(results) == 2, "the page has no list of results"
    return [unquote(code) for code in _CARD_LINK.findall(results[1])]
