"""An editor's journey in a real Chromium: log into the admin as a member of the
"Editors" group, create a report in English with a key statistic and a licence, add
the Chinese translation in its tab, preview the draft, publish it from the list, and
find it on the shop in both languages. Screenshots go to test-artifacts/e2e/.
"""

import re
from importlib import import_module

import pytest
from django.contrib.auth.models import Group, Permission, User
from playwright.sync_api import expect

from reports.models import Report, ReportStatus
from tests.factories import make_publisher

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
# The group as its data migration makes it: the flush between transactional tests
# removes migration data, so it is rebuilt here from the migration's own list.
EDITORS = import_module("reports.migrations.0004_editors_group")

PRODUCT_CODE = "2050001"
TITLE_EN = "Surgical Robotics Market by Component - Global Forecast 2026-2032"
TITLE_ZH = "手术机器人市场：按组件划分 - 2026-2032年全球预测"
SUMMARY_EN = "<p>The surgical robotics market is growing fast.</p>"
SUMMARY_ZH = "<p>手术机器人市场增长迅速。</p>"
PASSWORD = "editor-pass-2026"


@pytest.fixture
def editor():
    user = User.objects.create_user("lin", "lin@example.com", PASSWORD, is_staff=True)
    group, _created = Group.objects.get_or_create(name=EDITORS.EDITORS_GROUP)
    group.permissions.set(
        Permission.objects.filter(
            content_type__app_label="reports", codename__in=EDITORS.EDITOR_PERMISSIONS
        )
    )
    assert group.permissions.count() == len(EDITORS.EDITOR_PERMISSIONS)
    user.groups.add(group)
    return user


def log_in(page, base_url, username):
    page.goto(f"{base_url}/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#site-name")).to_be_visible()


def write_summary(page, html):
    """Types the summary's text into the rich-text editor (it stores the HTML)."""
    text = html.removeprefix("<p>").removesuffix("</p>")
    editor_box = page.locator(".ProseMirror:visible").first
    editor_box.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def fill_english_report(page, publisher_name):
    page.fill("#id_product_code", PRODUCT_CODE)
    page.fill("#id_title", TITLE_EN)  # the slug is filled in from the title
    write_summary(page, SUMMARY_EN)
    page.fill("#id_meta_description", "Surgical robotics market size, share and forecast.")
    page.select_option("#id_publisher", label=publisher_name)
    page.fill("#id_published_on", "2026-11-20")
    # The first of the four empty key statistic rows: the base year market size.
    page.select_option("#id_key_statistics-0-kind", "base_year")
    page.fill("#id_key_statistics-0-year", "2025")
    page.fill("#id_key_statistics-0-amount_figure", "9.31")
    page.select_option("#id_key_statistics-0-amount_unit", label="billion")
    page.fill("#id_key_statistics-0-currency", "USD")
    page.select_option("#id_license_options-0-license_type", "single_user")
    page.fill("#id_license_options-0-price", "4949")
    page.fill("#id_license_options-0-currency", "USD")
    page.fill("#id_toc_outline", "1 Preface\n1.1 Objectives of the Study\n2 Research Methodology")


def test_editor_creates_translates_previews_and_publishes_a_report(
    live_server, editor, page, artifacts
):
    publisher = make_publisher(name="Global Insight Partners")
    log_in(page, live_server.url, editor.username)
    # The editor sees the catalogue and nothing of the shop's orders or inquiries.
    expect(page.locator("#content-main")).to_contain_text("Reports")
    expect(page.locator("#content-main a[href='/admin/orders/order/']")).to_have_count(0)
    artifacts(page, "editor-01-admin-index")

    # 1. A new report, in English, saved as a draft.
    page.goto(f"{live_server.url}/admin/reports/report/add/?language=en")
    fill_english_report(page, publisher.name)
    expect(page.locator("#id_slug")).to_have_value(re.compile(r"^surgical-robotics-market"))
    artifacts(page, "editor-02-new-report-en")
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    report = Report.objects.get(product_code=PRODUCT_CODE)
    assert report.status == ReportStatus.DRAFT
    assert [entry.depth for entry in report.toc_entries.all()] == [1, 2, 1]

    # 2. The Chinese tab: the same report, its Chinese text.
    page.click(".parler-language-tabs a[href='?language=zh-hans']")
    expect(page.locator("#id_title")).to_have_value("")
    page.fill("#id_title", TITLE_ZH)
    write_summary(page, SUMMARY_ZH)
    page.fill("#id_toc_outline", "1 前言\n1.1 研究目标\n2 研究方法")
    artifacts(page, "editor-03-report-zh-tab")
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    # 3. Still a draft: buyers get a 404; the editor's preview shows it.
    public_path = f"/reports/{PRODUCT_CODE}/{report.slug}/"
    assert page.request.get(f"{live_server.url}/en{public_path}").status == 404
    page.goto(f"{live_server.url}/en/reports/preview/{PRODUCT_CODE}/")
    expect(page.locator("h1")).to_contain_text(TITLE_EN)
    expect(page.locator("body")).to_contain_text("not visible to buyers")
    artifacts(page, "editor-04-draft-preview")

    # 4. "Publish now" from the list: refused while there is nothing to deliver (no
    # master PDF uploaded in this journey); published once it is "delivered on order".
    def publish_from_the_list():
        page.goto(f"{live_server.url}/admin/reports/report/?q={PRODUCT_CODE}")
        row = page.locator("#result_list tbody tr", has_text=PRODUCT_CODE)
        expect(row).to_have_count(1)
        row.locator("input.action-select").check()
        page.select_option("select[name=action]", "publish_selected_now")
        page.click("button[name=index]")

    publish_from_the_list()
    expect(page.locator(".messagelist")).to_contain_text(
        f"{PRODUCT_CODE} was not published: A report needs its master PDF"
    )
    expect(page.locator("#result_list")).to_contain_text("no master")
    artifacts(page, "editor-05-refused-without-master")
    page.goto(f"{live_server.url}/admin/reports/report/{report.pk}/change/?language=en")
    page.select_option("#id_delivery_mode", "on_order")
    page.fill("#id_delivery_days", "3")
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    publish_from_the_list()
    expect(page.locator(".messagelist")).to_contain_text("1 report is published.")
    expect(page.locator("#result_list")).to_contain_text("no master: on order, 3 business days")
    artifacts(page, "editor-05-published-in-list")
    report.refresh_from_db()
    assert report.status == ReportStatus.PUBLISHED

    # 5. On the shop, in both languages: found in the list, with the figure and price.
    for language, title, word, figure, promise in (
        ("en", TITLE_EN, "Surgical Robotics", "USD 9.31 billion",
         "Delivered on order: within 3 business days"),
        ("zh-hans", TITLE_ZH, "手术机器人", "93.1亿美元", "按订单交付：付款后 3 个工作日内"),
    ):
        page.goto(f"{live_server.url}/{language}/reports/?q={word}")
        card_link = page.locator(f'.report-list a[href="/{language}{public_path}"]')
        expect(card_link).to_have_count(1)
        expect(card_link).to_contain_text(title)
        # the product code as the search opens the report itself
        page.goto(f"{live_server.url}/{language}/reports/?q={PRODUCT_CODE}")
        page.wait_for_url(f"{live_server.url}/{language}{public_path}")
        expect(page.locator("h1")).to_contain_text(title)
        expect(page.locator("table.key-stats")).to_contain_text(figure)
        expect(page.locator("body")).to_contain_text("4,949")
        expect(page.locator(".delivery-promise")).to_contain_text(promise)
        artifacts(page, f"editor-06-published-{language}")
    assert page.js_errors == []
