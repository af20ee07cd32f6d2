"""The catalogue's per-request statements, prepared on PostgreSQL (reports/statements.py),
and the cards' publisher read without a join."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from reports import cards, selectors
from tests.factories import make_publisher, make_report

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's"
)


def prepared_statements_containing(text: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [statement for (statement,) in cursor.fetchall() if text in statement]


def pages(client, url: str, times: int) -> list[bytes]:
    responses = [client.get(url) for _ in range(times)]
    assert {response.status_code for response in responses} == {200}
    return [response.content for response in responses]


@postgresql_only
def test_a_search_page_asked_for_again_runs_a_prepared_statement(settings):
    # given the page cache off, and a search nobody else makes
    settings.CATALOGUE_CACHE_SECONDS = 0
    make_report(title_en="Preparedword Market Report")
    make_report(title_en="Another Market Report")
    client = Client()
    url = "/en/reports/?q=preparedword"

    # when it is asked for ten times
    contents = pages(client, url, 9)
    with CaptureQueriesContext(connection) as queries:
        contents += pages(client, url, 1)

    # then its page of cards was prepared once, and every answer is the same page
    statements = prepared_statements_containing("%preparedword%")
    assert len(statements) == 1
    assert "reports_report" in statements[0]
    assert len(set(contents)) == 1
    assert b"Preparedword Market Report" in contents[0]
    assert b"Another Market Report" not in contents[0]
    # and Django's query log shows it as it shows any other
    assert [query["sql"] for query in queries] == statements


@postgresql_only
def test_a_statement_run_a_few_times_is_not_prepared(settings):
    settings.CATALOGUE_CACHE_SECONDS = 0
    make_report(title_en="Rareword Market Report")
    pages(Client(), "/en/reports/?q=rareword", 3)
    assert prepared_statements_containing("%rareword%") == []


@postgresql_only
def test_every_product_page_shares_one_prepared_statement(settings):
    settings.CATALOGUE_CACHE_SECONDS = 0
    reports = [make_report(prepare_pages=True) for _ in range(3)]
    client = Client()
    for report in reports:
        pages(client, report.get_absolute_url(), 4)
    # the product code and language are parameters: twelve pages, one statement
    assert len(prepared_statements_containing('FROM "reports_preparedpage" p')) == 1


@postgresql_only
def test_with_prepared_statements_off_nothing_is_prepared_and_the_page_is_the_same(settings):
    settings.CATALOGUE_CACHE_SECONDS = 0
    make_report(title_en="Offword Market Report")
    client = Client()
    url = "/en/reports/?q=offword"

    settings.DATABASE_PREPARED_STATEMENTS = False
    plain = pages(client, url, 8)
    assert prepared_statements_containing("%offword%") == []

    settings.DATABASE_PREPARED_STATEMENTS = True
    prepared = pages(client, url, 8)
    assert len(prepared_statements_containing("%offword%")) == 1
    assert set(plain) == set(prepared)
    assert b"Offword Market Report" in prepared[0]


def test_cards_show_their_publisher_without_reading_the_publishers():
    # given reports of two publishers
    first, second = make_publisher(name="First Insights"), make_publisher(name="Second Data")
    reports = [make_report(publisher=publisher) for publisher in (first, second, first)]
    rows = list(cards.as_rows(selectors.search_reports(selectors.CatalogueQuery())))

    # when their cards are built, then one query reads their texts and publishers
    with translation.override("en"), CaptureQueriesContext(connection) as queries:
        built = cards.card_rows(rows)
    assert len(queries) == 1
    by_pk = {card.pk: card.publisher.name for card in built}
    assert by_pk == {report.pk: report.publisher.name for report in reports}


def test_a_card_without_text_in_the_pages_languages_still_names_its_publisher():
    # given a report written only in Chinese, shown on an English page
    publisher = make_publisher(name="Only Chinese Research")
    report = make_report(publisher=publisher, title_en=None)
    rows = [row for row in cards.as_rows(selectors.search_reports(selectors.CatalogueQuery()))
            if row["id"] == report.pk]
    with translation.override("en"):
        (card,) = cards.card_rows(rows)
    assert card.publisher.name == "Only Chinese Research"


def test_card_rows_carry_the_publishers_id_not_its_name():
    make_report()
    with CaptureQueriesContext(connection) as queries:
        list(cards.CardRows(selectors.CatalogueQuery())[0:24])
    assert "reports_publisher" not in queries[-1]["sql"]
