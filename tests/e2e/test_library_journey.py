"""A buyer signs in to the library in a real Chromium with the code mailed to them, at a
phone's width and a laptop's, in English and in Chinese, and asks for fresh links."""

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests.e2e.accessibility import axe_violations, describe
from tests.e2e.conftest import TIMEOUT_MS
from tests.library.buyers import bought, code_in, link_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BUYER = "li.wei@example.cn"
TEXT = {
    "en": {
        "ask": "E-mail me a sign-in link", "sign_in": "Sign in", "fresh": "E-mail me fresh links",
        "sent": "are on their way", "library": "Your library",
    },
    "zh-hans": {"ask": "通过邮件发送登录链接", "sign_in": "登录", "fresh": "通过邮件发送新链接",
                "sent": "正在发送至该订单的电子邮箱", "library": "我的报告库"},
}


@pytest.fixture
def shop(live_server, settings):
    settings.SITE_URL = live_server.url
    return live_server.url


def new_page(browser, width):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.csp_errors = []
    page.on(
        "console",
        lambda message: "Content Security Policy" in message.text
        and page.csp_errors.append(message.text),
    )
    return page


def fits_the_width(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("width", [390, 1366])
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_sign_in_with_the_mailed_code_and_ask_for_fresh_links(
    shop, browser, artifacts, axe_source, language, width
):
    text = TEXT[language]
    order = bought(email=BUYER, language=language, lines=2)
    mail.outbox.clear()
    page = new_page(browser, width)

    # The header's link leads to the sign-in form.
    page.goto(f"{shop}/{language}/reports/")
    page.locator(".library-link").click()
    expect(page).to_have_url(f"{shop}/{language}/account/")
    assert fits_the_width(page)
    assert not (found := axe_violations(page, axe_source)), describe(found)
    artifacts(page, f"library-{language}-{width}-1-sign-in")

    # Ask for a code; type it from the mail.
    page.fill("#id_email", BUYER.upper())
    page.get_by_role("button", name=text["ask"]).click()
    expect(page).to_have_url(f"{shop}/{language}/account/sign-in/code/")
    artifacts(page, f"library-{language}-{width}-2-code")
    assert fits_the_width(page)
    assert not (found := axe_violations(page, axe_source)), describe(found)
    [message] = mail.outbox
    page.fill("#id_code", code_in(message))
    page.locator("main form").first.get_by_role("button", name=text["sign_in"]).click()

    # The library: the order, both reports, their links.
    expect(page).to_have_url(f"{shop}/{language}/account/")
    expect(page.locator("h1")).to_have_text(text["library"])
    expect(page.locator(".library-order")).to_have_count(1)
    expect(page.locator(".library-order tbody tr")).to_have_count(2)
    expect(page.locator(".library-order")).to_contain_text(order.number)
    assert fits_the_width(page)
    assert not (found := axe_violations(page, axe_source)), describe(found)
    artifacts(page, f"library-{language}-{width}-3-library")

    # Fresh links are asked for; the mail goes to the order's address.
    page.get_by_role("button", name=text["fresh"]).click()
    expect(page.locator(".messages")).to_contain_text(text["sent"])
    artifacts(page, f"library-{language}-{width}-4-fresh-links")
    assert [m.to for m in mail.outbox[1:]] == [[BUYER]]
    assert page.csp_errors == []
    page.context.close()


def test_sign_in_with_the_mailed_link_on_a_phone(shop, browser, artifacts):
    order = bought(email=BUYER, language="zh-hans")
    mail.outbox.clear()
    page = new_page(browser, 390)
    page.goto(f"{shop}/zh-hans/account/")
    page.fill("#id_email", BUYER)
    page.get_by_role("button", name=TEXT["zh-hans"]["ask"]).click()
    expect(page).to_have_url(f"{shop}/zh-hans/account/sign-in/code/")

    page.goto(f"{shop}{link_in(mail.outbox[0].body)}")
    artifacts(page, "library-zh-hans-390-link")
    page.get_by_role("button", name="登录").click()

    expect(page).to_have_url(f"{shop}/zh-hans/account/")
    expect(page.locator(".library-order")).to_contain_text(order.number)
    page.context.close()
