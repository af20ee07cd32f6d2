"""A small statistics sample for report.search_text, on PostgreSQL.

The planner estimates a search's LIKE '%word%' by running it on every entry of the
column's histogram: with the default 100 entries of whole search texts that cost more
than the planning of the rest of the query (0.26 of 0.44 ms at 10,000 reports,
bench/README.md), and the estimate was no better than with 10 (a word's share of a
hundred sampled texts). The next ANALYZE (autovacuum, or the bench seed's) keeps 10.
"""

from django.db import migrations

# Frozen here rather than imported: a migration must not change with the code.
FORWARD = "ALTER TABLE reports_report ALTER COLUMN search_text SET STATISTICS 10"
BACKWARD = "ALTER TABLE reports_report ALTER COLUMN search_text SET STATISTICS -1"


def run_on_postgresql(statement):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(statement)

    return operation


class Migration(migrations.Migration):
    dependencies = [("reports", "0012_covering_display_order_indexes")]

    operations = [
        migrations.RunPython(run_on_postgresql(FORWARD), run_on_postgresql(BACKWARD)),
    ]
