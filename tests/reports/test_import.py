"""import_reports: feeds in JSON and CSV become reports, row by row, and only what
changed is written. Every test runs the real command on real files under tmp_path."""

import csv
import io
import json
import shutil
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reports import importing, services
from reports.models import (
    KeyStatistic,
    LicenseOption,
    LicenseType,
    Publisher,
    Report,
    ReportStatus,
    TocEntry,
)
from tests.factories import make_category, make_publisher, make_report, minimal_pdf

pytestmark = pytest.mark.django_db

EXAMPLES = Path(settings.BASE_DIR) / "docs" / "examples"
ReportTranslation = Report._parler_meta.root_model
TocTranslation = TocEntry._parler_meta.root_model
WRITES = ("INSERT", "UPDATE", "DELETE")

CSV_HEADER = [
    "product_code", "publisher", "categories", "published_on", "pages", "base_year",
    "forecast_start_year", "forecast_end_year", "title_en", "title_zh_hans", "summary_en",
    "summary_zh_hans", "currency", "base_year_size", "estimated_year_size", "forecast_year_size",
    "cagr", "price_single_user", "price_multi_user", "price_site", "price_enterprise", "toc_en",
    "toc_zh_hans", "master_pdf", "delivery_mode", "delivery_days",
]
TOC_EN = "1 Preface\n1.1 Objectives of the Study\n2 Research Methodology\n2.1 Data Sources"
TOC_ZH = "1 序言\n1.1 研究目标\n2 研究方法\n2.1 数据来源"


@pytest.fixture(autouse=True)
def demo_categories():
    """The category slugs the example feeds and these tests use."""
    return {
        slug: make_category(slug=slug, name_en=name_en, name_zh=name_zh)
        for slug, name_en, name_zh in (
            ("medical-education", "Medical Education", "医学教育"),
            ("medical-devices", "Medical Devices", "医疗器械"),
            ("energy-storage", "Energy Storage", "储能"),
        )
    }


class Run:
    """What one command run printed, and its exit status (0 when it returned)."""

    def __init__(self, stdout: str, stderr: str, status: int):
        self.stdout, self.stderr, self.status = stdout, stderr, status

    def __repr__(self):
        return f"Run(status={self.status}, stdout={self.stdout!r}, stderr={self.stderr!r})"


def import_reports(path, *args) -> Run:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_reports", str(path), *args, stdout=out, stderr=err)
    except CommandError as error:
        return Run(out.getvalue(), err.getvalue() + str(error), error.returncode)
    return Run(out.getvalue(), err.getvalue(), 0)


# Published without a master PDF, a row must promise delivery on order.
ON_ORDER = {"delivery_mode": "on_order", "delivery_days": "2"}
ON_ORDER_JSON = {"delivery_mode": "on_order", "delivery_days": 2}


def csv_row(code: str, **values) -> dict:
    """A complete, valid CSV row in both languages; keyword arguments override cells."""
    row = {
        "product_code": code,
        "publisher": "Northbridge Insights",
        "categories": "medical-devices",
        "published_on": "2025-11-03",
        "pages": "184",
        "base_year": "2025",
        "forecast_start_year": "2026",
        "forecast_end_year": "2032",
        "title_en": f"Widget Market {code} - Global Forecast 2026-2032",
        "title_zh_hans": f"小部件市场 {code} - 2026年至2032年全球预测",
        "summary_en": "<p>The widget market grows.</p>",
        "summary_zh_hans": "<p>小部件市场正在增长。</p>",
        "currency": "USD",
        "base_year_size": "6.84 billion",
        "estimated_year_size": "7,520,000,000",
        "forecast_year_size": "14.01 billion",
        "cagr": "10.78%",
        "price_single_user": "3949",
        "price_multi_user": "4949",
        "price_site": "",
        "price_enterprise": "6949",
        "toc_en": TOC_EN,
        "toc_zh_hans": TOC_ZH,
        "master_pdf": "",
        "delivery_mode": "",
        "delivery_days": "",
    }
    row.update(values)
    return row


def write_csv(path: Path, rows: list[dict], header=CSV_HEADER, encoding="utf-8") -> Path:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def json_report(code: str, **values) -> dict:
    report = {
        "product_code": code,
        "publisher": "Northbridge Insights",
        "categories": ["medical-devices"],
        "published_on": "2025-11-03",
        "base_year": 2025,
        "forecast_start_year": 2026,
        "forecast_end_year": 2032,
        "translations": {
            "en": {"title": f"Gadget Market {code}", "summary": "<p>Gadgets sell.</p>"},
            "zh-hans": {"title": f"小工具市场 {code}", "summary": "<p>小工具畅销。</p>"},
        },
        "key_statistics": [
            {"kind": "base_year", "amount": 6840000000},
            {"kind": "cagr", "percentage": 10.78},
        ],
        "licences": [{"license_type": "single_user", "price": 3949}],
        "toc": {"en": TOC_EN, "zh-hans": TOC_ZH},
    }
    report.update(values)
    return report


def write_json(path: Path, reports: list[dict]) -> Path:
    path.write_text(json.dumps({"reports": reports}, ensure_ascii=False), encoding="utf-8")
    return path


def table_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Report, ReportTranslation, KeyStatistic, LicenseOption, TocEntry,
                      TocTranslation, Publisher)
    }


def snapshot() -> dict:
    """Every row an import may touch, as values: equal snapshots, equal databases."""
    return {
        model.__name__: sorted(model.objects.values_list(), key=lambda row: row[0])
        for model in (Report, ReportTranslation, KeyStatistic, LicenseOption, TocEntry,
                      TocTranslation, Publisher, Report.categories.through)
    }


def translations(report) -> dict:
    return {t.language_code: t for t in ReportTranslation.objects.filter(master=report)}


def toc_lines(report) -> list[tuple]:
    lines = []
    for entry in TocEntry.objects.filter(report=report).prefetch_related("translations"):
        titles = {t.language_code: t.title for t in entry.translations.all()}
        lines.append((entry.depth, titles.get("en"), titles.get("zh-hans")))
    return lines


def statistics(report) -> list[tuple]:
    return list(KeyStatistic.objects.filter(report=report).values_list(
        "kind", "year", "amount", "currency", "percentage"))


def prices(report) -> dict:
    return {option.license_type: (option.price, option.currency)
            for option in LicenseOption.objects.filter(report=report)}


def error_lines(report: str) -> list[str]:
    """The indented error lines of a printed report (notes left out)."""
    return [line for line in report.splitlines()
            if line.startswith("    ") and not line.startswith("    note:")]


def copy_examples(tmp_path: Path) -> Path:
    folder = tmp_path / "examples"
    shutil.copytree(EXAMPLES, folder)
    return folder


# --- The example feeds ------------------------------------------------------------------


def test_example_json_feed_imports_reports_in_both_languages(tmp_path):
    # given
    feed = copy_examples(tmp_path) / "feed.json"

    # when
    run = import_reports(feed)

    # then
    assert run.status == 0, run
    assert "3 created, 0 updated, 0 unchanged, 0 failed." in run.stdout
    cme = Report.objects.get(product_code="1994249")
    assert cme.status == ReportStatus.DRAFT
    # No slug in the row: made from the English title, as the admin makes it.
    assert cme.slug == (
        "continuing-medical-education-market-by-delivery-mode-specialty-target-audience-"
        "provider-global-forecast-2026-2032")
    assert Report.objects.get(product_code="2011873").slug == "sodium-ion-battery-market-europe"
    assert cme.publisher.name == "360iResearch"
    assert list(cme.categories.values_list("slug", flat=True)) == ["medical-education"]
    assert (cme.pages, cme.formats, cme.base_year, cme.forecast_period) == (
        196, "pdf_excel", 2025, "2026-2032")
    texts = translations(cme)
    assert texts["en"].title.startswith("Continuing Medical Education Market by Delivery Mode")
    assert texts["zh-hans"].title == (
        "继续医学教育（CME）市场：按交付方式、专业、目标受众和提供者划分-2026年至2032年全球市场预测")
    assert "93.1 亿美元" in texts["zh-hans"].summary
    assert statistics(cme) == [
        ("base_year", 2025, Decimal("9310000000.00"), "USD", None),
        ("estimated_year", 2026, Decimal("10040000000.00"), "USD", None),
        ("forecast_year", 2032, Decimal("17700000000.00"), "USD", None),
        ("cagr", None, None, "", Decimal("9.61")),
    ]
    assert prices(cme) == {
        "single_user": (Decimal("3939.00"), "USD"),
        "multi_user": (Decimal("4249.00"), "USD"),
        "enterprise": (Decimal("5759.00"), "USD"),
    }
    toc = toc_lines(cme)
    assert len(toc) == 22
    assert toc[:2] == [(1, "Preface", "序言"), (2, "Objectives of the Study", "研究目标")]
    assert cme.sample_pdf.name.startswith("samples/1994249-")
    with cme.sample_pdf.open("rb") as stored:
        assert stored.read(5) == b"%PDF-"
    # The listing columns were refreshed after the row.
    assert (cme.price_from, cme.price_currency) == (Decimal("3939.00"), "USD")
    assert "继续医学教育" in cme.search_text and "continuing medical education" in cme.search_text


def test_example_csv_feed_describes_the_same_reports_as_the_json_one(tmp_path):
    # given: the JSON example imported
    folder = copy_examples(tmp_path)
    assert import_reports(folder / "feed.json").status == 0
    before = snapshot()

    # when: the CSV example, its spreadsheet twin, is imported over it
    run = import_reports(folder / "feed.csv")

    # then: nothing differs
    assert run.status == 0, run
    assert "0 created, 0 updated, 3 unchanged, 0 failed." in run.stdout
    assert snapshot() == before


def test_example_csv_feed_imports_on_its_own(tmp_path):
    run = import_reports(copy_examples(tmp_path) / "feed.csv")

    assert run.status == 0, run
    assert "3 created" in run.stdout
    sodium = Report.objects.get(product_code="2011873")
    assert sodium.publisher.name == "Lumen Energy Research"  # created by the import
    assert sodium.publisher.slug == "lumen-energy-research"
    assert statistics(sodium) == [
        ("base_year", 2025, Decimal("412500000.00"), "EUR", None),
        ("forecast_year", 2031, Decimal("1850000000.00"), "EUR", None),
        ("cagr", None, None, "", Decimal("28.40")),
    ]
    assert prices(sodium)["site"] == (Decimal("5400.00"), "EUR")


# --- Publishing ------------------------------------------------------------------------


def test_published_import_shows_on_the_catalogue_in_both_languages(tmp_path, client):
    # given
    feed = write_csv(tmp_path / "feed.csv", [csv_row("PUB-1", **ON_ORDER)])

    # when
    run = import_reports(feed, "--publish")

    # then
    assert run.status == 0, run
    report = Report.objects.get(product_code="PUB-1")
    assert report.status == ReportStatus.PUBLISHED
    assert abs(report.publish_at - timezone.now()) < timedelta(minutes=1)
    english = client.get(f"/en/reports/PUB-1/{report.slug}/").content.decode()
    assert "Widget Market PUB-1 - Global Forecast 2026-2032" in english
    assert "Research Methodology" in english
    assert "USD 6.84 billion" in english
    assert "3,949" in english
    chinese = client.get(f"/zh-hans/reports/PUB-1/{report.slug}/").content.decode()
    assert "小部件市场 PUB-1" in chinese
    assert "研究方法" in chinese
    assert "小部件市场正在增长" in chinese
    assert "Widget Market PUB-1" in client.get("/en/reports/").content.decode()


def test_without_publish_new_reports_are_drafts_and_hidden(tmp_path, client):
    feed = write_csv(tmp_path / "feed.csv", [csv_row("DRAFT-1")])

    assert import_reports(feed).status == 0

    report = Report.objects.get(product_code="DRAFT-1")
    assert (report.status, report.publish_at) == (ReportStatus.DRAFT, None)
    assert client.get(f"/en/reports/DRAFT-1/{report.slug}/").status_code == 404


def test_without_publish_a_stored_report_keeps_its_status(tmp_path):
    # given: a published report, and a feed that says "draft" for it
    published_at = datetime(2025, 1, 2, 8, 0, tzinfo=UTC)
    make_report(product_code="LIVE-1", status=ReportStatus.PUBLISHED, publish_at=published_at)
    feed = write_json(tmp_path / "feed.json", [json_report("LIVE-1", status="draft")])

    # when
    run = import_reports(feed)

    # then: the content is updated, the listing stays public, and the editor is told
    assert run.status == 0, run
    report = Report.objects.get(product_code="LIVE-1")
    assert (report.status, report.publish_at) == (ReportStatus.PUBLISHED, published_at)
    assert "status and publish_at are applied only when publishing" in run.stdout


def test_a_published_row_with_neither_a_master_nor_delivery_on_order_is_refused(tmp_path):
    # given: one row buyers could pay for but never receive, one promised on order
    feed = write_csv(tmp_path / "feed.csv", [csv_row("BARE-9"), csv_row("WAIT-9", **ON_ORDER)])

    # when
    run = import_reports(feed, "--publish")

    # then
    assert run.status == 1
    assert "BARE-9 · failed" in run.stdout
    assert "master_pdf: A report needs its master PDF before it can be scheduled" in run.stdout
    assert not Report.objects.filter(product_code="BARE-9").exists()
    waiting = Report.objects.get(product_code="WAIT-9")
    assert (waiting.status, waiting.delivery_mode, waiting.delivery_days) == (
        ReportStatus.PUBLISHED, "on_order", 2,
    )  # fmt: skip


def test_a_row_that_leaves_a_listing_without_master_as_it_is_still_updates_its_text(tmp_path):
    # given: listed before publishing needed a master (the shop refuses to sell it)
    make_report(product_code="OLD-1", master_pdf=None, title_en="Widget Market OLD-1")
    feed = write_csv(tmp_path / "feed.csv", [csv_row("OLD-1", summary_en="<p>New text.</p>")])

    # when
    run = import_reports(feed)

    # then
    assert run.status == 0, run
    report = Report.objects.get(product_code="OLD-1")
    assert report.safe_translation_getter("summary", language_code="en") == "<p>New text.</p>"


def test_publish_keeps_the_time_of_a_report_already_out_so_a_rerun_changes_nothing(tmp_path):
    feed = write_csv(tmp_path / "feed.csv", [csv_row("PUB-2", **ON_ORDER)])
    assert import_reports(feed, "--publish").status == 0
    first = Report.objects.get(product_code="PUB-2")

    run = import_reports(feed, "--publish")

    assert "0 created, 0 updated, 1 unchanged" in run.stdout
    again = Report.objects.get(product_code="PUB-2")
    assert (again.publish_at, again.updated_at) == (first.publish_at, first.updated_at)


def test_publish_uses_the_rows_status_and_time(tmp_path, client):
    later = "2099-01-01T09:00:00+08:00"
    feed = write_json(tmp_path / "feed.json", [
        json_report("SCHED-1", status="scheduled", publish_at=later, **ON_ORDER_JSON),
        json_report("NOW-1", **ON_ORDER_JSON),
    ])

    assert import_reports(feed, "--publish").status == 0

    scheduled = Report.objects.get(product_code="SCHED-1")
    assert scheduled.status == ReportStatus.SCHEDULED
    assert scheduled.publish_at == datetime(2099, 1, 1, 1, 0, tzinfo=UTC)
    assert client.get(f"/en/reports/SCHED-1/{scheduled.slug}/").status_code == 404
    now = Report.objects.get(product_code="NOW-1")
    assert client.get(f"/en/reports/NOW-1/{now.slug}/").status_code == 200


def test_publish_schedules_a_row_whose_time_is_in_the_future(tmp_path):
    feed = write_json(tmp_path / "feed.json", [
        json_report("LATER-1", publish_at="2099-06-01T00:00:00Z", **ON_ORDER_JSON)])

    assert import_reports(feed, "--publish").status == 0

    assert Report.objects.get(product_code="LATER-1").status == ReportStatus.SCHEDULED


def test_publish_follows_the_editors_status_rules(tmp_path):
    # given: a published report, and rows that would break the editors' rules
    make_report(product_code="LIVE-2", status=ReportStatus.PUBLISHED)
    feed = write_json(tmp_path / "feed.json", [
        json_report("LIVE-2", status="draft"),
        json_report("NOPRICE-1", licences=[]),
        json_report("PAST-1", status="scheduled", publish_at="2020-01-01T00:00:00Z"),
    ])

    # when
    run = import_reports(feed, "--publish")

    # then: each row refused with the reason an editor sees in the admin
    assert run.status == 1, run
    assert "0 created, 0 updated, 0 unchanged, 3 failed." in run.stdout
    with pytest.raises(services.PublicationError) as refused:
        services.check_transition(ReportStatus.PUBLISHED, ReportStatus.DRAFT)
    assert f"status: {refused.value.problems[0]}" in run.stdout
    assert f"licences: {services.NEEDS_LICENCE_OPTION}" in run.stdout
    assert f"publish_at: {services.NEEDS_FUTURE_TIME}" in run.stdout
    assert Report.objects.get(product_code="LIVE-2").status == ReportStatus.PUBLISHED


def test_a_listed_report_cannot_lose_its_last_licence_even_without_publish(tmp_path):
    live = make_report(product_code="LIVE-3", status=ReportStatus.PUBLISHED)
    feed = write_json(tmp_path / "feed.json", [json_report("LIVE-3", licences=[])])

    run = import_reports(feed)

    assert run.status == 1
    assert str(services.NEEDS_LICENCE_OPTION) in run.stdout
    assert LicenseOption.objects.filter(report=live).count() == 4


# --- Bad rows ------------------------------------------------------------------------


def test_bad_csv_rows_are_reported_by_line_and_column_and_good_rows_are_kept(tmp_path):
    # given: two good rows around six bad ones
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "broken.pdf").write_bytes(b"this is a Word file really")
    feed = write_csv(tmp_path / "feed.csv", [
        csv_row("GOOD-1"),
        csv_row("BAD-CAT", categories="medical-devices, no-such-category"),
        csv_row("BAD-PRICE", price_site="12,5O"),
        csv_row("BAD-TITLE", title_en=""),
        csv_row("BAD-DATE", published_on="03/11/2025"),
        csv_row("BAD-TOC", toc_zh_hans="1 序言\n1.1 研究目标\n2 研究方法"),
        csv_row("BAD-PDF", master_pdf="files/broken.pdf"),
        csv_row("GOOD-2"),
    ])

    # when
    run = import_reports(feed)

    # then: exit status 1, each bad row named by its line and column
    assert run.status == 1, run
    assert "2 created, 0 updated, 0 unchanged, 6 failed." in run.stdout
    report = run.stdout
    # A row takes seven physical lines (two four-line TOC cells); BAD-TOC takes six.
    assert "line 9 · BAD-CAT · failed" in report
    assert "categories: There is no category with the slug “no-such-category”." in report
    assert "line 16 · BAD-PRICE · failed" in report
    assert "price_site: “12,5O” is not a number." in report
    assert "line 23 · BAD-TITLE · failed" in report
    assert "title_en: The English title is required." in report
    assert "line 30 · BAD-DATE · failed" in report
    assert "published_on: “03/11/2025” is not a date such as 2026-10-20." in report
    assert "line 37 · BAD-TOC · failed" in report
    assert "toc_zh_hans: It has 3 lines but the English table of contents has 4" in report
    assert "line 43 · BAD-PDF · failed" in report
    assert "master_pdf: files/broken.pdf: This is not a PDF file." in report
    assert "6 rows failed" in run.stderr
    codes = set(Report.objects.values_list("product_code", flat=True))
    assert codes == {"GOOD-1", "GOOD-2"}
    assert len(toc_lines(Report.objects.get(product_code="GOOD-2"))) == 4


def test_bad_json_rows_are_reported_by_index_and_field(tmp_path):
    feed = write_json(tmp_path / "feed.json", [
        json_report("OK-1"),
        json_report("BAD-1", licences=[{"license_type": "single_user", "price": -5}]),
        json_report("BAD-2", key_statistics=[{"kind": "cagr", "amount": 5}]),
        json_report("BAD-3", translations={"zh-hans": {"title": "只有中文"}}),
        json_report("BAD-4", forecast_start_year=2033),
        json_report("BAD-5", colour="blue"),
        json_report("BAD-6", licences=[{"license_type": "site", "price": 1e40}]),
    ])

    run = import_reports(feed)

    assert run.status == 1, run
    assert "report 2 · BAD-1 · failed" in run.stdout
    assert "licences[1].price: Ensure this value is greater than or equal to 0.01." in run.stdout
    assert "key_statistics[1].percentage: The growth rate needs a percentage." in run.stdout
    assert "key_statistics[1].amount: A growth rate has a percentage, not an amount." in run.stdout
    assert "translations.en.title: The English title is required." in run.stdout
    assert "forecast_end_year: The forecast ends (2032) before it starts (2033)." in run.stdout
    assert "report 6 · BAD-5 · failed" in run.stdout
    assert "colour: Unknown field" in run.stdout
    assert "licences[1].price: “1E+40” is not a number." in run.stdout
    assert list(Report.objects.values_list("product_code", flat=True)) == ["OK-1"]


def test_a_report_given_twice_in_one_feed_is_an_error_on_the_second_row(tmp_path):
    feed = write_json(tmp_path / "feed.json", [
        json_report("TWICE-1"),
        json_report("TWICE-1", licences=[{"license_type": "site", "price": 1}]),
    ])

    dry = import_reports(feed, "--dry-run")
    real = import_reports(feed)

    for run in (dry, real):
        assert "report 2 · TWICE-1 · failed" in run.stdout, run
        assert "product_code: This report was given already (report 1)" in run.stdout
    assert prices(Report.objects.get(product_code="TWICE-1")) == {
        "single_user": (Decimal("3949.00"), "USD")}


def test_a_failed_row_leaves_nothing_behind_not_even_its_new_publisher(tmp_path):
    feed = write_csv(tmp_path / "feed.csv", [
        csv_row("HALF-1", publisher="Brand New Publisher", price_single_user="free"),
    ])

    run = import_reports(feed)

    assert run.status == 1
    assert table_counts()["Report"] == 0
    assert not Publisher.objects.filter(name="Brand New Publisher").exists()


def _refuse_huge_reports():
    """A rule only the database knows (a trigger): no report over 5,000 pages."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION test_refuse_huge() RETURNS trigger AS $$ BEGIN "
                "IF NEW.pages > 5000 THEN RAISE EXCEPTION 'reports over 5000 pages are refused'; "
                "END IF; RETURN NEW; END $$ LANGUAGE plpgsql")
            cursor.execute(
                "CREATE TRIGGER test_refuse_huge BEFORE INSERT OR UPDATE ON reports_report "
                "FOR EACH ROW EXECUTE FUNCTION test_refuse_huge()")
        else:
            cursor.execute(
                "CREATE TRIGGER test_refuse_huge BEFORE INSERT ON reports_report "
                "WHEN NEW.pages > 5000 BEGIN "
                "SELECT RAISE(ABORT, 'reports over 5000 pages are refused'); END")


def test_dry_run_finds_errors_only_the_database_knows(tmp_path):
    # given
    _refuse_huge_reports()
    feed = write_csv(tmp_path / "feed.csv", [csv_row("OK-1"), csv_row("HUGE-1", pages="9999")])

    # when
    dry = import_reports(feed, "--dry-run")
    real = import_reports(feed)

    # then: the same refusal, named on the same row, both times
    for run in (dry, real):
        assert run.status == 1, run
        assert "line 9 · HUGE-1 · failed" in run.stdout
        assert "The database refused the row" in run.stdout
        assert "reports over 5000 pages are refused" in run.stdout
    assert list(Report.objects.values_list("product_code", flat=True)) == ["OK-1"]


# --- Dry runs, re-imports and updates -----------------------------------------------------


def test_dry_run_writes_nothing_and_reports_what_would_happen(tmp_path):
    # given: one stored report, a feed that updates it, adds one and has a bad row
    folder = copy_examples(tmp_path)
    assert import_reports(folder / "feed.json").status == 0
    feed = write_csv(tmp_path / "feed.csv", [
        csv_row("NEW-1", publisher="Another New Publisher"),
        csv_row("BAD-1", price_single_user="lots"),
    ])
    rows = json.loads((folder / "feed.json").read_text())["reports"]
    rows[0]["licences"][0]["price"] = 3999
    write_json(folder / "changed.json", rows)
    before = snapshot()

    # when
    dry_csv = import_reports(feed, "--dry-run")
    dry_json = import_reports(folder / "changed.json", "--dry-run")

    # then
    assert snapshot() == before
    assert dry_csv.status == 1
    assert "line 2 · NEW-1 · would be created" in dry_csv.stdout
    assert "Publisher “Another New Publisher” would be created." in dry_csv.stdout
    assert "price_single_user: “lots” is not a number." in dry_csv.stdout
    assert "Dry run, nothing was written: 1 would be created, 0 would be updated, " \
           "0 unchanged, 1 failed." in dry_csv.stdout
    assert dry_json.status == 0
    assert "report 1 · 1994249 · would be updated (licences)" in dry_json.stdout
    assert "report 2 · 1987412 · unchanged" in dry_json.stdout

    # and the real run finds the same errors
    real = import_reports(feed)
    assert error_lines(real.stdout) == error_lines(dry_csv.stdout) != []


def test_dry_run_stores_no_pdf(tmp_path):
    (tmp_path / "master.pdf").write_bytes(minimal_pdf("Dry"))
    feed = write_csv(tmp_path / "feed.csv", [csv_row("DRYPDF-1", master_pdf="master.pdf")])
    storage = Report._meta.get_field("master_pdf").storage

    run = import_reports(feed, "--dry-run")

    assert "DRYPDF-1 · would be created" in run.stdout, run
    stored = storage.listdir("masters")[1] if storage.exists("masters") else []
    assert [name for name in stored if name.startswith("DRYPDF-1")] == []


def test_reimport_of_the_same_feed_writes_nothing(tmp_path):
    # given
    folder = copy_examples(tmp_path)
    feed = folder / "feed.json"
    assert import_reports(feed).status == 0
    before = snapshot()

    # when
    with CaptureQueriesContext(connection) as queries:
        run = import_reports(feed)

    # then
    assert run.status == 0, run
    assert "0 created, 0 updated, 3 unchanged, 0 failed." in run.stdout
    assert snapshot() == before
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().startswith(WRITES)]
    assert writes == []


def test_an_update_changes_only_what_changed(tmp_path):
    # given: an imported report
    feed = write_csv(tmp_path / "feed.csv", [csv_row("UPD-1"), csv_row("SAME-1")])
    assert import_reports(feed).status == 0
    report = Report.objects.get(product_code="UPD-1")
    same = Report.objects.get(product_code="SAME-1")
    english = translations(report)["en"]
    option_ids = dict(LicenseOption.objects.filter(report=report)
                      .values_list("license_type", "id"))
    toc_ids = list(TocEntry.objects.filter(report=report).values_list("id", flat=True))

    # when: the cheapest price and the Chinese summary change
    write_csv(feed, [
        csv_row("UPD-1", price_single_user="2999", summary_zh_hans="<p>新的摘要。</p>"),
        csv_row("SAME-1"),
    ])
    run = import_reports(feed, "--verbosity", "2")

    # then
    assert run.status == 0, run
    assert "0 created, 1 updated, 1 unchanged, 0 failed." in run.stdout
    assert "line 2 · UPD-1 · updated (summary_zh_hans, licences)" in run.stdout
    updated = Report.objects.get(product_code="UPD-1")
    assert updated.updated_at > report.updated_at
    assert prices(updated)[LicenseType.SINGLE_USER] == (Decimal("2999.00"), "USD")
    assert prices(updated)[LicenseType.MULTI_USER] == (Decimal("4949.00"), "USD")
    assert dict(LicenseOption.objects.filter(report=updated)
                .values_list("license_type", "id")) == option_ids
    assert list(TocEntry.objects.filter(report=updated).values_list("id", flat=True)) == toc_ids
    assert translations(updated)["zh-hans"].summary == "<p>新的摘要。</p>"
    unchanged_english = translations(updated)["en"]
    assert (unchanged_english.pk, unchanged_english.summary) == (english.pk, english.summary)
    assert updated.price_from == Decimal("2999.00")  # the listing follows
    assert Report.objects.get(product_code="SAME-1").updated_at == same.updated_at


def test_rows_that_give_figures_prices_or_toc_replace_them_and_rows_that_omit_them_keep_them(
    tmp_path,
):
    # given
    feed = write_json(tmp_path / "feed.json", [json_report("REP-1")])
    assert import_reports(feed).status == 0
    report = Report.objects.get(product_code="REP-1")
    kept_toc = toc_lines(report)

    # when: new figures and prices, no TOC at all
    replaced = json_report("REP-1", key_statistics=[{"kind": "cagr", "percentage": "12.5%"}],
                           licences=[{"license_type": "site", "price": "5,000",
                                      "currency": "eur"}])
    del replaced["toc"]
    write_json(feed, [replaced])
    run = import_reports(feed)

    # then
    assert run.status == 0, run
    assert statistics(report) == [("cagr", None, None, "", Decimal("12.50"))]
    assert prices(report) == {"site": (Decimal("5000.00"), "EUR")}
    assert toc_lines(report) == kept_toc


def test_a_shorter_toc_replaces_the_longer_one(tmp_path):
    feed = write_csv(tmp_path / "feed.csv", [csv_row("TOC-1")])
    assert import_reports(feed).status == 0

    write_csv(feed, [csv_row("TOC-1", toc_en="1 Summary\n2 Outlook", toc_zh_hans="1 摘要\n2 展望")])
    assert import_reports(feed).status == 0

    report = Report.objects.get(product_code="TOC-1")
    assert toc_lines(report) == [(1, "Summary", "摘要"), (1, "Outlook", "展望")]
    assert TocTranslation.objects.filter(master__report=report).count() == 4


def test_a_partial_row_updates_what_it_gives_and_keeps_the_rest(tmp_path):
    # given: a full report, then a price list that names only code, title and a price
    feed = write_csv(tmp_path / "feed.csv", [csv_row("PART-1")])
    assert import_reports(feed).status == 0
    before = Report.objects.get(product_code="PART-1")
    prices_path = tmp_path / "prices.csv"
    header = ["product_code", "title_en", "price_single_user", "price_enterprise"]
    write_csv(prices_path, [{"product_code": "PART-1", "title_en": csv_row("PART-1")["title_en"],
                             "price_single_user": "2500", "price_enterprise": "5000"}],
              header=header)

    # when
    run = import_reports(prices_path, "-v", "2")

    # then: the prices are replaced; everything else stays
    assert "line 2 · PART-1 · updated (licences)" in run.stdout, run
    after = Report.objects.get(product_code="PART-1")
    assert prices(after) == {"single_user": (Decimal("2500.00"), "USD"),
                             "enterprise": (Decimal("5000.00"), "USD")}
    assert (after.publisher_id, after.published_on, after.pages) == (
        before.publisher_id, before.published_on, before.pages)
    assert translations(after)["zh-hans"].title == "小部件市场 PART-1 - 2026年至2032年全球预测"
    assert len(statistics(after)) == 4 and len(toc_lines(after)) == 4


def test_market_sizes_take_their_years_from_the_report(tmp_path):
    feed = write_csv(tmp_path / "feed.csv", [csv_row("YEAR-1", base_year="2024",
                                                     forecast_start_year="2025",
                                                     forecast_end_year="2031")])

    assert import_reports(feed).status == 0

    years = [row[1] for row in statistics(Report.objects.get(product_code="YEAR-1"))]
    assert years == [2024, 2025, 2031, None]


def test_json_toc_may_be_a_list_of_lines_and_csv_headers_may_vary_in_case(tmp_path):
    write_json(tmp_path / "feed.json", [json_report(
        "LIST-1", toc={"en": ["1 Preface", "2 Outlook"], "zh-hans": ["1 序言", "2 展望"]})])
    header = [column.replace("_", " ").title() for column in CSV_HEADER]  # "Title Zh Hans"
    rows = [{new: value for new, value in zip(header, csv_row("CASE-1").values())}]
    write_csv(tmp_path / "feed.csv", rows, header=header)

    assert import_reports(tmp_path / "feed.json").status == 0
    assert import_reports(tmp_path / "feed.csv").status == 0

    assert toc_lines(Report.objects.get(product_code="LIST-1")) == [
        (1, "Preface", "序言"), (1, "Outlook", "展望")]
    assert translations(Report.objects.get(product_code="CASE-1"))["zh-hans"].title.startswith(
        "小部件市场")


def test_a_chinese_toc_must_follow_the_english_numbering(tmp_path):
    feed = write_json(tmp_path / "feed.json", [
        json_report("NUM-1", toc={"en": "1 Preface\n1.1 Scope", "zh-hans": "1 序言\n2 范围"}),
        json_report("NUM-2", toc={"zh-hans": "1 序言"}),
    ])

    run = import_reports(feed)

    assert run.status == 1
    assert "toc.zh-hans: Line 2 is numbered 2 where the English line is 1.1." in run.stdout
    assert "toc.zh-hans: A table of contents needs its English lines" in run.stdout


# --- Files, encodings and unreadable feeds ---------------------------------------------


def test_master_pdf_is_stored_privately_and_gives_the_page_count(tmp_path):
    # given
    (tmp_path / "pdfs").mkdir()
    (tmp_path / "pdfs" / "master.pdf").write_bytes(minimal_pdf("Master"))
    feed = write_csv(tmp_path / "feed.csv", [csv_row("PDF-1", master_pdf="pdfs/master.pdf")])

    # when
    run = import_reports(feed)

    # then: one page, as the file has, whatever the row said
    assert run.status == 0, run
    report = Report.objects.get(product_code="PDF-1")
    assert report.pages == 1
    assert "pages: 184 replaced by the master PDF's 1." in run.stdout
    assert report.master_pdf.name.startswith("masters/PDF-1-")
    assert report.master_pdf.storage.exists(report.master_pdf.name)
    # The same file again is not stored again.
    assert "1 unchanged" in import_reports(feed).stdout


def test_a_pdf_path_outside_the_feeds_folder_is_refused(tmp_path):
    (tmp_path / "secret.pdf").write_bytes(minimal_pdf())
    (tmp_path / "feeds").mkdir()
    feed = write_csv(tmp_path / "feeds" / "feed.csv",
                     [csv_row("ESC-1", master_pdf="../secret.pdf")])

    run = import_reports(feed)

    assert run.status == 1
    assert "master_pdf: “../secret.pdf” is outside the feed's folder." in run.stdout


def test_csv_saved_by_excel_with_a_byte_order_mark_and_semicolons_imports(tmp_path):
    # given: Excel's "CSV UTF-8", with the semicolons of a European locale
    path = tmp_path / "excel.csv"
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=CSV_HEADER, delimiter=";", lineterminator="\r\n")
    writer.writeheader()
    writer.writerow(csv_row("BOM-1"))
    path.write_bytes(buffer.getvalue().encode("utf-8-sig"))

    # when
    run = import_reports(path)

    # then
    assert run.status == 0, run
    report = Report.objects.get(product_code="BOM-1")
    assert translations(report)["zh-hans"].title == "小部件市场 BOM-1 - 2026年至2032年全球预测"


def test_unnamed_empty_columns_after_the_last_one_are_ignored(tmp_path):
    path = tmp_path / "feed.csv"
    path.write_text("product_code,title_en,publisher,published_on,,\r\n"
                    "EMPTY-1,Valve Market,Northbridge Insights,2025-11-03,,\r\n", encoding="utf-8")

    assert import_reports(path).status == 0
    assert Report.objects.filter(product_code="EMPTY-1").exists()


def test_chinese_text_round_trips_exactly(tmp_path, client):
    # given: full-width punctuation, a full-width numbered TOC and CJK in every field
    title = "可穿戴心脏监测设备市场：按产品类型、最终用户和分销渠道划分－２０２６年至２０３２年"
    summary = "<p>动态心脏监测正从诊室走向患者的日常生活。「贴片式」设备：１４天。</p>"
    feed = write_csv(tmp_path / "feed.csv", [csv_row(
        "ZH-1", title_zh_hans=title, summary_zh_hans=summary, **ON_ORDER,
        toc_zh_hans="１　序言\n１．１　研究目标\n２　研究方法\n２．１　数据来源",
    )])

    # when
    run = import_reports(feed, "--publish")

    # then
    assert run.status == 0, run
    report = Report.objects.get(product_code="ZH-1")
    chinese = translations(report)["zh-hans"]
    assert (chinese.title, chinese.summary) == (title, summary)
    assert [line[2] for line in toc_lines(report)] == ["序言", "研究目标", "研究方法", "数据来源"]
    page = client.get(f"/zh-hans/reports/ZH-1/{report.slug}/").content.decode()
    assert title in page and "「贴片式」设备：１４天。" in page
    # A re-import compares the stored text with the feed's: equal.
    assert "1 unchanged" in import_reports(feed, "--publish").stdout


def test_unsafe_summary_html_is_cleaned_and_a_reimport_sees_no_change(tmp_path):
    feed = write_csv(tmp_path / "feed.csv", [
        csv_row("XSS-1", summary_en='<p onclick="steal()">Hi<script>alert(1)</script></p>'),
    ])

    assert import_reports(feed).status == 0
    assert translations(Report.objects.get(product_code="XSS-1"))["en"].summary == "<p>Hi</p>"
    assert "1 unchanged" in import_reports(feed).stdout


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("garbage.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "not UTF-8"),
        ("garbage.json", b"{\"reports\": [ {\"product_code\": ", "not valid JSON"),
        ("list.json", b"{\"items\": []}", "A JSON feed is an object with a list of reports"),
        ("empty.csv", b"", "The feed is empty."),
        ("feed.txt", b"product_code,title_en\n1,A\n", "name the file .json or .csv"),
        ("columns.csv", b"product_code,title_en,colour\n1,A,blue\n", "Unknown columns"),
        ("header.csv", b"title_en,publisher\nA,B\n", "lacks the required columns: product_code"),
    ],
)
def test_an_unreadable_feed_exits_with_status_2_and_writes_nothing(tmp_path, name, content,
                                                                   message):
    path = tmp_path / name
    path.write_bytes(content)

    run = import_reports(path)

    assert run.status == 2, run
    assert message in run.stderr
    assert table_counts()["Report"] == 0


def test_a_missing_file_exits_with_status_2(tmp_path):
    run = import_reports(tmp_path / "nowhere.json")

    assert run.status == 2
    assert "Cannot read" in run.stderr


def test_format_option_reads_a_file_whatever_its_name(tmp_path):
    path = write_csv(tmp_path / "export.txt", [csv_row("FMT-1")])

    assert import_reports(path, "--format", "csv").status == 0
    assert Report.objects.filter(product_code="FMT-1").exists()


def test_a_large_import_refreshes_the_planner_statistics(tmp_path, monkeypatch):
    # given: the threshold lowered so that three rows count as a large import
    monkeypatch.setattr(importing, "ANALYZE_THRESHOLD", 3)
    feed = write_csv(tmp_path / "feed.csv", [csv_row(f"LARGE-{n}") for n in range(3)])

    # when
    run = import_reports(feed)

    # then: PostgreSQL knows how many TOC lines there are (ANALYZE counts the rows
    # this transaction wrote); other databases have nothing to refresh
    assert run.status == 0, run
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class "
                           "WHERE relname = 'reports_tocentry_translation'")
            assert cursor.fetchone()[0] == TocTranslation.objects.count() == 24


# --- Output -----------------------------------------------------------------------------


def test_progress_bar_only_when_asked_and_the_summary_always(tmp_path):
    feed = write_csv(tmp_path / "feed.csv", [csv_row("BAR-1"), csv_row("BAR-2")])

    quiet = import_reports(feed, "--dry-run")
    shown = import_reports(feed, "--progress")

    assert quiet.stderr == ""
    assert "] 2/2" in shown.stderr and "[" + "#" * 30 + "]" in shown.stderr
    assert shown.stdout.strip().endswith("2 created, 0 updated, 0 unchanged, 0 failed.")


def test_the_report_language_can_be_chosen(tmp_path):
    feed = write_csv(tmp_path / "feed.csv", [csv_row("LANG-1", price_site="abc")])

    run = import_reports(feed, "--language", "zh-hans")

    # The wording follows the zh_Hans catalogue once its messages are translated; the
    # row, the product code and the column are named in any language.
    assert run.status == 1
    assert "LANG-1" in run.stdout and "price_site" in run.stdout


# --- The importer as a library ---------------------------------------------------------------


def test_an_uploaded_feed_cannot_bring_files():
    data = json.dumps({"reports": [json_report("UP-1", master_pdf="master.pdf")]}).encode()
    feed = importing.read_feed_bytes(data, format="json")

    summary = importing.import_feed(feed)

    assert summary.failed == 1
    assert "cannot bring PDF files" in str(summary.rows[0].errors[0])
    assert summary.rows[0].errors[0].field == "master_pdf"


def test_an_existing_publisher_is_found_by_name_in_any_case_or_by_slug(tmp_path):
    publisher = make_publisher(name="Halden & Moss Research", slug="halden-moss-research")
    feed = write_json(tmp_path / "feed.json", [
        json_report("P-1", publisher="halden & moss research"),
        json_report("P-2", publisher="halden-moss-research"),
    ])

    assert import_reports(feed).status == 0

    assert set(Report.objects.values_list("publisher", flat=True)) == {publisher.pk}
    assert Publisher.objects.count() == 1
