"""Settings of the real Celery worker that tests/celery_worker.py starts.

The production settings, pointed at what the test session set up; everything
comes from the environment the fixture gives the worker:

- ``TEST_DATABASE_NAME``: pytest-django's test database (on the server of DATABASE_URL).
- ``EMAIL_URL``: the session's SMTP sink (read by storefront.settings).
- ``REDIS_URL``: broker and result store (read by storefront.settings).
- ``CELERY_TEST_QUEUE``: the default queue of this test session; the shop's queues
  (delivery, mail, sweeps) are routed under its name (tests/celery_routing.py), so
  parallel sessions on one Redis never take each other's tasks.
- ``PRIVATE_MEDIA_ROOT``: the test session's private storage (read by storefront.settings).
- ``WORKER_CONN_MAX_AGE``: seconds the worker keeps its database connection (default 0).
"""

import os

from storefront.settings import *  # noqa: F401,F403
from storefront.settings import DATABASES
from tests.celery_routing import route_under_default_queue

CELERY_TASK_ALWAYS_EAGER = False

DATABASES = {
    **DATABASES,
    "default": {**DATABASES["default"], "NAME": os.environ["TEST_DATABASE_NAME"]},
}
# No connection outlives a task: pytest-django truncates tables after each test
# and drops the database at the end of the session. A test of the connection kept
# between tasks (test_worker_database_connection.py) starts its own worker with more.
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("WORKER_CONN_MAX_AGE", "0"))

_queue = os.environ.get("CELERY_TEST_QUEUE")
if _queue:
    CELERY_TASK_DEFAULT_QUEUE = _queue
    # Retries and the tasks a sweep queues go to this session's queues too.
    CELERY_TASK_ROUTES = (route_under_default_queue,)

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# A stuck sink fails a test in seconds, not after the production timeout.
EMAIL_TIMEOUT = 5
# Retries come within a second, so failure-and-recovery tests stay short.
TASK_RETRY_BACKOFF_SECONDS = 1
# A test that needs retries to outlast a fault starts its own worker with more.
DELIVERY_MAX_RETRIES = int(os.environ.get("DELIVERY_MAX_RETRIES", "2"))
SITE_URL = "http://testserver"  # links in mail, as the in-process test client sees them
