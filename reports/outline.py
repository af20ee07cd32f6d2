"""Outlines (table of contents, segmentation): a tree for display, and a pasted
numbered outline read into lines with a depth."""

import re
from dataclasses import dataclass, field

from django.utils.text import Truncator
from django.utils.translation import gettext as _


@dataclass
class OutlineNode:
    entry: object
    children: list["OutlineNode"] = field(default_factory=list)


def outline_tree(entries) -> list[OutlineNode]:
    """Nest entries under the nearest preceding entry of smaller depth.

    A depth that jumps (1 → 3) nests under the last open entry, so a sloppy
    outline still renders instead of losing lines.
    """
    roots: list[OutlineNode] = []
    stack: list[tuple[int, OutlineNode]] = []
    for entry in entries:
        node = OutlineNode(entry)
        while stack and stack[-1][0] >= entry.depth:
            stack.pop()
        (stack[-1][1].children if stack else roots).append(node)
        stack.append((entry.depth, node))
    return roots


# "1", "1.", "1.2", "1.2.3.", "1)" or "1.2)" then the title; full-width digits and
# dots of the number are folded, so "１．２　概述" reads as "1.2 概述". Only the
# number is folded: a title keeps its own full-width brackets and stops.
_NUMBERED_LINE = re.compile(r"^(?P<number>\d+(?:\.\d+)*)(?:\.|\))?\s+(?P<title>\S.*)$")
_LEADING_NUMBER = re.compile(r"^[0-9０-９][0-9０-９.．]*[.．)）]?[\s　]+")
_FULLWIDTH_NUMBERING = str.maketrans("０１２３４５６７８９．）　", "0123456789.) ")


def _fold_leading_number(line: str) -> str:
    """The line with its leading number (and the space after it) in ASCII."""
    match = _LEADING_NUMBER.match(line)
    if match is None:
        return line
    return match.group().translate(_FULLWIDTH_NUMBERING) + line[match.end():]


@dataclass(frozen=True)
class OutlineLine:
    line_number: int
    number: str  # "1.2.3", as written
    depth: int  # 1 for "1", 3 for "1.2.3"
    title: str


class OutlineError(ValueError):
    """A pasted outline that cannot be read; ``errors`` names each bad line."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("; ".join(errors))


def parse_numbered_outline(text: str, *, max_depth: int = 4, max_title_length: int = 300):
    """Read a pasted, numbered outline into lines with a depth from the numbering.

    "1 Preface", "1.1 Objectives", "1.1.1 Scope" give depths 1, 2 and 3. Blank lines
    are skipped. Every line that is not numbered, too deep or too long is reported
    at once (OutlineError), so an editor fixes the paste in one go.
    """
    lines, errors = [], []
    for line_number, raw in enumerate((text or "").splitlines(), start=1):
        stripped = raw.strip()
        if not stripped:
            continue
        match = _NUMBERED_LINE.match(_fold_leading_number(stripped))
        if match is None:
            errors.append(
                _('Line %(line)d has no number such as "2" or "2.1": "%(text)s".')
                % {"line": line_number, "text": Truncator(stripped).chars(60)}
            )
            continue
        number = match["number"]
        depth = number.count(".") + 1
        title = match["title"].strip()
        if depth > max_depth:
            errors.append(
                _("Line %(line)d is nested %(depth)d levels deep; at most %(max)d are kept.")
                % {"line": line_number, "depth": depth, "max": max_depth}
            )
        elif len(title) > max_title_length:
            errors.append(
                _("Line %(line)d is longer than %(max)d characters.")
                % {"line": line_number, "max": max_title_length}
            )
        else:
            lines.append(OutlineLine(line_number, number, depth, title))
    if errors:
        raise OutlineError(errors)
    return lines
