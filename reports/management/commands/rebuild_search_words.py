from django.core.management.base import BaseCommand

from reports.vocabulary import rebuild_search_words


class Command(BaseCommand):
    help = (
        'Recount the "did you mean" vocabulary from the published catalogue\'s titles and '
        "category names (after bulk loads or withdrawals; saving a report keeps it otherwise)."
    )

    def handle(self, *args, **options):
        words = rebuild_search_words()
        self.stdout.write(self.style.SUCCESS(f"{words} search words."))
