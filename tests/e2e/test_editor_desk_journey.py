"""An editor's working day in a real Chromium at a laptop's 1366 px: the report list
and the report form fit the screen, a Chinese outline with full-width brackets is
pasted, the summary is written in the rich-text editor, and the public page shows
both. Screenshots go to test-artifacts/e2e/."""

import pytest
from django.utils.translation import override
from playwright.sync_api import expect

from reports.models import Report, ReportStatus, TocEntry
from tests.e2e.test_editor_journey import editor, log_in  # noqa: F401  (fixture)
from tests.factories import make_report

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 768}
OUTLINE_ZH = "1 前言\n2 氢电解槽市场（按技术划分）\n2.1 碱性电解槽"


def horizontal_overflow(page) -> int:
    """How many pixels the page is wider than the window (0: no horizontal scrolling)."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def type_in_summary_editor(page, text):
    editor_box = page.locator(".ProseMirror:visible").first
    expect(editor_box).to_be_visible()
    editor_box.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def test_report_list_and_form_fit_a_laptop_screen(live_server, editor, page, artifacts):  # noqa: F811
    for index in range(12):
        make_report(
            title_en="Hydrogen Electrolyzer Market by Technology, Capacity, Application "
            f"and End User - Global Forecast 2026-2032 ({index})"
        )
    report = Report.objects.order_by("pk").first()
    page.set_viewport_size(LAPTOP)
    log_in(page, live_server.url, editor.username)

    page.goto(f"{live_server.url}/admin/reports/report/")
    for heading in ("Title", "Price from", "Translations", "Status"):
        expect(page.locator("#result_list thead")).to_contain_text(heading, ignore_case=True)
    artifacts(page, "editor-desk-01-report-list-1366")
    assert horizontal_overflow(page) == 0
    title_width = page.evaluate(
        "() => document.querySelector('#result_list td.field-title_column').offsetWidth"
    )
    assert title_width >= 200

    for url in (
        "/admin/reports/report/add/?language=en",
        f"/admin/reports/report/{report.pk}/change/?language=en",
        f"/admin/reports/report/{report.pk}/change/?language=zh-hans",
    ):
        page.goto(live_server.url + url)
        expect(page.locator("#id_key_statistics-0-amount_figure")).to_be_visible()
        artifacts(page, "editor-desk-02-form-1366" + url.replace("/", "-").replace("?", "-"))
        assert horizontal_overflow(page) == 0, url
    assert page.js_errors == []


def test_editor_pastes_a_chinese_outline_and_writes_the_summary_in_the_editor(
    live_server, editor, page, artifacts  # noqa: F811
):
    report = make_report(
        title_zh="氢电解槽市场", status=ReportStatus.PUBLISHED,
        toc=[(1, "Preface"), (1, "Market by Technology"), (2, "Alkaline Electrolyzers")],
    )  # fmt: skip
    page.set_viewport_size(LAPTOP)
    log_in(page, live_server.url, editor.username)

    page.goto(f"{live_server.url}/admin/reports/report/{report.pk}/change/?language=zh-hans")
    expect(page.locator(".breadcrumbs")).to_contain_text(report.product_code)
    page.fill("#id_toc_outline", OUTLINE_ZH)
    type_in_summary_editor(page, "氢电解槽市场规模持续增长。")
    page.locator(".ProseMirror:visible").first.press("Control+A")
    page.locator(".ProseMirror:visible").first.press("Control+B")
    artifacts(page, "editor-desk-03-outline-and-summary-zh")
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    expect(page.locator("#id_toc_outline")).to_have_value(OUTLINE_ZH)
    artifacts(page, "editor-desk-04-saved-zh")

    titles = dict(
        TocEntry._parler_meta.root_model.objects.filter(
            master__report=report, language_code="zh-hans"
        ).values_list("master__position", "title")
    )
    assert titles[2] == "氢电解槽市场（按技术划分）"
    summary = Report._parler_meta.root_model.objects.get(
        master=report, language_code="zh-hans"
    ).summary
    assert "<strong>氢电解槽市场规模持续增长。</strong>" in summary

    with override("zh-hans"):
        public_url = report.get_absolute_url()
    page.goto(live_server.url + public_url)
    expect(page.locator("body")).to_contain_text("氢电解槽市场（按技术划分）")
    expect(page.locator("body strong", has_text="氢电解槽市场规模持续增长。")).to_be_visible()
    artifacts(page, "editor-desk-05-public-page-zh")
    assert page.js_errors == []
