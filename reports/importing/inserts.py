"""Rows of new reports' children inserted as plain values, one statement a table.

A 20-line table of contents in two languages is 60 rows; built as model instances
for ``bulk_create`` they were most of an import's Python (bench/README.md). These
models have no save hooks and ``bulk_create`` sends no signals, so nothing is lost
by inserting their values directly. Values are checked before (plan.validate_plan)
and the database checks them again: the arrays are cast to the column's type
without its length or precision, so an over-long title is refused, not truncated,
as Django's own bulk insert does.
"""

from collections.abc import Sequence

from django.db import connection, models


def _array_type(field: models.Field) -> str:
    # varchar[] instead of varchar(300)[]: an explicit cast would cut a long value.
    return field.db_type(connection).split("(")[0]


def insert_values(model: type[models.Model], field_names: Sequence[str],
                  rows: Sequence[tuple]) -> None:
    """INSERT ``rows`` (tuples of values in ``field_names`` order) into ``model``'s
    table with one statement; values as the database driver takes them (ints,
    strings, Decimals, dates, None)."""
    if not rows:
        return
    quote = connection.ops.quote_name
    fields = [model._meta.get_field(name) for name in field_names]
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(field.column) for field in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = ", ".join(f"%s::{_array_type(field)}[]" for field in fields)
            cursor.execute(f"INSERT INTO {table} ({columns}) SELECT * FROM unnest({arrays})",
                           [list(column) for column in zip(*rows)])
        else:
            placeholders = ", ".join("%s" for _field in fields)
            prepared = [
                tuple(field.get_db_prep_save(value, connection)
                      for field, value in zip(fields, row))
                for row in rows
            ]
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})",
                               prepared)


def insert_outline(entry_model: type[models.Model],
                   lines: Sequence[tuple[int, int, int, dict[str, str]]]) -> None:
    """Insert outline entries (``report_id, position, depth, {language: title}``) and
    their titles; PostgreSQL takes both in one statement, the titles joined to the new
    entries' ids on (report, position), unique among new reports' lines.

    Other databases: the entries' ids are read back by (report, position).
    """
    if not lines:
        return
    translation_model = entry_model._parler_meta.root_model
    titles = [(report_id, position, language, title)
              for report_id, position, _depth, by_language in lines
              for language, title in by_language.items()]
    if connection.vendor != "postgresql":
        insert_values(entry_model, ("report", "position", "depth"),
                      [line[:3] for line in lines])
        report_ids = {line[0] for line in lines}
        ids = {
            (report_id, position): pk
            for pk, report_id, position in entry_model.objects.filter(
                report_id__in=report_ids).values_list("pk", "report_id", "position")
        }
        insert_values(translation_model, ("master", "language_code", "title"),
                      [(ids[(report_id, position)], language, title)
                       for report_id, position, language, title in titles])
        return
    quote = connection.ops.quote_name
    meta = entry_model._meta

    def column(model, name):
        return quote(model._meta.get_field(name).column)

    def array(model, name):
        return f"%s::{_array_type(model._meta.get_field(name))}[]"

    entry_columns = [column(entry_model, name) for name in ("report", "position", "depth")]
    sql = f"""
        WITH entry AS (
            INSERT INTO {quote(meta.db_table)} ({", ".join(entry_columns)})
            SELECT * FROM unnest({array(entry_model, "report")}, {array(entry_model, "position")},
                                 {array(entry_model, "depth")})
            RETURNING {quote(meta.pk.column)} AS id, {entry_columns[0]} AS report_id,
                      {entry_columns[1]} AS position
        )
        INSERT INTO {quote(translation_model._meta.db_table)}
            ({column(translation_model, "master")}, {column(translation_model, "language_code")},
             {column(translation_model, "title")})
        SELECT entry.id, line.language_code, line.title
        FROM unnest({array(entry_model, "report")}, {array(entry_model, "position")},
                    {array(translation_model, "language_code")},
                    {array(translation_model, "title")})
             AS line (report_id, position, language_code, title)
        JOIN entry ON entry.report_id = line.report_id AND entry.position = line.position
    """
    params = [list(values) for values in zip(*(line[:3] for line in lines))]
    params += [list(values) for values in zip(*titles)] or [[], [], [], []]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
