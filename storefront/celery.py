"""The Celery application; configured from Django settings (``CELERY_*``)."""

import logging
import os
import socket

from celery import Celery
from celery.beat import PersistentScheduler
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "storefront.settings")

app = Celery("storefront")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)


@task_prerun.connect
@task_postrun.connect
def close_old_database_connections(sender=None, task=None, **kwargs) -> None:
    """A task treats the database connection as a web request does: Django's
    close_old_connections() before and after it, so a connection is kept for
    CONN_MAX_AGE seconds, checked before its first use in a task
    (CONN_HEALTH_CHECKS) and dropped once it failed.

    Celery's Django fixup closes every connection around every task instead, unless
    CELERY_DB_REUSE_MAX is set (storefront/settings.py): each delivery then opened a
    new connection and PostgreSQL started a new backend for it (bench/README.md,
    "Runs after issue 16's sixth round"). An eager task runs inside the caller's
    request or transaction, whose connection is the caller's to manage.
    """
    task = task or sender
    if task is not None and getattr(task.request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()


# Share of an entry's interval for which its lock keeps other beats from sending it:
# below one, so the beat that holds it never finds its own lock at the next run.
LOCK_SHARE_OF_INTERVAL = 0.9
# Lock of an entry without a fixed interval (a crontab runs at most once a minute).
LOCK_SECONDS_WITHOUT_INTERVAL = 50


def beat_lock_key(entry_name: str) -> str:
    return f"beat:sent:{entry_name}"


def beat_lock_seconds(entry) -> int:
    run_every = getattr(entry.schedule, "run_every", None)
    if run_every is None:
        return LOCK_SECONDS_WITHOUT_INTERVAL
    return max(1, int(run_every.total_seconds() * LOCK_SHARE_OF_INTERVAL))


class SharedLockScheduler(PersistentScheduler):
    """Celery beat's scheduler, sending each entry once per interval however many
    beats run.

    Before sending, a beat adds the entry's key to the shared cache (Redis, atomic
    ``cache.add``) with a timeout just under the entry's interval; a beat that finds
    the key sends nothing. One beat process is the deployment (README), this makes a
    second one harmless. While the cache cannot be reached the entry is sent anyway:
    every periodic task is an idempotent sweep, so a duplicate costs a query, and a
    missed run would leave paid orders undelivered.
    """

    def apply_async(self, entry, producer=None, advance=True, **kwargs):
        if not self._claim(entry):
            logger.info("beat: %s was sent by another beat within its interval", entry.name)
            return None
        return super().apply_async(entry, producer=producer, advance=advance, **kwargs)

    def _claim(self, entry) -> bool:
        from django.core.cache import cache

        holder = f"{socket.gethostname()}:{os.getpid()}"
        try:
            return cache.add(beat_lock_key(entry.name), holder, timeout=beat_lock_seconds(entry))
        except Exception as error:  # the cache fails open; see the docstring
            logger.warning("beat: no lock for %s (%s); sending it anyway", entry.name, error)
            return True
