"""The PostgreSQL trigram index behind catalogue search.

Search is a substring match on Report.search_text (every language, so Chinese,
which has no word breaks, matches too). pg_trgm lets LIKE '%term%' use a GIN
index instead of scanning the table; other databases scan.
"""

from django.db import connection

INDEX_NAME = "report_search_text_trgm"
CREATE_EXTENSION = "CREATE EXTENSION IF NOT EXISTS pg_trgm"
CREATE_INDEX = (
    f"CREATE INDEX IF NOT EXISTS {INDEX_NAME} "
    "ON reports_report USING gin (search_text gin_trgm_ops)"
)
DROP_INDEX = f"DROP INDEX IF EXISTS {INDEX_NAME}"


class without_search_index:
    """Drop the index for a bulk load and build it once afterwards (PostgreSQL only).

    Updating a GIN index row by row slows a large insert; one build at the end is
    cheaper and gives a smaller index (100,000 reports: 112 s instead of 127 s,
    66 MB instead of 89 MB; bench/README.md).
    """

    def __enter__(self):
        self.active = connection.vendor == "postgresql"
        if self.active:
            with connection.cursor() as cursor:
                cursor.execute(DROP_INDEX)
        return self

    def __exit__(self, *exc_info):
        if self.active:
            with connection.cursor() as cursor:
                cursor.execute(CREATE_INDEX)
                cursor.execute("ANALYZE reports_report")
        return False
