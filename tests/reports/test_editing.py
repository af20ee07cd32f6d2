"""Editors translate and structure listings: the Chinese text knows when the English
moved on, and a pasted numbered outline becomes the table of contents."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from reports import services
from reports.models import Report, ReportStatus, Segment, TocEntry
from reports.outline import OutlineError
from reports.outline_editing import TABLE_OF_CONTENTS, save_outline
from tests.factories import make_report
from tests.reports.test_admin import change_url, count_queries, post_data

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:reports_report_changelist")
ReportTranslation = Report._parler_meta.root_model
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def stored(report, language):
    return ReportTranslation.objects.get(master_id=report.pk, language_code=language)


def fresh(report):
    return Report.objects.prefetch_related("translations").get(pk=report.pk)


def edit_english(report, **fields):
    report = Report.objects.get(pk=report.pk)
    report.set_current_language("en")
    for name, value in fields.items():
        setattr(report, name, value)
    report.save()


def toc_of(report, language):
    """(depth, title in that language or None) of each entry, in order; no fallback."""
    titles = dict(
        TocEntry._parler_meta.root_model.objects.filter(
            master__report=report, language_code=language
        ).values_list("master_id", "title")
    )
    return [
        (entry.depth, titles.get(entry.pk))
        for entry in TocEntry.objects.filter(report=report).order_by("position", "id")
    ]


def zh_tab(report):
    return change_url(report) + "?language=zh-hans"


# --- The time a text changed, kept whoever writes ----------------------------------


def test_a_new_report_in_both_languages_is_not_behind(clock):
    report = make_report()

    assert stored(report, "en").text_changed_at == START
    assert stored(report, "zh-hans").text_changed_at == START
    assert not fresh(report).translation_is_behind("zh-hans")


def test_translations_saved_together_are_one_edit_whatever_the_order():
    # A feed may write the Chinese before the English: still not "behind".
    report = make_report(title_en=None, title_zh="测试市场")
    report = Report.objects.get(pk=report.pk)
    report.set_current_language("zh-hans")
    report.title = "新的测试市场"
    report.set_current_language("en")
    report.title = "New Test Market"
    report.save()

    assert stored(report, "en").text_changed_at == stored(report, "zh-hans").text_changed_at
    assert not fresh(report).translation_is_behind("zh-hans")


@pytest.mark.parametrize(
    "change",
    [
        {"title": "A Retitled Market"},
        {"summary": "<p>A rewritten summary.</p>"},
        {"meta_description": "A new description."},
    ],
)
def test_an_english_change_puts_the_chinese_behind(clock, change):
    report = make_report()
    clock.shift(timedelta(hours=1))

    edit_english(report, **change)

    assert stored(report, "en").text_changed_at == START + timedelta(hours=1)
    assert stored(report, "zh-hans").text_changed_at == START
    assert fresh(report).translation_is_behind("zh-hans")
    assert list(Report.objects.translation_behind_english("zh-hans")) == [report]


@pytest.mark.parametrize(
    "same",
    [
        {},
        {"title": "Same Market"},
        # Cleaned on save to what is stored already.
        {"summary": '<p>Same summary.</p><script>alert("x")</script>'},
    ],
)
def test_saving_the_same_english_text_moves_nothing(clock, same):
    report = make_report(title_en="Same Market", summary_en="<p>Same summary.</p>")
    clock.shift(timedelta(hours=1))

    edit_english(report, **same)

    assert stored(report, "en").text_changed_at == START
    assert not fresh(report).translation_is_behind("zh-hans")
    assert not Report.objects.translation_behind_english("zh-hans").exists()


def test_updating_or_reviewing_the_chinese_catches_it_up(clock):
    report = make_report()
    clock.shift(timedelta(hours=1))
    edit_english(report, title="A Retitled Market")
    clock.shift(timedelta(hours=1))

    services.mark_translation_reviewed(report_id=report.pk, language_code="zh-hans")

    assert stored(report, "zh-hans").reviewed_at == START + timedelta(hours=2)
    assert not fresh(report).translation_is_behind("zh-hans")
    assert not Report.objects.translation_behind_english("zh-hans").exists()

    clock.shift(timedelta(hours=1))
    edit_english(report, title="Retitled Again Market")
    assert fresh(report).translation_is_behind("zh-hans")

    clock.shift(timedelta(hours=1))
    chinese = Report.objects.get(pk=report.pk)
    chinese.set_current_language("zh-hans")
    chinese.title = "重新命名的市场"
    chinese.save()
    assert not fresh(report).translation_is_behind("zh-hans")


def test_rows_from_before_the_tracking_count_as_old(clock):
    report = make_report()
    ReportTranslation.objects.filter(master=report).update(text_changed_at=None)
    assert not fresh(report).translation_is_behind("zh-hans")

    clock.shift(timedelta(minutes=5))
    edit_english(report, title="A Retitled Market")

    assert fresh(report).translation_is_behind("zh-hans")
    assert list(Report.objects.translation_behind_english("zh-hans")) == [report]


# --- The changelist: translation column and filter ---------------------------------------


def test_changelist_shows_the_state_of_each_translation(admin_client, clock):
    current = make_report(product_code="CURRENT-1")
    behind = make_report(product_code="BEHIND-1")
    english_only = make_report(product_code="ENONLY-1", title_zh=None)
    clock.shift(timedelta(hours=1))
    edit_english(behind, title="A Retitled Market")

    response = admin_client.get(CHANGELIST)

    rows = {
        row.product_code: response.context["cl"].model_admin.translation_status(row)
        for row in response.context["cl"].result_list
    }
    assert rows[current.product_code].startswith("en ✓ · zh-hans ✓ · ")
    assert "zh-hant missing" in rows[current.product_code]
    assert "zh-hans out of date" in rows[behind.product_code]
    assert rows[behind.product_code].startswith("en ✓ · ")
    assert "zh-hans missing" in rows[english_only.product_code]
    assert 'class="translation-behind"' in response.content.decode()


@pytest.mark.parametrize(
    ("choice", "expected"),
    [("behind:zh-hans", {"BEHIND-1"}), ("missing:zh-hans", {"ENONLY-1"}), ("", None)],
)
def test_changelist_filters_by_translation_state(admin_client, clock, choice, expected):
    for code in ("CURRENT-1", "BEHIND-1"):
        make_report(product_code=code)
    make_report(product_code="ENONLY-1", title_zh=None)
    clock.shift(timedelta(hours=1))
    edit_english(Report.objects.get(product_code="BEHIND-1"), title="A Retitled Market")

    response = admin_client.get(CHANGELIST + (f"?translation={choice}" if choice else ""))

    assert response.status_code == 200
    shown = {row.product_code for row in response.context["cl"].result_list}
    assert shown == (expected or {"CURRENT-1", "BEHIND-1", "ENONLY-1"})
    assert "Simplified Chinese out of date" in response.content.decode()  # the filter choice


@pytest.mark.parametrize(
    "query", ["", "?translation=behind:zh-hans", "?translation=missing:zh-hans"]
)
def test_translation_column_and_filter_keep_the_query_count_flat(
    admin_client, django_assert_max_num_queries, clock, query
):
    def catalogue(count):
        for index in range(count):
            report = make_report(title_zh=None if index % 3 == 0 else f"市场 {index}")
            if index % 2:
                clock.shift(timedelta(minutes=1))
                edit_english(report, title=f"Retitled Market {index}")

    catalogue(6)
    admin_client.get(CHANGELIST + query)
    small, response = count_queries(admin_client, CHANGELIST + query)
    assert response.context["cl"].result_list

    catalogue(24)
    with django_assert_max_num_queries(small):
        response = admin_client.get(CHANGELIST + query)
    assert len(response.context["cl"].result_list) > 6


# --- The change form: the Chinese tab knows the English moved on ------------------------------


def test_chinese_tab_shows_the_current_english_and_that_it_changed(admin_client, clock):
    report = make_report(title_zh="旧的市场")
    clock.shift(timedelta(days=1))
    edit_english(report, title="Retitled Drone Market", summary="<p>Drones <b>fly</b>.</p>")

    html = admin_client.get(zh_tab(report)).content.decode()

    assert "The English text changed on" in html
    assert "Retitled Drone Market" in html
    assert "<p>Drones <b>fly</b>.</p>" in html
    assert 'name="translation_reviewed"' in html
    assert "Simplified Chinese reviewed against the current English" in html


def test_chinese_tab_of_an_up_to_date_translation_shows_the_english_without_a_warning(
    admin_client,
):
    report = make_report(title_en="Steady Market")

    html = admin_client.get(zh_tab(report)).content.decode()

    assert "Steady Market" in html
    assert "The English text changed on" not in html


def test_english_tab_has_no_review_box(admin_client):
    html = admin_client.get(change_url(make_report())).content.decode()
    assert 'name="translation_reviewed"' not in html
    assert "current-english" not in html


def test_saving_the_chinese_tab_unchanged_keeps_the_flag_ticking_review_clears_it(
    admin_client, clock
):
    report = make_report()
    clock.shift(timedelta(hours=1))
    edit_english(report, title="A Retitled Market")
    clock.shift(timedelta(hours=1))

    response = admin_client.post(zh_tab(report), post_data(admin_client.get(zh_tab(report))))
    assert response.status_code == 302
    assert fresh(report).translation_is_behind("zh-hans")

    data = post_data(admin_client.get(zh_tab(report)))
    data["translation_reviewed"] = "on"
    response = admin_client.post(zh_tab(report), data)

    assert response.status_code == 302
    assert stored(report, "zh-hans").reviewed_at == START + timedelta(hours=2)
    assert not fresh(report).translation_is_behind("zh-hans")


def test_saving_the_english_tab_unchanged_does_not_put_the_chinese_behind(admin_client, clock):
    report = make_report()
    clock.shift(timedelta(hours=1))
    data = post_data(admin_client.get(change_url(report)))

    response = admin_client.post(change_url(report), data)

    assert response.status_code == 302
    assert stored(report, "en").text_changed_at == START
    assert not fresh(report).translation_is_behind("zh-hans")


def test_editing_the_english_title_in_the_admin_puts_the_chinese_behind(admin_client, clock):
    report = make_report()
    clock.shift(timedelta(hours=1))
    data = post_data(admin_client.get(change_url(report)))
    data["title"] = "A Retitled Market"

    response = admin_client.post(change_url(report), data)

    assert response.status_code == 302
    assert fresh(report).translation_is_behind("zh-hans")


def test_chinese_tab_saves_while_outline_lines_are_not_translated_yet(admin_client):
    report = make_report(
        title_zh="旧标题", toc=[(1, "Preface"), (2, "Scope")], segments=[(1, "Provider")]
    )
    page = admin_client.get(zh_tab(report))
    # Lines not translated yet show the English, and are left untranslated on save.
    assert page.context["adminform"].form.initial["toc_outline"] == "1 Preface\n1.1 Scope"
    data = post_data(page)
    data["title"] = "新标题"

    response = admin_client.post(zh_tab(report), data)

    assert response.status_code == 302, response.context and response.context["errors"]
    assert stored(report, "zh-hans").title == "新标题"
    assert toc_of(report, "zh-hans") == [(1, None), (2, None)]


# --- The outline as text ------------------------------------------------------------------

OUTLINE_EN = """
1. Preface
1.1. Objectives of the Study
1.2. Market Segmentation & Coverage
2. Research Methodology
2.1.1 Define: Research Objective
"""
OUTLINE_ZH = """
1. 前言
1.1. 研究目标
1.2. 市场区隔与覆盖范围
2. 研究方法
2.1.1 定义：研究目标
"""


def edit_outline(client, report, text, *, language="en", field="toc_outline"):
    url = change_url(report) + f"?language={language}"
    data = post_data(client.get(url))
    data[field] = text
    return client.post(url, data)


def entry_ids(report):
    return list(TocEntry.objects.filter(report=report).order_by("position").values_list("pk", flat=True))


def test_the_change_page_shows_the_outline_as_numbered_text(admin_client):
    report = make_report(toc=[(1, "Preface", "前言"), (2, "Scope", "范围"), (1, "Method", "方法")])

    english = admin_client.get(change_url(report)).context["adminform"].form
    chinese = admin_client.get(zh_tab(report)).context["adminform"].form

    assert english.initial["toc_outline"] == "1 Preface\n1.1 Scope\n2 Method"
    assert chinese.initial["toc_outline"] == "1 前言\n1.1 范围\n2 方法"


def test_pasting_in_the_english_tab_replaces_the_table_of_contents(admin_client):
    report = make_report(toc=[(1, "Old line", "旧行"), (2, "Old child", "旧子行")])
    old_ids = set(entry_ids(report))

    response = edit_outline(admin_client, report, OUTLINE_EN)

    assert response.status_code == 302, response.context and response.context["errors"]
    assert toc_of(report, "en") == [
        (1, "Preface"),
        (2, "Objectives of the Study"),
        (2, "Market Segmentation & Coverage"),
        (1, "Research Methodology"),
        (3, "Define: Research Objective"),
    ]
    entries = TocEntry.objects.filter(report=report).order_by("position")
    assert [entry.position for entry in entries] == [1, 2, 3, 4, 5]
    # The two old lines were edited in place: their entries stay, with their Chinese.
    assert set(entry_ids(report)[:2]) == old_ids
    assert toc_of(report, "zh-hans")[:3] == [(1, "旧行"), (2, "旧子行"), (2, None)]


def test_an_english_line_inserted_and_one_removed_keep_the_other_translations(admin_client):
    report = make_report(
        toc=[(1, "Preface", "前言"), (1, "Scope", "范围"), (1, "Method", "方法")]
    )
    preface, _scope, method = entry_ids(report)

    response = edit_outline(admin_client, report, "1 Summary\n2 Preface\n2.1 Method")

    assert response.status_code == 302, response.context and response.context["errors"]
    assert toc_of(report, "en") == [(1, "Summary"), (1, "Preface"), (2, "Method")]
    assert toc_of(report, "zh-hans") == [(1, None), (1, "前言"), (2, "方法")]
    assert entry_ids(report)[1:] == [preface, method]


def test_emptying_the_english_outline_removes_the_entries(admin_client):
    report = make_report(toc=[(1, "Preface", "前言")])

    response = edit_outline(admin_client, report, "")

    assert response.status_code == 302
    assert toc_of(report, "en") == []


def test_editing_in_the_chinese_tab_translates_the_entries_in_order(admin_client):
    report = make_report()
    save_outline(TABLE_OF_CONTENTS, report_id=report.pk, language_code="en", text=OUTLINE_EN)
    ids = entry_ids(report)

    response = edit_outline(admin_client, report, OUTLINE_ZH, language="zh-hans")

    assert response.status_code == 302, response.context and response.context["errors"]
    assert entry_ids(report) == ids
    assert [title for _depth, title in toc_of(report, "zh-hans")] == [
        "前言", "研究目标", "市场区隔与覆盖范围", "研究方法", "定义：研究目标",
    ]  # fmt: skip
    assert toc_of(report, "en")[0] == (1, "Preface")


def test_a_chinese_outline_with_full_width_brackets_keeps_them(admin_client):
    report = make_report(toc=[(1, "Market by technology")])

    response = edit_outline(admin_client, report, "5 氢电解槽市场（按技术划分）", language="zh-hans")

    assert response.status_code == 302, response.context and response.context["errors"]
    assert toc_of(report, "zh-hans") == [(1, "氢电解槽市场（按技术划分）")]


def test_the_segmentation_is_edited_the_same_way(admin_client):
    report = make_report(segments=[(1, "Provider", "提供方")])

    response = edit_outline(
        admin_client, report, "1 Provider\n1.1 Hospitals", field="segments_outline"
    )

    assert response.status_code == 302, response.context and response.context["errors"]
    names = [
        (segment.depth, segment.safe_translation_getter("name", language_code="en"))
        for segment in Segment.objects.filter(report=report).order_by("position")
    ]
    assert names == [(1, "Provider"), (2, "Hospitals")]


def test_a_new_report_gets_its_table_of_contents_from_any_tab(admin_client):
    report = make_report(title_en=None, title_zh="无人机市场", status=ReportStatus.DRAFT)

    response = edit_outline(admin_client, report, "1 前言\n1.1 研究目标", language="zh-hans")

    assert response.status_code == 302, response.context and response.context["errors"]
    assert toc_of(report, "zh-hans") == [(1, "前言"), (2, "研究目标")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "1 前言\n1.1 研究目标",
            "Lines in the outline: 2; lines in the English outline: 5.",
        ),
        (
            OUTLINE_ZH.replace("1.1. 研究目标", "2. 研究目标"),
            "Line 3 (&quot;2&quot;) is at level 1, but line 2 of the English outline "
            "is at level 2",
        ),
        ("1 前言\n研究目标\n1.1.1.1.1 太深", "Line 2 has no number"),
    ],
)
def test_a_translation_that_does_not_fit_is_refused_and_nothing_is_saved(
    admin_client, text, message
):
    report = make_report(title_zh="旧标题")
    save_outline(TABLE_OF_CONTENTS, report_id=report.pk, language_code="en", text=OUTLINE_EN)
    url = zh_tab(report)
    data = post_data(admin_client.get(url))
    data.update({"toc_outline": text, "title": "新标题"})

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert "toc_outline" in response.context["adminform"].form.errors
    assert stored(report, "zh-hans").title == "旧标题"
    assert [title for _depth, title in toc_of(report, "zh-hans")] == [None] * 5


def test_every_bad_line_is_named_at_once(admin_client):
    report = make_report(toc=[(1, "Keep me")])

    response = edit_outline(admin_client, report, "1 Fine\nNot numbered\n1.1.1.1.1 Far too deep")

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["toc_outline"]
    assert len(errors) == 2
    assert errors[0].startswith('Line 2 has no number such as "2" or "2.1"')
    assert errors[1].startswith("Line 3 is nested 5 levels deep")
    assert toc_of(report, "en") == [(1, "Keep me")]


def test_the_save_service_changes_nothing_when_the_outline_does_not_fit():
    report = make_report(toc=[(1, "Preface", "前言"), (2, "Scope", "范围")])

    with pytest.raises(OutlineError) as raised:
        save_outline(TABLE_OF_CONTENTS, report_id=report.pk, language_code="zh-hans", text="1 序言")

    assert "Lines in the outline: 1; lines in the English outline: 2." in str(raised.value)
    assert toc_of(report, "zh-hans") == [(1, "前言"), (2, "范围")]


def test_an_edited_table_of_contents_reaches_the_public_page(admin_client, client):
    report = make_report(toc=[(1, "Old line")])
    detail = report.get_absolute_url()
    assert "Old line" in client.get(detail).content.decode()  # now cached

    edit_outline(admin_client, report, OUTLINE_EN)

    page = client.get(detail).content.decode()
    assert "Objectives of the Study" in page
    assert "Old line" not in page
