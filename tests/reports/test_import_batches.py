"""Feed rows committed in chunks: new reports inserted together, one cache invalidation
per import, and the same outcomes, hooks and listings as row by row."""

import pytest
from django.db import connection

from reports import page_cache, services
from reports.importing import run as importing_run
from reports.models import Publisher, Report, SearchWord
from tests.reports.test_import import (  # noqa: F401  (demo_categories: autouse)
    ON_ORDER,
    csv_row,
    demo_categories,
    error_lines,
    import_reports,
    snapshot,
    write_csv,
)

pytestmark = pytest.mark.django_db


def catalogue_version() -> int:
    version_cache = page_cache._version_cache()
    if version_cache.get(page_cache.VERSION_KEY) is None:
        page_cache.bump_catalogue_version()
    return version_cache.get(page_cache.VERSION_KEY)


def test_an_import_bumps_the_catalogue_version_once_however_many_rows_it_writes(tmp_path):
    # given: a stored report the feed updates, three new ones and a bad row
    write_csv(tmp_path / "first.csv", [csv_row("OLD-1")])
    assert import_reports(tmp_path / "first.csv").status == 0
    feed = write_csv(tmp_path / "feed.csv", [
        csv_row("OLD-1", title_en="Widget Market, revised"),
        csv_row("NEW-1"), csv_row("NEW-2"), csv_row("BAD-1", price_single_user="free"),
        csv_row("NEW-3"),
    ])
    before = catalogue_version()

    # when
    run = import_reports(feed)

    # then: one bump (the test's transaction never commits, so the after-commit
    # bump does not come; row by row there were five, one per written row)
    assert run.status == 1
    assert catalogue_version() - before == 1
    assert Report.objects.count() == 4


def test_a_dry_run_and_an_unchanged_reimport_leave_the_cached_pages_alone(tmp_path):
    feed = write_csv(tmp_path / "feed.csv", [csv_row("SAME-1"), csv_row("SAME-2")])
    before = catalogue_version()
    assert import_reports(feed, "--dry-run").status == 0
    assert catalogue_version() == before

    assert import_reports(feed).status == 0
    after_import = catalogue_version()
    assert import_reports(feed).status == 0
    assert catalogue_version() == after_import


def test_chunks_keep_the_good_rows_around_a_bad_one_and_name_each_outcome(tmp_path, monkeypatch):
    # given: chunks of three rows; the first row creates its publisher (stored in its
    # own savepoint), a row of the second chunk names an unknown category
    monkeypatch.setattr(importing_run, "CHUNK_ROWS", 3)
    feed = write_csv(tmp_path / "feed.csv", [
        csv_row("C-1"), csv_row("C-2"), csv_row("C-3"), csv_row("C-4", categories="no-such"),
        csv_row("C-5"),
    ])

    # when
    run = import_reports(feed)

    # then
    assert run.status == 1
    assert "· C-4 · failed" in run.stdout
    assert "There is no category with the slug “no-such”." in run.stdout
    assert "4 created, 0 updated, 0 unchanged, 1 failed." in run.stdout
    assert sorted(Report.objects.values_list("product_code", flat=True)) == [
        "C-1", "C-2", "C-3", "C-5"]


def test_reports_inserted_together_have_the_listing_and_hooks_of_a_saved_report(tmp_path):
    # given
    feed = write_csv(tmp_path / "feed.csv", [
        csv_row("HOOK-1", summary_en='<p>Grows.</p><script>alert(1)</script>',
                price_single_user="4100", price_multi_user="3900"),
    ])

    # when
    assert import_reports(feed).status == 0

    # then: summaries cleaned, one text time for both languages, the listing as
    # refresh_listing() computes it
    report = Report.objects.get(product_code="HOOK-1")
    translations = {t.language_code: t for t in report.translations.all()}
    assert "<script>" not in translations["en"].summary
    times = {t.text_changed_at for t in translations.values()}
    assert len(times) == 1 and None not in times
    imported = (report.search_text, report.price_from, report.price_currency)
    refreshed = services.refresh_listing(report_id=report.pk)
    assert (refreshed.search_text, refreshed.price_from, refreshed.price_currency) == imported
    assert "hook-1" in report.search_text and "northbridge insights" in report.search_text


def statements_of(path) -> list[str]:
    """Every statement of one import. Counted as they run: the import empties
    connection.queries after each chunk, so CaptureQueriesContext would miss some."""
    statements = []

    def note(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(note):
        assert import_reports(path).status == 0
    return statements


def test_the_statements_of_new_rows_do_not_grow_with_what_each_row_holds(tmp_path):
    # given: two feeds of new reports, 10 and 30 rows, each in one chunk, of a
    # publisher stored already (the first import creates it)
    assert import_reports(write_csv(tmp_path / "first.csv", [csv_row("F-1")])).status == 0
    small = write_csv(tmp_path / "small.csv", [csv_row(f"S-{n}") for n in range(10)])
    large = write_csv(tmp_path / "large.csv", [csv_row(f"L-{n}") for n in range(30)])

    # when
    small_run, large_run = statements_of(small), statements_of(large)

    # then: 20 rows more cost nothing: a row that writes nothing on its own opens no
    # savepoint, and the reports, texts, figures, prices and TOC go in with one
    # statement per table
    assert len(large_run) == len(small_run) > 0
    assert Report.objects.count() == 41


def test_the_reports_of_a_new_publisher_go_in_with_the_chunk(tmp_path):
    # given: 10 and 30 new reports, each feed of a publisher it names for the first time
    small = write_csv(tmp_path / "small.csv",
                      [csv_row(f"S-{n}", publisher="First Light Research") for n in range(10)])
    large = write_csv(tmp_path / "large.csv",
                      [csv_row(f"L-{n}", publisher="Second Wind Analytics") for n in range(30)])

    # when
    small_run, large_run = statements_of(small), statements_of(large)

    # then: the publisher is stored once, by its first row; the rows after it add nothing
    assert len(large_run) == len(small_run) > 0
    publisher = Publisher.objects.get(name="Second Wind Analytics")
    assert Report.objects.filter(publisher=publisher).count() == 30


def test_an_unchanged_reimport_reads_a_chunk_with_a_fixed_number_of_statements(tmp_path):
    # given: 10 and 30 stored reports
    small = write_csv(tmp_path / "small.csv", [csv_row(f"S-{n}") for n in range(10)])
    large = write_csv(tmp_path / "large.csv", [csv_row(f"L-{n}") for n in range(30)])
    statements_of(small), statements_of(large)

    # when: each feed imported again
    small_run, large_run = statements_of(small), statements_of(large)

    # then: the stored reports, their texts, figures, prices and TOC are read per
    # chunk, not per row, and nothing is written
    assert len(large_run) == len(small_run) > 0
    assert not [sql for sql in large_run if sql.startswith(("INSERT", "UPDATE", "DELETE"))]


def test_a_published_import_teaches_did_you_mean_its_titles_words(tmp_path):
    # given: rows written in bulk, past refresh_listing()
    feed = write_csv(tmp_path / "feed.csv", [
        csv_row("WORD-1", title_en="Cryoablation Catheter Market", **ON_ORDER),
    ])

    # when
    assert import_reports(feed, "--publish").status == 0

    # then: the vocabulary knows the new words, so "cryoablaton" can be corrected
    assert SearchWord.objects.filter(word="cryoablation").exists()

    # and a dry run teaches nothing
    feed = write_csv(tmp_path / "dry.csv", [csv_row("WORD-2", title_en="Zirconia Implant Market", **ON_ORDER)])
    assert import_reports(feed, "--dry-run", "--publish").status == 0
    assert not SearchWord.objects.filter(word="zirconia").exists()


def test_a_dry_run_in_chunks_says_what_the_import_then_does_and_writes_nothing(
        tmp_path, monkeypatch):
    # given: chunks of two rows, a new publisher named in two of them, a bad row
    monkeypatch.setattr(importing_run, "CHUNK_ROWS", 2)
    feed = write_csv(tmp_path / "feed.csv", [
        csv_row("D-1", publisher="Fresh Ink Research"), csv_row("D-2"),
        csv_row("D-3", price_single_user="free"), csv_row("D-4", publisher="Fresh Ink Research"),
        csv_row("D-5", publisher="fresh ink research"),
    ])
    before = snapshot()

    # when
    dry = import_reports(feed, "--dry-run")

    # then: nothing written; the publisher "would be created" once, on its first row
    assert snapshot() == before
    assert dry.stdout.count("Publisher “Fresh Ink Research” would be created.") == 1
    assert "4 would be created, 0 would be updated, 0 unchanged, 1 failed." in dry.stdout

    # and the import does what the dry run said, with the same errors
    real = import_reports(feed)
    assert real.stdout.count("Publisher “Fresh Ink Research” created.") == 1
    assert "4 created, 0 updated, 0 unchanged, 1 failed." in real.stdout
    assert error_lines(real.stdout) == error_lines(dry.stdout) != []
    assert Publisher.objects.filter(name="Fresh Ink Research").count() == 1
    assert sorted(Report.objects.values_list("product_code", flat=True)) == [
        "D-1", "D-2", "D-4", "D-5"]
