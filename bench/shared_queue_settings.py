"""The shop's settings with every task on the one default queue: the "before" of
bench/mail_latency_during_burst.py (stamping and mail in one line)."""

from storefront.settings import *  # noqa: F401,F403

CELERY_TASK_ROUTES = {}
