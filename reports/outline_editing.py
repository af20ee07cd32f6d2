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


@dataclass(frozen=True)
class OutlineRow:
    """An existing entry as editing reads it: its id, its level and its text per language."""

    pk: int
    depth: int
    texts: dict  # language code → text


def outline_entries(kind: OutlineKind, report_id: int | None) -> list[OutlineRow]:
    """A report's entries in order with their texts (two queries, as plain values: the
    form of 1994249 reads 114 entries and 340 translations on every page view)."""
    if report_id is None:
        return []
    texts: dict[int, dict[str, str]] = {}
    translations = kind.model._parler_meta.root_model.objects.filter(master__report_id=report_id)
    for master_id, language_code, text in translations.values_list(
        "master_id", "language_code", kind.field
    ):
        texts.setdefault(master_id, {})[language_code] = text
    entries = kind.model.objects.filter(report_id=report_id).order_by("position", "id")
    return [
        OutlineRow(pk=pk, depth=depth, texts=texts.get(pk, {}))
        for pk, depth in entries.values_list("pk", "depth")
    ]


def _texts(entry: OutlineRow, language_code: str) -> tuple[str | None, str]:
    """(the entry's text in this language or None, the text shown: with fallback)."""
    by_language = entry.texts
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
        f"{number} {_texts(entry, language_code)[1]}"
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
) -> list[int]:
    """Write an edited outline of one language (see the module docstring).

    Returns the ids of the entries afterwards, in order. OutlineError, and nothing
    changed, when the text cannot be read or does not fit. Marks the catalogue changed.
    """
    Report.objects.select_for_update(of=("self",)).get(pk=report_id)
    entries = outline_entries(kind, report_id)
    lines = read_outline(kind, entries=entries, language_code=language_code, text=text)
    if defines_structure(language_code=language_code, entries=entries):
        ids = _restructure(kind, report_id, entries, lines, language_code)
    else:
        ids = [entry.pk for entry in entries]
        _translate(kind, entries, lines, language_code)
    # The product page shows the outline: built again on its next request (the admin's
    # refresh_listing() that follows builds it at once).
    pages_changed(Report.objects.filter(pk=report_id))
    catalogue_changed_by_this_transaction()
    return ids


def _restructure(kind, report_id, entries, lines, language_code) -> list[int]:
    shown = [_texts(entry, language_code)[1] for entry in entries]
    matcher = SequenceMatcher(None, shown, [line.title for line in lines], autojunk=False)
    pairs: list[tuple[OutlineRow | None, OutlineLine]] = []  # (kept entry or None, line)
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
    result = [
        kind.model(pk=entry.pk, report_id=report_id) if entry is not None else next(fresh)
        for entry, _line in pairs
    ]
    for position, (entry, (_kept, line)) in enumerate(zip(result, pairs, strict=True), start=1):
        entry.position, entry.depth = position, line.depth
    kind.model.objects.bulk_update(result, ["position", "depth"])
    kept = [entry for entry, _line in pairs if entry is not None]
    _write_texts(
        kind, [entry.pk for entry in result], lines, language_code,
        shown={entry.pk: _texts(entry, language_code)[1] for entry in kept},
    )  # fmt: skip
    return [entry.pk for entry in result]


def _translate(kind, entries, lines, language_code) -> None:
    if not lines:  # an emptied tab: this language has no text for the outline
        kind.model._parler_meta.root_model.objects.filter(
            master_id__in=[entry.pk for entry in entries], language_code=language_code
        ).delete()
        return
    _write_texts(
        kind, [entry.pk for entry in entries], lines, language_code,
        shown={entry.pk: _texts(entry, language_code)[1] for entry in entries},
    )  # fmt: skip


def _write_texts(kind, ids, lines, language_code, *, shown) -> None:
    """Each line's text as the translation of the entry at its place. ``shown`` holds the
    text each existing entry showed in this language; the other ids are new entries."""
    translation_model = kind.model._parler_meta.root_model
    existing = {}
    if shown:
        existing = {
            translation.master_id: translation
            for translation in translation_model.objects.filter(
                master_id__in=list(shown), language_code=language_code
            )
        }
    changed, created = [], []
    for entry_id, line in zip(ids, lines, strict=True):
        translation = existing.get(entry_id)
        if translation is not None:
            if getattr(translation, kind.field) != line.title:
                setattr(translation, kind.field, line.title)
                changed.append(translation)
        elif entry_id not in shown or line.title != shown[entry_id]:
            # An entry not translated yet whose line still shows the fallback stays so.
            created.append(
                translation_model(
                    master_id=entry_id, language_code=language_code, **{kind.field: line.title}
                )
            )
    translation_model.objects.bulk_update(changed, [kind.field])
    translation_model.objects.bulk_create(created)
