"""Parts of catalogue pages kept in each process's memory for one catalogue version.

The page cache (reports/page_cache.py) keeps whole pages; when it misses (a new
search, a filter, the first request after an edit) or is switched off
(CATALOGUE_CACHE_SECONDS = 0), the page is built again. Most of what it is built
from changes only when the catalogue does: the category tree and publishers of the
sidebar, the number of reports under a filter, a report card without its price, a
report's table of contents, segmentation and key figures, its related reports.
Those are kept here, per process, under the catalogue version: an edit bumps the
version (services.catalogue_changed) and the next request starts afresh.

Entries also end at the next scheduled publication (a report becoming visible
changes lists without an edit), read once per version. At most
CATALOGUE_MEMO_ENTRIES entries per language are kept (least recently used go first);
0 switches the memo off. Without a readable version (the cache is down) nothing is
kept: every request builds its parts, as it did before.
"""

import threading
import time
from collections import OrderedDict

from django.conf import settings
from django.utils.translation import get_language

from reports import page_cache

_MISSING = object()
# Kept at most this long even without an edit, as pages in the page cache are at its
# default: a bump lost while the cache was down must not leave old parts for good.
LONGEST_SECONDS = 300


class _Memo:
    def __init__(self):
        self.version = None
        self.stale_after = 0.0
        self.entries: OrderedDict = OrderedDict()
        self.lock = threading.Lock()


# One memo per language, each with its own share of CATALOGUE_MEMO_ENTRIES, so a
# page costs the same in every language.
_memos: dict[str, _Memo] = {}


def _current(version, seconds_until_change) -> _Memo:
    language = get_language() or settings.LANGUAGE_CODE
    _memo = _memos.get(language)
    if _memo is None:
        _memo = _memos.setdefault(language, _Memo())
    now = time.time()
    if _memo.version != version or now >= _memo.stale_after:
        # Read before clearing, so a publication due meanwhile is not missed.
        stale_after = now + max(1, min(LONGEST_SECONDS, seconds_until_change()))
        with _memo.lock:
            _memo.entries = OrderedDict()
            _memo.version = version
            _memo.stale_after = stale_after
    return _memo


def memoised(key: tuple, build):
    """build()'s value, kept under key for the current catalogue version and language."""
    limit = settings.CATALOGUE_MEMO_ENTRIES
    if limit <= 0:
        return build()
    version = page_cache.current_version()
    if version is None:
        return build()
    from reports.selectors import seconds_until_next_visible_change  # uses the memo

    _memo = _current(version, seconds_until_next_visible_change)
    value = _memo.entries.get(key, _MISSING)
    if value is not _MISSING:
        return value
    value = build()
    with _memo.lock:
        if _memo.version == version:
            _memo.entries[key] = value
            while len(_memo.entries) > limit:
                _memo.entries.popitem(last=False)
    return value


def memoised_many(name: str, keys: list, build_missing) -> dict:
    """Values for many keys at once; build_missing(missing_keys) returns a dict for them.

    For parts of one page (the cards of a list page) that are built together when
    some are missing.
    """
    limit = settings.CATALOGUE_MEMO_ENTRIES
    if limit <= 0:
        return build_missing(keys)
    version = page_cache.current_version()
    if version is None:
        return build_missing(keys)
    from reports.selectors import seconds_until_next_visible_change

    _memo = _current(version, seconds_until_next_visible_change)
    found, missing = {}, []
    for key in keys:
        value = _memo.entries.get((name, key), _MISSING)
        if value is _MISSING:
            missing.append(key)
        else:
            found[key] = value
    if missing:
        built = build_missing(missing)
        found.update(built)
        with _memo.lock:
            if _memo.version == version:
                for key, value in built.items():
                    _memo.entries[(name, key)] = value
                while len(_memo.entries) > limit:
                    _memo.entries.popitem(last=False)
    return found

