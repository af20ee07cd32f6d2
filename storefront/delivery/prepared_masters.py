"""Masters prepared for stamping, kept on this host's disk (STAMP_CACHE_DIR).

    result = stamp_stored(storage, name, output, stamp)

Before a copy is stamped, every page of the master is made to draw the stamp's
shared forms (stamping.prepare_master). That work is the same for every copy of a
master, so each host does it once per master, on its first delivery, and keeps the
prepared file here; every later copy is stamped from it and only fills the forms
(a copy of the 196-page demo master takes 10 ms instead of 16 in English, 15
instead of 21 in Chinese: bench/stamping.py, bench/README.md). With a bucket it
also spares every later delivery the download of the master.

A kept file is named after what identifies the stored master's content: the storage,
the master's name, its size and its modification time (a master replaced under the
same name gets a new file), and FORMAT. It is written under a temporary name and
renamed when complete, so a process killed half-way leaves no half-file under a real
name, and two processes preparing the same master at once both end with a whole one.
Past STAMP_CACHE_MAX_MB the least recently used files are removed; 0 turns keeping
off (every copy is stamped from the master, as before).

Keeping is never a reason for a delivery to fail: a folder that cannot be written
means stamping from the master, and a kept file that cannot be stamped from is
removed and the copy stamped from the master.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import time
from pathlib import Path

from django.conf import settings

from reports.storage import local_copy
from storefront.delivery import StampError
from storefront.delivery.fonts import StampFontMissing
from storefront.delivery.licence_stamp import LicenceStamp, StampResult
from storefront.delivery.stamping import prepare_master, stamp_licence

logger = logging.getLogger(__name__)

# Raise when what a prepared file holds changes (stamp_pages.prepare_pages,
# record_plan): files of the old format are then never read again, and age out.
FORMAT = 1

# A temporary file older than this was left by a killed process.
ABANDONED_AFTER_SECONDS = 3600
TEMPORARY_PREFIX = ".preparing-"


def stamp_stored(storage, name: str, output, stamp: LicenceStamp) -> StampResult:
    """stamp_licence of the master stored as ``name``, from this host's prepared copy
    (made now if there is none). Raises what stamp_licence raises for the master."""
    prepared = _prepared_path(storage, name)
    if prepared is not None:
        try:
            return stamp_licence(str(prepared), output, stamp, prepared=True)
        except StampFontMissing:
            raise  # the master is not the matter
        except StampError as error:
            logger.warning("prepared master %s of %s could not be stamped from (%s): "
                           "removed, stamping from the master", prepared, name, error)
            _remove(prepared)
    with local_copy(storage, name) as master:
        return stamp_licence(master, output, stamp)


def _limit_bytes() -> int:
    return int(float(settings.STAMP_CACHE_MAX_MB) * 1024 * 1024)


def cache_key(storage, name: str) -> str:
    """The kept file's name for the stored master ``name`` as it is now."""
    where = getattr(storage, "bucket_name", None) or str(getattr(storage, "location", ""))
    modified = storage.get_modified_time(name).timestamp()
    identity = f"{FORMAT}\0{type(storage).__name__}\0{where}\0{name}\0{storage.size(name)}\0{modified}"
    return hashlib.sha256(identity.encode()).hexdigest()[:40]


def _prepared_path(storage, name: str) -> Path | None:
    """The kept prepared file of ``name``, prepared now if needed; None when keeping is
    off or the folder cannot be used. StampError for a master that cannot be stamped."""
    if _limit_bytes() <= 0:
        return None
    directory = Path(settings.STAMP_CACHE_DIR)
    target = directory / f"{cache_key(storage, name)}.pdf"
    try:
        os.utime(target)  # the most recently used: the last to be removed
        return target
    except FileNotFoundError:
        pass
    except OSError as error:
        logger.warning("prepared master %s unusable (%s): stamping from the master", target, error)
        return None
    started = time.perf_counter()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=TEMPORARY_PREFIX, suffix=".pdf", dir=directory)
    except OSError as error:
        logger.warning("cannot keep prepared masters in %s (%s): stamping from the master",
                       directory, error)
        return None
    try:
        with os.fdopen(handle, "wb") as output, local_copy(storage, name) as master:
            pages = prepare_master(master, output)
        os.replace(temporary, target)
    except OSError as error:  # a full disk, say: the master itself still stamps
        logger.warning("could not prepare %s in %s (%s): stamping from the master",
                       name, directory, error)
        return None
    finally:
        _remove(Path(temporary))
    logger.info("prepared master %s for stamping: %d pages, %d bytes, %.0f ms", name, pages,
                target.stat().st_size, (time.perf_counter() - started) * 1000)
    remove_least_recently_used(directory, keep=target)
    return target


def remove_least_recently_used(directory: Path, *, keep: Path | None = None) -> int:
    """Remove kept files, least recently used first, until the folder holds at most
    STAMP_CACHE_MAX_MB (never ``keep``), and temporary files a killed process left.
    Returns how many files were removed."""
    now = time.time()
    entries, removed = [], 0
    try:
        listing = list(os.scandir(directory))
    except FileNotFoundError:
        return 0
    for entry in listing:
        try:
            status = entry.stat()
        except FileNotFoundError:  # removed by another process meanwhile
            continue
        if entry.name.startswith(TEMPORARY_PREFIX):
            if now - status.st_mtime > ABANDONED_AFTER_SECONDS:
                removed += _remove(Path(entry.path))
        elif entry.name.endswith(".pdf"):
            entries.append((status.st_mtime, status.st_size, Path(entry.path)))
    total = sum(size for _, size, _ in entries)
    for _, size, path in sorted(entries):
        if total <= _limit_bytes():
            break
        if path != keep:
            removed += _remove(path)
            total -= size
    return removed


def _remove(path: Path) -> int:
    try:
        path.unlink()
        return 1
    except FileNotFoundError:
        return 0
