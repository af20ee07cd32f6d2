import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from reports import importing

# Exit statuses: some rows failed (the others were imported), or nothing could be read.
ROWS_FAILED = 1
FEED_UNREADABLE = 2


class ProgressBar:
    """A one-line bar on a terminal, redrawn at most ten times a second."""

    WIDTH = 30

    def __init__(self, stream):
        self.stream = stream
        self.drawn_at = 0.0

    def __call__(self, done: int, total: int):
        now = time.monotonic()
        if done < total and now - self.drawn_at < 0.1:
            return
        self.drawn_at = now
        filled = self.WIDTH * done // max(total, 1)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        self.stream.write(f"\r[{bar}] {done}/{total}", ending="")
        if done == total:
            self.stream.write("")
        self.stream.flush()


class Command(BaseCommand):
    help = (
        "Create or update reports from a JSON or CSV feed (docs/feed-format.md), matched by "
        "product code, one transaction per row. Exit status 1 when a row failed (the other "
        "rows are imported), 2 when the file cannot be read."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The feed: a .json or .csv file.")
        parser.add_argument("--format", choices=importing.FORMATS,
                            help="Read the file as this format whatever its name.")
        parser.add_argument("--dry-run", action="store_true",
                            help="Check every row and say what would happen; write nothing.")
        parser.add_argument("--publish", action="store_true",
                            help="Publish the imported reports (now, unless a row gives "
                                 "publish_at); without it new reports are drafts and stored "
                                 "ones keep their status.")
        parser.add_argument("--progress", action="store_true",
                            help="Show a progress bar on stderr even when it is not a terminal.")
        parser.add_argument("--language", choices=[code for code, _name in settings.LANGUAGES],
                            default=settings.LANGUAGE_CODE,
                            help="Language of the report (default %(default)s).")

    def handle(self, *args, path, format, dry_run, publish, progress, language, **options):
        with translation.override(language):
            path = Path(path)
            try:
                feed = importing.read_feed_file(path, format=format)
            except importing.FeedError as error:
                raise CommandError(str(error), returncode=FEED_UNREADABLE) from error
            show_bar = progress or self.stderr.isatty()
            summary = importing.import_feed(
                feed, dry_run=dry_run, publish=publish, base_dir=path.parent,
                progress=ProgressBar(self.stderr) if show_bar else None,
            )
            self.write_report(summary, verbose=dry_run or options["verbosity"] > 1)
            if summary.failed:
                raise CommandError(
                    ngettext("%(count)d row failed; the report above says why.",
                             "%(count)d rows failed; the report above says why.",
                             summary.failed) % {"count": summary.failed},
                    returncode=ROWS_FAILED,
                )

    def write_report(self, summary: importing.ImportSummary, *, verbose: bool):
        """Failed rows and rows with notes always; every row in a dry run or with -v 2."""
        for row in summary.rows:
            if not (verbose or row.errors or row.notes):
                continue
            outcome = row.outcome_label(summary.dry_run)
            line = f"{row.label} · {row.product_code or '?'} · {outcome}"
            if row.changes:
                line += " (" + ", ".join(row.changes) + ")"
            style = self.style.ERROR if row.errors else (lambda text: text)
            self.stdout.write(style(line))
            for error in row.errors:
                self.stdout.write(f"    {error}")
            for note in row.notes:
                self.stdout.write("    " + _("note: %(note)s") % {"note": note})
        style = self.style.ERROR if summary.failed else self.style.SUCCESS
        self.stdout.write(style(summary.text()))
