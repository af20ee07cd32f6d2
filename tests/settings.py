"""Test settings: the real settings, with fast hashing, in-memory mail and temp files."""

import os
import tempfile
from pathlib import Path

from storefront.settings import *  # noqa: F401,F403
from storefront.settings import STORAGES
from tests.celery_routing import route_under_default_queue

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# Unit tests run tasks in-process; the worker tests start a real Celery worker.
CELERY_TASK_ALWAYS_EAGER = True
# Sent to a real broker, tasks go to the shop's queues under the session's default
# queue (tests/celery_routing.py), never to the production queue names.
CELERY_TASK_ROUTES = (route_under_default_queue,)

PRIVATE_MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="storefront-test-private-"))
# Prepared masters of this session, in a folder of its own; the workers the tests
# start inherit it through the environment.
STAMP_CACHE_DIR = Path(tempfile.mkdtemp(prefix="storefront-test-prepared-"))
os.environ["STAMP_CACHE_DIR"] = str(STAMP_CACHE_DIR)
STORAGES = {
    **STORAGES,
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT, "base_url": None},
    },
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT, "base_url": None},
    },
    # No collectstatic before tests: serve the source files as they are.
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Static files straight from the source folders (no collectstatic before tests).
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
