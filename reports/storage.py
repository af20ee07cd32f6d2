"""Private file storage for master and sample PDFs: never under a served URL.

The storage is the local disk (PRIVATE_MEDIA_ROOT) or, on several hosts, an
S3-compatible bucket: nothing may assume a local path, so code that needs a real
file (qpdf, a child process) asks for a local copy here.
"""

import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import PurePosixPath
from urllib.parse import quote

from django.conf import settings
from django.core.files.storage import storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty

COPY_CHUNK_BYTES = 1 << 20


class _PrivateStorage(LazyObject):
    """STORAGES["private"], looked up when first used and again after the setting
    changes (a test that swaps in a bucket), not frozen when the models load."""

    def _setup(self):
        self._wrapped = storages["private"]


_private = _PrivateStorage()


@receiver(setting_changed)
def _forget_private_storage(*, setting, **kwargs):
    if setting == "STORAGES":
        _private._wrapped = empty


def private_storage():
    # A callable, so that tests and deployments can swap the "private" storage
    # (for example a cloud bucket) without a migration.
    return _private


def local_path_of(storage, name: str) -> str | None:
    """The file's own path when the storage is a local folder; None for a bucket."""
    try:
        return storage.path(name)
    except NotImplementedError:
        return None


@contextmanager
def local_copy(storage, name: str, *, suffix: str = ".pdf") -> Iterator[str]:
    """A local path holding the stored file ``name`` for the duration of the block.

    On a local storage that is the file itself (nothing copied); from a bucket, the
    object is streamed into a temporary file, removed at the end of the block.
    """
    path = local_path_of(storage, name)
    if path is not None:
        yield path
        return
    with tempfile.NamedTemporaryFile(
        # Named after the stored file, so that messages about the copy say which one.
        prefix=f"{PurePosixPath(name).stem[:80]}-", suffix=suffix, dir=settings.FILE_UPLOAD_TEMP_DIR
    ) as copy:
        with storage.open(name, "rb") as stored:
            s3_object = getattr(stored, "obj", None)
            if s3_object is not None and hasattr(s3_object, "download_fileobj"):
                # Straight from the bucket into the copy, in ranged parts: no spool
                # of the whole object in between.
                s3_object.download_fileobj(copy, Config=getattr(storage, "transfer_config", None))
            else:
                shutil.copyfileobj(stored, copy, COPY_CHUNK_BYTES)
        copy.flush()
        yield copy.name


def presigned_download_url(storage, name: str, *, filename: str, content_type: str) -> str | None:
    """A short-lived signed URL that serves the stored file as an attachment named
    ``filename``; None on a local storage (Django or nginx sends the file instead).

    The bucket itself stays private: the URL is signed and expires after
    AWS_QUERYSTRING_EXPIRE seconds.
    """
    if local_path_of(storage, name) is not None:
        return None
    return storage.url(
        name,
        parameters={
            "ResponseContentDisposition": attachment_disposition(filename),
            "ResponseContentType": content_type,
            "ResponseCacheControl": "private, no-store",
        },
    )


def attachment_disposition(filename: str) -> str:
    """Content-Disposition for a download named ``filename`` (RFC 6266): an ASCII
    ``filename`` for old clients and the exact UTF-8 name in ``filename*``."""
    fallback = re.sub(r'[^\x20-\x7e]|["\\]', "_", filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
