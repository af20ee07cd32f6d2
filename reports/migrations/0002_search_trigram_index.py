"""A trigram index for catalogue search on PostgreSQL.

Search is a substring match on Report.search_text (every language, so Chinese,
which has no word breaks, matches too). On PostgreSQL a pg_trgm GIN index lets
LIKE '%term%' use an index instead of scanning the table; other databases scan.
"""

from django.db import migrations

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS report_search_text_trgm "
    "ON reports_report USING gin (search_text gin_trgm_ops)",
]
DROP = ["DROP INDEX IF EXISTS report_search_text_trgm"]


def run_on_postgresql(statements):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return operation


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial")]

    operations = [
        migrations.RunPython(run_on_postgresql(CREATE), run_on_postgresql(DROP)),
    ]
