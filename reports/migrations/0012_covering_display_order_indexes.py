"""Indexes in the catalogue's display orders that also hold what decides a report's
visibility (status, publish_at) and its publisher, on PostgreSQL: a deep page of the
list (page 50 skips 1,176 reports) finds its ids from the index alone, without
reading the skipped rows (see reports/cards.py, CardRows)."""

from django.db import migrations

# Frozen here rather than imported: a migration must not change with the code.
CREATE = [
    "CREATE INDEX IF NOT EXISTS report_newest_visible_idx ON reports_report "
    "(published_on DESC, id DESC) INCLUDE (status, publish_at, publisher_id)",
    "CREATE INDEX IF NOT EXISTS report_price_visible_idx ON reports_report "
    "(price_from, id) INCLUDE (status, publish_at, publisher_id)",
]
DROP = [
    "DROP INDEX IF EXISTS report_newest_visible_idx",
    "DROP INDEX IF EXISTS report_price_visible_idx",
]


def run_on_postgresql(statements):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return operation


class Migration(migrations.Migration):
    dependencies = [("reports", "0011_prepared_product_pages")]

    operations = [
        migrations.RunPython(run_on_postgresql(CREATE), run_on_postgresql(DROP)),
    ]
