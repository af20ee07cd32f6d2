from django.core.management.base import BaseCommand, CommandError

from reports.demo.synthetic import DEFAULT_BATCH_SIZE, seed_catalog


class Command(BaseCommand):
    help = (
        "Add N synthetic published reports (English and Chinese) for scale work. Each run "
        "adds N more, with product codes after the highest existing SYN- code; no PDFs."
    )

    def add_arguments(self, parser):
        parser.add_argument("--reports", type=int, required=True, help="How many to add.")
        parser.add_argument("--seed", type=int, default=None,
                            help="Random seed, for the same titles, figures and prices.")
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE,
                            help=f"Reports per transaction (default {DEFAULT_BATCH_SIZE}).")

    def handle(self, *args, reports, seed, batch_size, **options):
        if reports < 1:
            raise CommandError("--reports must be at least 1.")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        verbose = options["verbosity"] > 1

        def progress(done, total):
            if verbose:
                self.stdout.write(f"  {done}/{total}")

        result = seed_catalog(reports, seed=seed, batch_size=batch_size, progress=progress)
        self.stdout.write(self.style.SUCCESS(
            f"Created {result.created} published reports "
            f"({result.first_code} .. {result.last_code}) in {result.seconds:.1f} s."
        ))
