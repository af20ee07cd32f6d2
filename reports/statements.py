"""A cursor for the statements every catalogue request runs, prepared on PostgreSQL.

An uncached list or search page runs one query whose SQL is kept per catalogue version
(reports/cards.py, CardRows), and a product page one query with the product code and
language as parameters (selectors.prepared_row). PostgreSQL planned each of them
anew on every request, and planning cost as much as running them or more (a search's
page of cards: 0.41 ms of planning for 0.31 of execution; a product page: 0.27 for
0.03; bench/catalogue_statements.py, results in bench/README.md).

Django sends values bound on the client, which PostgreSQL cannot prepare. This cursor
binds on the server, so psycopg prepares a statement its connection has run five
times (``prepare_threshold``, storefront/settings.py) and PostgreSQL plans it no
more: a product page's statement is the same for every product, and a page's kept
SQL is the same until the catalogue changes. A statement run fewer times (a search
made once) is not prepared, and is planned with its values as before.

With DATABASE_PREPARED_STATEMENTS off (a connection pooler that cannot keep prepared
statements: PgBouncer before 1.21, or in transaction mode without
``max_prepared_statements``) and on other databases, it is Django's own cursor.
"""

from contextlib import contextmanager

from django.conf import settings
from django.db import connections
from django.db.backends.utils import CursorDebugWrapper


class _DebugWrapper(CursorDebugWrapper):
    """Django's query log for this cursor: the SQL as sent, with its parameters apart.

    Django reads the logged text back from a cursor that binds on the client; this
    one binds on the server and keeps none to read (a prepared statement is sent by
    name).
    """

    def debug_sql(self, sql=None, params=None, use_last_executed_query=False, many=False):
        return super().debug_sql(sql, params, use_last_executed_query=False, many=many)


@contextmanager
def catalogue_cursor(using: str):
    """A Django cursor on database ``using`` whose statements psycopg may prepare."""
    connection = connections[using]
    if not (settings.DATABASE_PREPARED_STATEMENTS and connection.vendor == "postgresql"):
        with connection.cursor() as cursor:
            yield cursor
        return
    from django.db.backends.postgresql.psycopg_any import is_psycopg3

    if not is_psycopg3 or connection.features.uses_server_side_binding:
        # psycopg2 cannot prepare; with server-side binding on, every cursor can.
        with connection.cursor() as cursor:
            yield cursor
        return
    import psycopg
    from django.db.backends.postgresql.psycopg_any import register_tzloader
    from psycopg.pq import Format

    connection.ensure_connection()
    raw = psycopg.Cursor(connection.connection)
    # As Django's create_cursor(): timestamps in the connection's time zone.
    loader = connection.connection.adapters.get_loader(
        psycopg.postgres.types["timestamptz"].oid, Format.TEXT
    )
    if connection.timezone != loader.timezone:
        register_tzloader(connection.timezone, raw)
    # Wrapped as Django wraps its own (errors translated, queries logged when asked).
    connection.validate_thread_sharing()
    cursor = (
        _DebugWrapper(raw, connection) if connection.queries_logged
        else connection.make_cursor(raw)
    )
    with cursor:
        yield cursor
