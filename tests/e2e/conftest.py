"""Browser journeys: a real Chromium driven by Playwright against pytest-django's live server.

Playwright's sync API keeps an asyncio event loop running in the test thread, and Django
refuses database access from a thread with a running loop (SynchronousOnlyOperation).
The tests seed their data (and pytest-django flushes it) from that thread, so the
``browser`` fixture sets DJANGO_ALLOW_ASYNC_UNSAFE for exactly as long as Playwright runs:
the rest of the suite keeps Django's check. The live server answers from its own thread.

Chromium is the Debian package (``/usr/bin/chromium``), never a downloaded browser.
When it is missing the tests fail, not skip: ``make test`` installs it.
"""

import os
import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP_VIEWPORT = {"width": 1280, "height": 900}
MOBILE_VIEWPORT = {"width": 390, "height": 844}
LAPTOP_VIEWPORT = {"width": 1366, "height": 768}
# Generous for a loaded machine (a full-page screenshot of a long page took over 10 s
# with the load average at 13), short enough that a broken page still fails.
TIMEOUT_MS = 30_000

ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"
ARTIFACTS_DIR = Path(settings.BASE_DIR) / "test-artifacts" / "e2e"


def chromium_path() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not os.access(path, os.X_OK):
        pytest.fail(
            "Chromium is not installed (looked for `chromium` on PATH and /usr/bin/chromium). "
            "The browser tests need the Debian package: `make test` installs it, or run "
            "`apt-get install chromium fonts-noto-cjk`.",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module, stopped before other modules run so no
    event loop is left running under the rest of the suite. Module scope also means it
    starts before, and stops after, the function-scoped database fixtures."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=executable, headless=True, args=CHROMIUM_ARGS
            )
            try:
                yield browser
            finally:
                browser.close()
    finally:
        if previous is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = previous


@pytest.fixture
def artifacts():
    """Saves full-page screenshots under test-artifacts/e2e/ (gitignored)."""
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)

    def screenshot(page, name: str) -> Path:
        path = ARTIFACTS_DIR / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return screenshot


def _new_page(browser, request, label, viewport, **options):
    context = browser.new_context(viewport=viewport, locale="en-GB", **options)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.js_errors = errors
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed and not page.is_closed():
        ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name)
        try:
            page.screenshot(path=str(ARTIFACTS_DIR / f"FAILED-{name}-{label}.png"), full_page=True)
        except Exception:  # the page may be gone; the failure itself is what matters
            pass
    context.close()


@pytest.fixture
def page(browser, request):
    """A desktop-sized page in a fresh browser context (no cookies carried over)."""
    yield from _new_page(browser, request, "desktop", DESKTOP_VIEWPORT)


@pytest.fixture
def mobile_page(browser, request):
    """A phone-sized page (390 px wide, touch)."""
    yield from _new_page(
        browser, request, "mobile", MOBILE_VIEWPORT, is_mobile=True, has_touch=True, device_scale_factor=2
    )


@pytest.fixture
def sized_page(browser, request):
    """A page of the size the test is parametrized with (``viewport`` = "phone", a
    390 px touch screen, or "laptop", 1366 px)."""
    if request.node.callspec.params["viewport"] == "phone":
        yield from _new_page(
            browser, request, "phone", MOBILE_VIEWPORT, is_mobile=True, has_touch=True,
            device_scale_factor=2,
        )  # fmt: skip
    else:
        yield from _new_page(browser, request, "laptop", LAPTOP_VIEWPORT)


@pytest.fixture(scope="session")
def axe_source():
    """axe-core's source, installed from the npm registry once per cache folder
    (see tests/e2e/accessibility.py)."""
    from tests.e2e.accessibility import install_axe

    return install_axe()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report

