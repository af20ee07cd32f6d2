"""A buyer's journey through the catalogue in a real Chromium, in English and Chinese.

List → report 1994249 → key figures → switch to Chinese with the header switcher →
Chinese key figures → open the full table of contents → search in Chinese from the
header → the report is found. Screenshots of every step go to test-artifacts/e2e/.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PRODUCT_CODE = "1994249"
ENGLISH_KEY_FIGURES = [
    ("Base Year [2025]", "USD 9.31 billion"),
    ("Estimated Year [2026]", "USD 10.04 billion"),
    ("Forecast Year [2032]", "USD 17.70 billion"),
    ("CAGR (%)", "9.61%"),
]
CHINESE_KEY_VALUES = ["93.1亿美元", "100.4亿美元", "177亿美元", "9.61%"]
# Row labels come from the zh_Hans catalogue; spacing and punctuation are the translator's.
CHINESE_KEY_LABELS = [
    re.compile(r"^基准年\D*2025\D*$"),
    re.compile(r"^预计年份\D*2026\D*$"),
    re.compile(r"^预测年份\D*2032\D*$"),
    re.compile(r"^复合年增长率"),
]
CHINESE_QUERY = "医学教育"
CHINESE_MESSAGES = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.mo"


@pytest.fixture
def demo_catalogue():
    # The journey never opens a PDF; the catalogue rows are what it reads.
    call_command("seed_demo", no_pdfs=True, verbosity=0)


def key_figures(page) -> list[tuple[str, str]]:
    """The key statistics table as (row label, value) pairs, whitespace collapsed."""
    rows = page.locator("table.key-stats tbody tr")
    expect(rows.first).to_be_visible()
    return [
        tuple(" ".join(text.split()) for text in pair)
        for pair in rows.evaluate_all(
            "rows => rows.map(r => [r.querySelector('th').innerText, r.querySelector('td').innerText])"
        )
    ]


def horizontal_overflow(page) -> int:
    """How many CSS pixels the page is wider than the viewport (0 when it fits)."""
    return page.evaluate(
        "() => Math.max(0, document.documentElement.scrollWidth - window.innerWidth)"
    )


def test_browse_switch_language_read_toc_and_search_in_chinese(
    live_server, demo_catalogue, page, mobile_page, artifacts
):
    pending = []  # failures that should not stop the rest of the journey

    # 1. The English catalogue lists the report.
    page.goto(f"{live_server.url}/en/reports/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    card_link = page.locator(f'.report-list a[href^="/en/reports/{PRODUCT_CODE}/"]')
    expect(card_link).to_have_count(1)
    expect(card_link).to_contain_text("Continuing Medical Education Market")
    artifacts(page, "01-en-report-list")

    # 2. Its page shows the English key figures.
    card_link.click()
    expect(page).to_have_url(re.compile(rf"/en/reports/{PRODUCT_CODE}/[\w-]+/$"))
    english_path = page.url.removeprefix(live_server.url)
    expect(page.locator("h1")).to_contain_text("Continuing Medical Education Market")
    assert key_figures(page) == ENGLISH_KEY_FIGURES
    artifacts(page, "02-en-report-detail")

    # 3. The header's language switcher leads to the same report in Chinese.
    page.locator('header a[hreflang="zh-hans"]').click()
    chinese_path = "/zh-hans/" + english_path.removeprefix("/en/")
    expect(page).to_have_url(f"{live_server.url}{chinese_path}")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("h1")).to_contain_text("继续医学教育")
    expect(page.locator(".fallback-notice")).to_have_count(0)
    figures = key_figures(page)
    assert [value for _label, value in figures] == CHINESE_KEY_VALUES
    if CHINESE_MESSAGES.exists():
        labels = [label for label, _value in figures]
        assert len(labels) == len(CHINESE_KEY_LABELS)
        for label, pattern in zip(labels, CHINESE_KEY_LABELS):
            assert pattern.search(label), f"key statistic label {label!r} is not {pattern.pattern}"
    else:
        pending.append(
            f"{CHINESE_MESSAGES.relative_to(settings.BASE_DIR)} does not exist: the Chinese "
            "messages must be compiled (`python manage.py compilemessages`; `make test` does "
            f"it), so the Chinese row labels could not be checked (page shows {figures!r})."
        )
    artifacts(page, "03-zh-report-detail")

    # 4. The table of contents opens to show the entries after the preview.
    toc_more = page.locator("details.toc-more")
    expect(toc_more).to_have_count(1)
    hidden_entries = toc_more.locator("ol.toc > li")
    assert hidden_entries.count() > 0
    expect(hidden_entries.first).to_be_hidden()
    toc_more.locator("summary").click()
    expect(toc_more).to_have_attribute("open", "")
    expect(hidden_entries.first).to_be_visible()
    expect(hidden_entries.last).to_be_visible()
    artifacts(page, "04-zh-report-toc-expanded")

    # 5. A Chinese search from the header finds the report.
    search_box = page.locator("header input[name=q]")
    search_box.fill(CHINESE_QUERY)
    search_box.press("Enter")
    expect(page).to_have_url(re.compile(r"/zh-hans/reports/\?q="))
    expect(page.locator("header input[name=q]")).to_have_value(CHINESE_QUERY)
    found = page.locator(f'.report-list a[href="{chinese_path}"]')
    expect(found).to_have_count(1)
    expect(found).to_contain_text("继续医学教育")
    artifacts(page, "05-zh-search-results")

    # 6. The same report on a phone: one screenshot at 390 px.
    mobile_page.goto(f"{live_server.url}{chinese_path}")
    expect(mobile_page.locator("h1")).to_contain_text("继续医学教育")
    artifacts(mobile_page, "06-zh-report-detail-mobile-390")
    overflow = horizontal_overflow(mobile_page)
    assert overflow == 0, f"the Chinese report page is {overflow}px wider than a 390px phone"

    assert page.js_errors == [] and mobile_page.js_errors == []
    if pending:
        pytest.fail("\n".join(pending), pytrace=False)
