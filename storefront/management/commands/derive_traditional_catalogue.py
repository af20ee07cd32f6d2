"""Write the traditional Chinese catalogue from the simplified one, with OpenCC.

    python manage.py derive_traditional_catalogue

Every entry of ``locale/zh_Hans/LC_MESSAGES/django.po`` is written to
``locale/zh_Hant/LC_MESSAGES/django.po`` with its translation converted as Taiwan
writes it (reports.chinese.to_traditional). An entry an editor has corrected by hand
in the traditional catalogue keeps that text when it carries the translator comment
``reviewed``. Run it after translating new simplified strings, then compilemessages;
tests/test_traditional_catalogue.py fails when the two catalogues drift apart.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from reports.chinese import to_traditional

REVIEWED = "reviewed"


def catalogue_path(locale: str, domain: str = "django") -> Path:
    return Path(settings.LOCALE_PATHS[0]) / locale / "LC_MESSAGES" / f"{domain}.po"


def _polib():
    try:
        import polib
    except ImportError as error:  # a development tool: requirements-dev.txt installs it
        raise CommandError("polib is needed: pip install -r requirements-dev.txt") from error
    return polib


def is_reviewed(entry) -> bool:
    return REVIEWED in (entry.tcomment or "").split()


def derived_catalogue(simplified_path: Path, traditional_path: Path | None = None):
    """The traditional catalogue for ``simplified_path``, keeping reviewed entries."""
    polib = _polib()
    simplified = polib.pofile(str(simplified_path), wrapwidth=0)
    reviewed = {}
    if traditional_path is not None and traditional_path.exists():
        reviewed = {
            (entry.msgctxt, entry.msgid): entry
            for entry in polib.pofile(str(traditional_path))
            if is_reviewed(entry) and entry.translated()
        }
    derived = polib.POFile(wrapwidth=0)
    derived.metadata = {
        **simplified.metadata, "Language": "zh_Hant", "Language-Team": "Traditional Chinese"
    }
    for entry in simplified:
        if entry.obsolete:
            continue
        kept = reviewed.get((entry.msgctxt, entry.msgid))
        derived.append(
            polib.POEntry(
                msgctxt=entry.msgctxt,
                msgid=entry.msgid,
                msgid_plural=entry.msgid_plural,
                msgstr=kept.msgstr if kept else to_traditional(entry.msgstr),
                msgstr_plural=(
                    kept.msgstr_plural
                    if kept
                    else {index: to_traditional(text) for index, text in entry.msgstr_plural.items()}
                ),
                occurrences=entry.occurrences,
                comment=entry.comment,
                tcomment=kept.tcomment if kept else entry.tcomment,
                flags=[flag for flag in entry.flags if flag != "fuzzy"],
            )
        )
    return derived


class Command(BaseCommand):
    help = "Write locale/zh_Hant from locale/zh_Hans, converted with OpenCC (Taiwan usage)."

    def handle(self, *args, **options):
        written = 0
        for domain in ("django", "djangojs"):
            source = catalogue_path("zh_Hans", domain)
            if not source.exists():
                continue
            target = catalogue_path("zh_Hant", domain)
            catalogue = derived_catalogue(source, target)
            target.parent.mkdir(parents=True, exist_ok=True)
            catalogue.save(str(target))
            written += len(catalogue)
            self.stdout.write(f"{target}: {len(catalogue)} entries")
        if not written:
            raise CommandError("No simplified Chinese catalogue to convert.")
