from django.core.management.base import BaseCommand

from reports.product_page import prepare_missing


class Command(BaseCommand):
    help = (
        "Build the product pages that are missing or stale, in every language (after a "
        "bulk load, a deploy with new templates or translations, or changed settings). "
        "Pages are also built on their first request; this spares that request the wait."
    )

    def handle(self, *args, **options):
        built = prepare_missing()
        self.stdout.write(self.style.SUCCESS(f"{built} product pages built."))
