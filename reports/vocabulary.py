"""The "did you mean" vocabulary: words of published titles and category names.

Words are stored as search reads them (reports.search_index.normalise_search_text:
lower case, full-width folded, traditional Chinese as simplified), by script:
Latin words of three letters or more, and runs of two to six Chinese characters
(Chinese has no spaces, so a run between punctuation is the closest thing to a word).

Kept in two ways: ``rebuild_search_words()`` (``manage.py rebuild_search_words``,
and after bulk loads) recounts everything from the published catalogue; saving a
published report adds its title's new words (``add_words_of_report``). A word of a
report withdrawn since stays until the next rebuild: it only makes a suggestion
that finds fewer reports. Drafts never add words.
"""

import re
from collections import Counter
from collections.abc import Iterable

from django.db import transaction

from reports.models import Category, Report, SearchWord, SearchWordScript
from reports.search_index import normalise_search_text

MAX_WORD_LENGTH = 64
_LATIN_WORD = re.compile(r"[a-z]{3,64}")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")


def words_of(text: str) -> set[tuple[str, str]]:
    """(script, word) pairs of a title or name, normalised as search reads them."""
    text = normalise_search_text(text)
    words = {(SearchWordScript.LATIN, word) for word in _LATIN_WORD.findall(text)}
    words |= {
        (SearchWordScript.CJK, run) for run in _CJK_RUN.findall(text) if 2 <= len(run) <= 6
    }
    return words


def _catalogue_texts() -> Iterable[str]:
    report_translations = Report._parler_meta.root_model.objects.filter(
        master__in=Report.objects.published(), machine_converted=False
    )
    yield from report_translations.values_list("title", flat=True).iterator(chunk_size=5000)
    category_translations = Category._parler_meta.root_model.objects
    yield from category_translations.values_list("name", flat=True)


@transaction.atomic
def rebuild_search_words() -> int:
    """Recount the vocabulary from the published catalogue; returns how many words."""
    counts: Counter = Counter()
    for text in _catalogue_texts():
        counts.update(words_of(text or ""))
    SearchWord.objects.all().delete()
    SearchWord.objects.bulk_create(
        (
            SearchWord(script=script, word=word, frequency=frequency)
            for (script, word), frequency in counts.items()
        ),
        batch_size=5000,
    )
    return len(counts)


def add_words_of_report(report: Report) -> None:
    """Add the words of a visible report's titles that the vocabulary lacks."""
    if not report.is_visible():
        return
    words: set[tuple[str, str]] = set()
    for translation in report.translations.all():
        if not getattr(translation, "machine_converted", False):
            words |= words_of(translation.title or "")
    SearchWord.objects.bulk_create(
        [SearchWord(script=script, word=word) for script, word in sorted(words)],
        ignore_conflicts=True,
    )
