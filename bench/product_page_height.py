"""How tall the product page is, in Chromium, at a phone's and a laptop's width.

Usage (a shop already serving the demo catalogue, `manage.py seed_demo`):

    python -m bench.product_page_height http://127.0.0.1:9201 [http://127.0.0.1:9202 ...]

For each base URL, prints the document height in CSS pixels of /<lang>/reports/1994249/
at 390 px (a phone) and 1366 px, in English and simplified Chinese, and where the
table of contents and the licence choice start. Results: bench/README.md.
"""

import shutil
import sys

from playwright.sync_api import sync_playwright

PRODUCT_CODE = "1994249"
WIDTHS = {"phone 390": 390, "laptop 1366": 1366}
LANGUAGES = ("en", "zh-hans")
TOP_OF = {"contents": "#toc-heading", "licence choice": "#licence-heading"}


def chromium_path() -> str:
    return shutil.which("chromium") or "/usr/bin/chromium"


def measure(base_url: str) -> list[tuple]:
    rows = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path())
        for label, width in WIDTHS.items():
            context = browser.new_context(viewport={"width": width, "height": 844})
            page = context.new_page()
            for language in LANGUAGES:
                page.goto(f"{base_url}/{language}/reports/{PRODUCT_CODE}/")
                page.wait_for_load_state("load")
                height = page.evaluate("() => document.scrollingElement.scrollHeight")
                tops = {
                    name: page.evaluate(
                        "(s) => { const e = document.querySelector(s);"
                        " return e ? Math.round(e.getBoundingClientRect().top + scrollY) : null }",
                        selector,
                    )
                    for name, selector in TOP_OF.items()
                }
                rows.append((base_url, label, language, height, tops))
            context.close()
        browser.close()
    return rows


if __name__ == "__main__":
    for base in sys.argv[1:]:
        for base_url, label, language, height, tops in measure(base):
            where = ", ".join(f"{name} at y={top}" for name, top in tops.items())
            print(f"{base_url}  {label:12} {language:8} height {height:6} px  ({where})")
