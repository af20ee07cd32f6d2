"""Rows of new reports' children inserted as plain values, one statement a table.

A 20-line table of contents in two languages is 60 rows; built as model instances
for ``bulk_create`` they were most of an import's Python (bench/README.md). These
models have no save hooks and ``bulk_create`` sends no signals, so nothing is lost
by inserting their values directly. Values are checked before (plan.validate_plan)
and the database checks them again: the arrays are cast to the column's type
without its length or precision, so an over-long title is refused, not truncated,
as Django's own bulk insert does.
"""

import json
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
    # The lines go as two JSON documents: a driver quotes one long string ten times
    # faster than 22,000 array elements (a chunk's TOC), and the database reads them
    # as rows (json_to_recordset); text, not varchar(300), so a long title is refused.
    quote = connection.ops.quote_name
    entry_table, title_table = entry_model._meta, translation_model._meta

    def columns(meta, *names):
        return ", ".join(quote(meta.get_field(name).column) for name in names)

    report, position = columns(entry_table, "report"), columns(entry_table, "position")
    sql = f"""
        WITH entry AS (
            INSERT INTO {quote(entry_table.db_table)} ({columns(entry_table, "report", "position", "depth")})
            SELECT line.report_id, line.position, line.depth
            FROM json_to_recordset(%s::json) AS line (report_id bigint, position bigint, depth bigint)
            RETURNING {quote(entry_table.pk.column)} AS id, {report} AS report_id, {position} AS position
        )
        INSERT INTO {quote(title_table.db_table)} ({columns(title_table, "master", "language_code", "title")})
        SELECT entry.id, title.language_code, title.title
        FROM json_to_recordset(%s::json)
             AS title (report_id bigint, position bigint, language_code text, title text)
        JOIN entry ON entry.report_id = title.report_id AND entry.position = title.position
    """  # noqa: E501
    entries = [{"report_id": report_id, "position": position, "depth": depth}
               for report_id, position, depth, _titles in lines]
    titled = [{"report_id": report_id, "position": position, "language_code": language,
               "title": title} for report_id, position, language, title in titles]
    with connection.cursor() as cursor:
        cursor.execute(sql, [json.dumps(entries), json.dumps(titled, ensure_ascii=False)])
