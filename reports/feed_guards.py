"""What a feed's raw text may carry, checked before a row is decoded.

Kept apart from reports.importing so that a hostile file (a NUL character, bytes
that are not UTF-8, a report nested 100,000 levels deep) fails one row with a
reason instead of stopping the import, whatever the decoding steps do next.
PostgreSQL cannot store NUL nor lone surrogates, and the terminal and the admin
page cannot print the latter, so both are refused where they are first seen.
"""

import json
import re
from collections.abc import Callable, Iterator

from django.utils.translation import gettext as _

SHOWN_CHARACTERS = 40
# A JSON string (escapes included) or one of the characters that structure a
# document; everything else (numbers, true, spaces) lies between them.
_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{},:]')
_PRODUCT_CODE = re.compile(r'"product_code"\s*:\s*("[^"\\]*(?:\\.[^"\\]*)*"|\d+)')


def printable(text: str, limit: int = SHOWN_CHARACTERS) -> str:
    """``text`` as it can be shown anywhere: NUL and undecodable bytes escaped, shortened."""
    shown = text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def text_problem(text: str) -> str:
    """Why a text cannot be stored; "" when it can."""
    if "\x00" in text:
        return _("It contains a NUL character, which no text may hold.")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _("It is not UTF-8 text. Save the feed as UTF-8; in Excel choose "
                 "“CSV UTF-8 (comma delimited)”.")
    return ""


def unstorable_texts(values, label: Callable[[tuple], str]) -> Iterator[tuple[str, str]]:
    """(field, problem) for every key or text in ``values`` that cannot be stored.

    ``label`` names a field from its path of keys and list positions. Walks without
    recursion: a value may be nested as deep as the JSON parser allowed.
    """
    if _plainly_storable(values):
        return
    stack = [((), values)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            for key, child in value.items():
                problem = text_problem(key) if isinstance(key, str) else ""
                if problem:
                    yield label((*path, printable(key))), problem
                else:
                    stack.append(((*path, key), child))
        elif isinstance(value, list):
            stack.extend(((*path, index), child) for index, child in enumerate(value))
        elif isinstance(value, str):
            problem = text_problem(value)
            if problem:
                yield label(path), problem


def _plainly_storable(values) -> bool:
    """True when every key and text of ``values`` can be stored, found in one pass of
    the C serializer (most rows); False sends the row to the walk that names each
    problem. json.dumps writes NUL as "\\u0000" and a lone surrogate as it is, which
    UTF-8 cannot encode; a text that merely spells "\\u0000" is walked too."""
    try:
        # default=str: a JSON feed's numbers are Decimals, never text to check.
        text = json.dumps(values, ensure_ascii=False, default=str)
        text.encode("utf-8")
    except (TypeError, ValueError, RecursionError, UnicodeEncodeError):
        return False
    return "\\u0000" not in text


def json_path_label(path: tuple) -> str:
    """("translations", "en", "title") → "translations.en.title"; list positions from 1."""
    label = ""
    for part in path:
        if isinstance(part, int):
            label += f"[{part + 1}]"
        else:
            label += f".{part}" if label else str(part)
    return label


class Unreadable:
    """A report of a JSON feed that could not be parsed on its own, and why."""

    def __init__(self, reason: str):
        self.reason = reason


def json_reports_one_by_one(text: str, parse: Callable[[str], object]) -> list | None:
    """The reports of a JSON feed the parser could not take as a whole (too deep).

    Finds the list of reports (the document, or its "reports" member) by scanning
    tokens, and parses each report alone; one that still cannot be parsed becomes
    an ``Unreadable``. None when no list of reports can be found.
    """
    spans = _report_spans(text)
    if spans is None:
        return None
    reports = []
    for start, end in spans:
        source = text[start:end]
        try:
            reports.append(parse(source))
        except RecursionError:
            reports.append(Unreadable(_("This report is nested too deeply to be read.")))
        except ValueError as error:
            reports.append(Unreadable(_("This report is not valid JSON: %(reason)s")
                                      % {"reason": error}))
        if isinstance(reports[-1], Unreadable):
            reports[-1].product_code = _product_code_in(source)
    return reports


def _product_code_in(source: str) -> str:
    match = _PRODUCT_CODE.search(source)
    if not match:
        return ""
    try:
        return str(json.loads(match[1]))
    except ValueError:
        return ""


def _report_spans(text: str) -> list[tuple[int, int]] | None:
    """Start and end of each item of the list of reports, from the structure alone."""
    stack: list[str] = []  # open brackets
    last_key = None  # the last string seen directly in the top-level object
    spans: list[tuple[int, int]] = []
    in_reports = False
    item_start = None
    for token in _JSON_TOKEN.finditer(text):
        char = token[0][0]
        depth = len(stack)
        if char == '"':
            if depth == 1 and stack[0] == "{":
                last_key = token[0]
            if in_reports and depth == _reports_depth(stack) and item_start is None:
                item_start = token.start()
            continue
        if char in "[{":
            if not in_reports and _opens_reports(stack, char, last_key):
                in_reports = True
                stack.append(char)
                item_start = None
                continue
            if in_reports and depth == _reports_depth(stack) and item_start is None:
                item_start = token.start()
            stack.append(char)
        elif char in "]}":
            if in_reports and depth == _reports_depth(stack):
                # the list of reports ends
                if item_start is None:
                    item_start = _first_value(text, token.start())
                if text[item_start:token.start()].strip():
                    spans.append((item_start, _trimmed_end(text, item_start, token.start())))
                return spans
            if not stack:
                return None
            stack.pop()
        elif char == "," and in_reports and depth == _reports_depth(stack):
            if item_start is None:
                item_start = _first_value(text, token.start())
            spans.append((item_start, _trimmed_end(text, item_start, token.start())))
            item_start = None
    return None


def _opens_reports(stack: list[str], char: str, last_key) -> bool:
    if char != "[":
        return False
    if not stack:
        return True  # the document is the list
    return stack == ["{"] and last_key == '"reports"'


def _reports_depth(stack: list[str]) -> int:
    # Items of the list of reports sit one level inside it: depth 1 when the
    # document is the list, 2 inside {"reports": [...]}.
    return 1 if stack and stack[0] == "[" else 2


def _first_value(text: str, end: int) -> int:
    """Where a bare value (a number, true, null) before ``end`` starts."""
    start = end
    while start > 0 and text[start - 1] not in "[,":
        start -= 1
    return start


def _trimmed_end(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end
