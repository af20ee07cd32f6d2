"""Table of contents and segmentation edited as numbered outline text, per language.

The editor sees an outline ("1 Preface", "1.1 Objectives", …) built from the
entries and saves it back as text; the numbering gives each line its level.

- In the English tab, or in any tab while the report has no entries yet, the text
  is the structure: lines are matched to the existing entries by their titles
  (a line kept or edited in place keeps its entry, and with it its other
  languages); new lines become entries, lines removed take their entry with them.
- In another language's tab the text translates the existing entries line by line:
  it must have one line per entry, at the entry's level. A line still showing the
  fallback title of an entry not translated yet stays untranslated.

An outline that cannot be read raises OutlineError naming every bad line, and
nothing is written.
"""

from dataclasses import dataclass
from difflib import SequenceMatcher

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from reports.models import Report, Segment, TocEntry
from reports.outline import OutlineError, OutlineLine, parse_numbered_outline
from reports.product_page import pages_changed
from reports.services import catalogue_changed_by_this_transaction

ENGLISH = settings.PARLER_DEFAULT_LANGUAGE_CODE


@dataclass(frozen=True)
class OutlineKind:
    model: type
    field: str  # the translated text of a line: "title" or "name"
    max_length: int


TABLE_OF_CONTENTS = OutlineKind(TocEntry, "title", 300)
SEGMENTATION = OutlineKind(Segment, "name", 200)


def outline_entries(kind: OutlineKind, report_id: int | None) -> list:
    """A report's entries in order, their translations prefetched (two queries)."""
    if report_id is None:
        return []
    return list(
        kind.model.objects.filter(report_id=report_id)
        .order_by("position", "id")
        .prefetch_related("translations")
    )


def _texts(kind: OutlineKind, entry, language_code: str) -> tuple[str | None, str]:
    """(the entry's text in this language or None, the text shown: with fallback)."""
    by_language = {t.language_code: getattr(t, kind.field) for t in entry.translations.all()}
    own = by_language.get(language_code)
    if own is not None:
        return own, own
    for code in (ENGLISH, *by_language):
        if code in by_language:
            return None, by_language[code]
    return None, ""


def numbering(depths: list[int]) -> list[str]:
    """"1", "1.1", "1.2", "2" … for a list of depths; a jump (1 → 3) counts from 1."""
    counters: list[int] = []
    numbers = []
    for depth in depths:
        del counters[depth:]
        counters.extend([0] * (depth - len(counters)))
        counters[depth - 1] += 1
        numbers.append(".".join(str(counter or 1) for counter in counters))
    return numbers


def outline_text(kind: OutlineKind, entries: list, language_code: str) -> str:
    """The entries as a numbered outline in this language (fallback text where missing)."""
    numbers = numbering([entry.depth for entry in entries])
    return "\n".join(
        f"{number} {_texts(kind, entry, language_code)[1]}"
        for number, entry in zip(numbers, entries, strict=True)
    )


def defines_structure(*, language_code: str, entries: list) -> bool:
    """Whether the text of this tab is the structure (else a translation of it)."""
    return language_code == ENGLISH or not entries


def _alignment_errors(entries: list, lines: list[OutlineLine]) -> list[str]:
    if len(lines) != len(entries):
        return [
            _(
                "Lines in the outline: %(lines)d; lines in the English outline: "
                "%(entries)d. Translate every line, in the same order, or change the "
                "lines in the English tab first."
            )
            % {"lines": len(lines), "entries": len(entries)}
        ]
    return [
        _(
            'Line %(line)d ("%(number)s") is at level %(depth)d, but line %(position)d '
            "of the English outline is at level %(entry_depth)d."
        )
        % {
            "line": line.line_number,
            "number": line.number,
            "depth": line.depth,
            "position": position,
            "entry_depth": entry.depth,
        }
        for position, (entry, line) in enumerate(zip(entries, lines, strict=True), start=1)
        if entry.depth != line.depth
    ]


def read_outline(
    kind: OutlineKind, *, entries: list, language_code: str, text: str
) -> list[OutlineLine]:
    """The lines of an edited outline, checked against the entries; nothing is written.

    Empty text is no lines: in the English tab no entries, in another tab no
    translation in that language.
    """
    lines = parse_numbered_outline(text, max_title_length=kind.max_length)
    if lines and not defines_structure(language_code=language_code, entries=entries):
        errors = _alignment_errors(entries, lines)
        if errors:
            raise OutlineError([str(error) for error in errors])
    return lines


@transaction.atomic
def save_outline(
    kind: OutlineKind, *, report_id: int, language_code: str, text: str
) -> list:
    """Write an edited outline of one language (see the module docstring).

    Returns the entries afterwards, in order. OutlineError, and nothing changed,
    when the text cannot be read or does not fit. Marks the catalogue changed.
    """
    Report.objects.select_for_update(of=("self",)).get(pk=report_id)
    entries = outline_entries(kind, report_id)
    lines = read_outline(kind, entries=entries, language_code=language_code, text=text)
    if defines_structure(language_code=language_code, entries=entries):
        entries = _restructure(kind, report_id, entries, lines, language_code)
    else:
        _translate(kind, entries, lines, language_code)
    # The product page shows the outline: built again on its next request (the admin's
    # refresh_listing() that follows builds it at once).
    pages_changed(Report.objects.filter(pk=report_id))
    catalogue_changed_by_this_transaction()
    return entries


def _restructure(kind, report_id, entries, lines, language_code) -> list:
    shown = [_texts(kind, entry, language_code)[1] for entry in entries]
    matcher = SequenceMatcher(None, shown, [line.title for line in lines], autojunk=False)
    pairs: list[tuple[object | None, OutlineLine]] = []  # (kept entry or None, line)
    removed = []
    for _tag, i1, i2, j1, j2 in matcher.get_opcodes():
        old, new = entries[i1:i2], lines[j1:j2]
        # An edited block keeps its entries in order; what is left over goes or is new.
        pairs.extend(zip(old, new, strict=False))
        removed.extend(old[len(new) :])
        pairs.extend((None, line) for line in new[len(old) :])
    kind.model.objects.filter(pk__in=[entry.pk for entry in removed]).delete()

    created = kind.model.objects.bulk_create(
        kind.model(report_id=report_id, position=0, depth=line.depth)
        for entry, line in pairs
        if entry is None
    )
    fresh = iter(created)
    result = [entry if entry is not None else next(fresh) for entry, _line in pairs]
    for position, (entry, (_kept, line)) in enumerate(zip(result, pairs, strict=True), start=1):
        entry.position, entry.depth = position, line.depth
    kind.model.objects.bulk_update(result, ["position", "depth"])
    _write_texts(kind, result, lines, language_code, new_ids={entry.pk for entry in created})
    return result


def _translate(kind, entries, lines, language_code) -> None:
    if not lines:  # an emptied tab: this language has no text for the outline
        kind.model._parler_meta.root_model.objects.filter(
            master__in=entries, language_code=language_code
        ).delete()
        return
    _write_texts(kind, entries, lines, language_code, new_ids=set())


def _write_texts(kind, entries, lines, language_code, *, new_ids) -> None:
    translation_model = kind.model._parler_meta.root_model
    existing = {}
    if len(new_ids) < len(entries):
        existing = {
            translation.master_id: translation
            for translation in translation_model.objects.filter(
                master__in=[entry for entry in entries if entry.pk not in new_ids],
                language_code=language_code,
            )
        }
    changed, created = [], []
    for entry, line in zip(entries, lines, strict=True):
        translation = existing.get(entry.pk)
        if translation is not None:
            if getattr(translation, kind.field) != line.title:
                setattr(translation, kind.field, line.title)
                changed.append(translation)
        elif entry.pk in new_ids or line.title != _texts(kind, entry, language_code)[1]:
            # An entry not translated yet whose line still shows the fallback stays so.
            created.append(
                translation_model(
                    master=entry, language_code=language_code, **{kind.field: line.title}
                )
            )
    translation_model.objects.bulk_update(changed, [kind.field])
    translation_model.objects.bulk_create(created)
