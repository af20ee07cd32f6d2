"""Report feeds (JSON or CSV) upserted into the catalogue, each row all or nothing.

A feed goes through four steps, one module each (the format is described in
docs/feed-format.md); ``run`` takes every row through them and ``common`` holds what
the steps share (field names, per-row results, error messages):

1. **read** (``read_feed_file`` / ``read_feed_bytes``): the file becomes rows of raw
   values, each with a label an editor can find ("line 4", "report 3 (1994249)").
   A file that cannot be read at all (not UTF-8, not JSON, a CSV header with unknown
   or missing columns) raises ``FeedError``: nothing is imported.
2. **decode**: a row's raw values become typed values (``ReportInput``); every bad
   value is reported under the name the feed gives the field ("price_site",
   "translations.zh-hans.title").
3. **plan**: the report is looked up by product code and locked (one query for a
   chunk's rows), the wanted state is compared with the stored one and validated with
   the models' own ``full_clean`` plus the feed's rules. Checking only reads: a row
   gets a savepoint of its own only when it writes on its own (below).
4. **write** (``import_feed``): only what differs is written, through the ORM so that
   save signals run; the new reports of a chunk (CHUNK_ROWS rows, one transaction) are
   inserted together, one INSERT per table, with their save signals sent (their
   figures, prices, categories and TOC as plain values: ``inserts``). A publisher a
   row names for the first time is stored in the row's savepoint first. A row with
   any error writes nothing; the rows before and after it are kept (should a chunk
   fail to commit, its rows are imported again one transaction each). A dry run
   takes the same path and rolls each chunk back, so it finds the same errors,
   database ones included, at the speed of an import. The cached catalogue pages are
   invalidated once per import.

Re-importing a feed writes nothing: equal values are not saved, ``updated_at`` stays.
"""

from reports.importing.common import FeedError, FieldError, ImportSummary, Outcome, RowResult
from reports.importing.decode import ReportInput, decode_csv_row, decode_json_row
from reports.importing.read import (
    FORMATS,
    Feed,
    RawRow,
    format_from_name,
    read_feed_bytes,
    read_feed_file,
)
from reports.importing.run import analyze_catalogue_tables, import_feed, import_row

# From this many rows on, the catalogue tables' planner statistics are refreshed after
# the import (PostgreSQL); see analyze_catalogue_tables(). Read by import_feed at call
# time, so it is set here.
ANALYZE_THRESHOLD = 1000

__all__ = [
    "ANALYZE_THRESHOLD", "FORMATS", "Feed", "FeedError", "FieldError", "ImportSummary",
    "Outcome", "RawRow", "ReportInput", "RowResult", "analyze_catalogue_tables",
    "decode_csv_row", "decode_json_row", "format_from_name", "import_feed", "import_row",
    "read_feed_bytes", "read_feed_file",
]  # fmt: skip
