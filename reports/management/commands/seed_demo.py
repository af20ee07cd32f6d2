import time

from django.core.management.base import BaseCommand

from reports.demo.builder import seed_demo
from reports.vocabulary import rebuild_search_words


class Command(BaseCommand):
    help = (
        "Create or update the demo catalogue (product 1994249 first, English and Chinese) "
        "with generated master and sample PDFs. Idempotent: a second run changes nothing "
        "and regenerates no PDF whose content is unchanged."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-pdfs", action="store_true", help="Write the catalogue rows only."
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="Processes that generate missing PDFs in parallel (default 1: on two "
            "cores, starting workers costs about what they save).",
        )

    def handle(self, *args, no_pdfs, workers, **options):
        started = time.perf_counter()
        summary = seed_demo(with_pdfs=not no_pdfs, workers=max(1, workers))
        for line in summary.lines():
            self.stdout.write(line)
        # Category names enter the "did you mean" vocabulary on a rebuild only.
        self.stdout.write(f"search words: {rebuild_search_words()}")
        self.stdout.write(
            self.style.SUCCESS(f"Demo catalogue ready in {time.perf_counter() - started:.1f} s.")
        )
