"""Private file storage for master and sample PDFs: never under a served URL."""

from django.core.files.storage import storages


def private_storage():
    # A callable, so that tests and deployments can swap the "private" storage
    # (for example a cloud bucket) without a migration.
    return storages["private"]
