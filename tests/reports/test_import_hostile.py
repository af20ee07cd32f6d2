"""Hostile feeds: every bad row is reported on its own and the other rows are imported.

Before, a NUL in a PDF path, a 5,000-character path, a deeply nested report or a
5,000-digit number stopped the whole import (a 500 on the admin page); a NUL or a
lone surrogate in any text reached PostgreSQL. Each case below sits between two
good rows, runs through the real command on real files, and must fail alone.
"""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from reports.models import Report
from tests.factories import minimal_pdf
from tests.reports.test_import import (  # noqa: F401 (demo_categories: autouse fixture)
    csv_row,
    demo_categories,
    import_reports,
    json_report,
    write_csv,
    write_json,
)
from tests.reports.test_import_admin import editor, post_feed  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

LONG = "x" * 5000
HUGE = "9" * 5000
HUGE_NUMBER = "<a 5,000-digit JSON number>"  # Python cannot even print it as an int

JSON_CASES = {
    "NUL in the master PDF path": {"master_pdf": "report\u0000.pdf"},
    "a 5,000-character PDF path": {"master_pdf": LONG + ".pdf"},
    "a PDF path that is a folder's 300 levels": {"sample_pdf": "a/" * 300 + "x.pdf"},
    "NUL in the English title": {"translations": {"en": {"title": "Gadget\u0000 Market"}}},
    "NUL in the publisher": {"publisher": "North\u0000bridge"},
    "NUL in the product code": {"product_code": "BAD\u0000"},
    "NUL in a category slug": {"categories": ["medical\u0000devices"]},
    "NUL in a field name": {"pages\u0000": 10},
    "NUL in the table of contents": {"toc": {"en": "1 Pre\u0000face"}},
    "a lone surrogate in the summary": {
        "translations": {"en": {"title": "Gadgets", "summary": "\ud800"}}
    },
    "a 5,000-character title": {"translations": {"en": {"title": LONG}}},
    "a 5,000-character publisher": {"publisher": LONG},
    "a 5,000-character slug": {"slug": LONG},
    "a 5,000-character product code": {"product_code": LONG},
    "a 5,000-character category slug": {"categories": [LONG]},
    "a 5,000-character meta description": {
        "translations": {"en": {"title": "Gadgets", "meta_description": LONG}}
    },
    "a 5,000-character currency": {"currency": LONG},
    "a 5,000-character status": {"status": LONG},
    "a list as the title": {"translations": {"en": {"title": ["Gadgets"]}}},
    "an object as the publisher": {"publisher": {"name": "Northbridge"}},
    "a list as the page count": {"pages": [184]},
    "a number as the categories": {"categories": 7},
    "a list of lists as the TOC": {"toc": {"en": [["1 Preface"]]}},
    "a string as the licences": {"licences": "single_user"},
    "a list as a licence price": {"licences": [{"license_type": "single_user", "price": [1]}]},
    "true as the pages": {"pages": True},
    "a 5,000-digit page count": {"pages": HUGE_NUMBER},
    "a 5,000-digit price": {"licences": [{"license_type": "single_user", "price": HUGE_NUMBER}]},
    "a 5,000-digit market size": {"key_statistics": [{"kind": "base_year", "amount": HUGE_NUMBER}]},
    "a page count past PostgreSQL's integer": {"pages": 2**31},
    "a negative page count": {"pages": -5},
    "negative delivery days": {"delivery_days": -1},
    "a base year of 70,000": {"base_year": 70000},
    "a negative price": {"licences": [{"license_type": "single_user", "price": -3949}]},
    "a market size of 1e40": {"key_statistics": [{"kind": "base_year", "amount": "1e40"}]},
    "a date of year 99999": {"published_on": "99999-01-01"},
    "publish_at as a number": {"publish_at": 1700000000},
    "the whole report as a list": None,  # replaced below: the row itself is not an object
}


def _hostile_json(name):
    if name == "the whole report as a list":
        return ["HOSTILE", "Gadgets"]
    report = json_report("HOSTILE")
    for key, value in JSON_CASES[name].items():
        if key == "translations":
            report["translations"] = {**report["translations"], **value}
        else:
            report[key] = value
    return report


def _dump(reports) -> str:
    # ensure_ascii keeps NUL and lone surrogates as JSON escapes, as a feed would carry them.
    text = json.dumps({"reports": reports}, ensure_ascii=True)
    return text.replace(json.dumps(HUGE_NUMBER), HUGE)


@pytest.mark.parametrize("case", list(JSON_CASES))
def test_a_hostile_json_row_fails_alone(case, tmp_path):
    # given a feed with a good row, the hostile row, and another good row
    feed = tmp_path / "feed.json"
    feed.write_text(_dump([json_report("GOOD-1"), _hostile_json(case), json_report("GOOD-2")]))
    # when it is imported
    run = import_reports(feed)
    # then both good rows are in, the bad one is reported by its row label and nothing of it
    # is stored
    assert run.status == 1, run
    assert "report 2" in run.stdout, run.stdout
    assert "1 failed" in run.stdout
    assert "The database refused" not in run.stdout  # the feed's own checks said why
    assert set(Report.objects.values_list("product_code", flat=True)) == {"GOOD-1", "GOOD-2"}


def test_a_deeply_nested_report_fails_alone(tmp_path):
    # given a feed whose second report holds a value nested 100,000 levels deep
    deep = "[" * 100_000 + "]" * 100_000
    good = [json.dumps(json_report(code)) for code in ("GOOD-1", "GOOD-2")]
    text = '{"reports": [%s, {"product_code": "DEEP", "pages": %s}, %s]}' % (good[0], deep, good[1])
    feed = tmp_path / "feed.json"
    feed.write_text(text)
    # when it is imported
    run = import_reports(feed)
    # then that report alone fails, with a reason, and the others are imported
    assert run.status == 1, run
    assert "report 2 · DEEP · failed" in run.stdout, run.stdout
    assert "nested too deeply" in run.stdout
    assert set(Report.objects.values_list("product_code", flat=True)) == {"GOOD-1", "GOOD-2"}


def test_a_feed_that_is_nested_too_deeply_as_a_whole_is_refused_clearly(tmp_path):
    # given a feed with no list of reports and one member nested 100,000 levels deep
    feed = tmp_path / "feed.json"
    feed.write_text('{"meta": ' + "[" * 100_000 + "]" * 100_000 + "}")
    # when it is imported, then the command says why it read nothing
    run = import_reports(feed)
    assert run.status == 2, run
    assert "nested too deeply" in run.stderr


CSV_CASES = {
    "NUL in the master PDF path": {"master_pdf": "report\x00.pdf"},
    "a 5,000-character PDF path": {"master_pdf": LONG + ".pdf"},
    "NUL in the English title": {"title_en": "Widget\x00 Market"},
    "NUL in the product code": {"product_code": "BAD\x00"},
    "a 5,000-character title": {"title_en": LONG},
    "a 5,000-character publisher": {"publisher": LONG},
    "a 5,000-character product code": {"product_code": LONG},
    "a 5,000-digit page count": {"pages": HUGE},
    "a 5,000-digit price": {"price_single_user": HUGE},
    "a 5,000-digit market size": {"base_year_size": HUGE},
    "a page count past PostgreSQL's integer": {"pages": str(2**31)},
    "a negative page count": {"pages": "-5"},
    "a price of 1e40": {"price_single_user": "1e40"},
}


@pytest.mark.parametrize("case", list(CSV_CASES))
def test_a_hostile_csv_row_fails_alone(case, tmp_path):
    # given a CSV feed with the hostile row between two good ones
    rows = [csv_row("GOOD-1"), csv_row("HOSTILE", **CSV_CASES[case]), csv_row("GOOD-2")]
    feed = write_csv(tmp_path / "feed.csv", rows)
    # when it is imported
    run = import_reports(feed)
    # then only the hostile row (from line 9: the TOC cells span lines) fails
    assert run.status == 1, run
    assert "line 9" in run.stdout, run.stdout
    assert "1 failed" in run.stdout
    assert "The database refused" not in run.stdout
    assert set(Report.objects.values_list("product_code", flat=True)) == {"GOOD-1", "GOOD-2"}


def test_a_csv_row_that_is_not_utf8_fails_alone(tmp_path):
    # given a UTF-8 CSV feed whose middle row was pasted in from a Latin-1 file
    rows = [csv_row("GOOD-1"), csv_row("LATIN-1", title_en="Caf\u00e9 Market"), csv_row("GOOD-2")]
    feed = write_csv(tmp_path / "feed.csv", rows)
    data = feed.read_bytes().replace("Caf\u00e9".encode(), "Caf\u00e9".encode("latin-1"))
    feed.write_bytes(data)
    # when it is imported
    run = import_reports(feed)
    # then that row is reported as not UTF-8, and the others are imported
    assert run.status == 1, run
    assert "line 9 · LATIN-1 · failed" in run.stdout, run.stdout
    assert "not UTF-8" in run.stdout
    assert set(Report.objects.values_list("product_code", flat=True)) == {"GOOD-1", "GOOD-2"}


def test_a_json_report_that_is_not_utf8_fails_alone(tmp_path):
    good = [json.dumps(json_report(code)) for code in ("GOOD-1", "GOOD-2")]
    bad = json.dumps(json_report("LATIN-1", publisher="Caf\u00e9 Research"), ensure_ascii=False)
    text = '{"reports": [%s, %s, %s]}' % (good[0], bad, good[1])
    feed = tmp_path / "feed.json"
    feed.write_bytes(text.encode().replace("Caf\u00e9".encode(), "Caf\u00e9".encode("latin-1")))
    run = import_reports(feed)
    assert run.status == 1, run
    assert "report 2 · LATIN-1 · failed" in run.stdout, run.stdout
    assert "not UTF-8" in run.stdout
    assert set(Report.objects.values_list("product_code", flat=True)) == {"GOOD-1", "GOOD-2"}


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "The feed is empty."),
        (b"   \n", "The feed is empty."),
        ("\ufeff".encode(), "The feed is empty."),
        (b"\xff\xfe\x00p\x00r", "Save it as UTF-8"),
    ],
)
def test_an_empty_or_unreadable_file_is_refused_clearly(content, message, tmp_path):
    feed = tmp_path / "feed.csv"
    feed.write_bytes(content)
    run = import_reports(feed)
    assert run.status == 2, run
    assert message in run.stderr


def test_the_admin_page_reports_a_deeply_nested_report_and_imports_the_rest(editor):
    # given an upload whose middle report is nested 100,000 levels deep
    good = [json.dumps(json_report(code)) for code in ("GOOD-1", "GOOD-2")]
    deep = "{" + '"a": {' * 100_000 + "}" * 100_000 + "}"
    text = '[%s, {"product_code": "DEEP", "toc": %s}, %s]' % (good[0], deep, good[1])
    upload = SimpleUploadedFile("feed.json", text.encode(), content_type="application/json")
    # when an editor imports it
    response = post_feed(editor, upload, dry_run=False)
    # then the page answers, the row says why, and the other reports are in
    assert response.status_code == 200
    page = response.content.decode()
    assert "nested too deeply" in page
    assert "2 created" in page
    assert set(Report.objects.values_list("product_code", flat=True)) == {"GOOD-1", "GOOD-2"}


def test_the_admin_page_reports_hostile_rows_and_imports_the_rest(editor):
    reports = [json_report("GOOD-1"), _hostile_json("NUL in the English title"),
               _hostile_json("a lone surrogate in the summary"), json_report("GOOD-2")]
    reports[2]["product_code"] = "HOSTILE-2"
    upload = SimpleUploadedFile("feed.json", _dump(reports).encode())
    response = post_feed(editor, upload, dry_run=False)
    assert response.status_code == 200
    page = response.content.decode()
    assert "2 created" in page and "2 failed" in page
    assert set(Report.objects.values_list("product_code", flat=True)) == {"GOOD-1", "GOOD-2"}


def test_a_pdf_path_past_the_file_system_limits_fails_alone_with_real_files(tmp_path):
    # given a feed next to its PDF, naming it correctly once and impossibly once
    (tmp_path / "good.pdf").write_bytes(minimal_pdf())
    feed = write_json(tmp_path / "feed.json", [
        json_report("GOOD-1", master_pdf="good.pdf"),
        json_report("HOSTILE", master_pdf="a" * 300 + ".pdf"),
        json_report("GOOD-2"),
    ])
    run = import_reports(feed)
    assert run.status == 1, run
    assert "report 2 · HOSTILE · failed" in run.stdout
    assert Report.objects.get(product_code="GOOD-1").master_pdf.name.startswith("masters/")
    assert Report.objects.filter(product_code="GOOD-2").exists()
