"""A trigram index for catalogue search on PostgreSQL (see reports/search_index.py)."""

from django.db import migrations

# Frozen here rather than imported: a migration must not change with the code.
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
