"""A buyer asks a question about product 1994249 in Chinese, in a real Chromium.

Report page → "Ask a question" → the contact form with the report preset → a
mistyped address is refused in Chinese (Django's own catalogue) with the typed
text kept → sent → the Chinese thank-you page with the reference number, and the
acknowledgement mail carries the same reference.

The shop's own new strings are translated later; the assertions hold on the page's
structure, the reference and Chinese text that comes from data or Django's catalogue.
"""

import re

import pytest
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import expect

from reports.models import Report
from storefront.inquiries.models import Inquiry, InquiryKind

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PRODUCT_CODE = "1994249"
REFERENCE = re.compile(r"^Q-\d{6}-[A-Z0-9]{4}$")


@pytest.fixture
def shop(live_server, settings):
    call_command("seed_demo", no_pdfs=True, verbosity=0)
    settings.SITE_URL = live_server.url
    return live_server.url


def test_ask_a_question_in_chinese_and_get_a_reference(shop, page, artifacts):
    report = Report.objects.get(product_code=PRODUCT_CODE)
    title_zh = report.safe_translation_getter("title", language_code="zh-hans")
    assert title_zh and re.search(r"[\u4e00-\u9fff]", title_zh)

    # The report page in Chinese: its "ask a question" button opens the contact form.
    page.goto(f"{shop}/zh-hans/reports/{PRODUCT_CODE}/x/")  # an old slug redirects
    page.locator(".actions-box a[href*='kind=question']").click()
    expect(page).to_have_url(re.compile(rf"/zh-hans/contact/\?report={PRODUCT_CODE}&kind=question$"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("#inquiry-report")).to_contain_text(title_zh)
    expect(page.locator("input[name=kind][value=question]")).to_be_checked()

    # A mistyped address: refused in Chinese, and what was typed is still there.
    page.fill("#id_name", "李伟")
    page.fill("#id_email", "li.wei-at-example.cn")
    page.fill("#id_company", "上海医学教育咨询有限公司")
    page.fill("#id_job_title", "战略总监")
    page.fill("#id_country", "中国")
    page.fill("#id_message", "报告是否涵盖日本的在线继续医学教育机构？")
    page.check("#id_consent")
    page.locator(".inquiry-form button[type=submit]").click()
    expect(page.locator(".field-error").first).to_contain_text("有效")
    expect(page.locator("#id_message")).to_have_value("报告是否涵盖日本的在线继续医学教育机构？")
    expect(page.locator("#inquiry-report")).to_contain_text(title_zh)
    artifacts(page, "inquiry-zh-1-error")
    assert Inquiry.objects.count() == 0

    # Corrected and sent: the Chinese thank-you page shows the reference number.
    page.fill("#id_email", "li.wei@example.cn")
    if not page.is_checked("#id_consent"):
        page.check("#id_consent")
    page.locator(".inquiry-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/zh-hans/contact/thanks/[\w-]+/$"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    reference = page.locator("[data-reference]").inner_text().strip()
    assert REFERENCE.match(reference)
    expect(page.locator(".inquiry-thanks")).to_contain_text(title_zh)
    artifacts(page, "inquiry-zh-2-thanks")

    inquiry = Inquiry.objects.get()
    assert inquiry.reference == reference
    assert inquiry.language == "zh-hans"
    assert inquiry.kind == InquiryKind.QUESTION
    assert inquiry.report_id == report.pk
    assert inquiry.source_page.startswith(f"/zh-hans/reports/{PRODUCT_CODE}/")
    assert page.url.endswith(f"/thanks/{inquiry.public_token}/")
    # The acknowledgement (tasks run in-process here) carries the same reference.
    [acknowledgement] = [m for m in mail.outbox if m.to == ["li.wei@example.cn"]]
    assert reference in acknowledgement.subject
    assert title_zh in acknowledgement.body
    assert page.js_errors == []
