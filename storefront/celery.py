"""The Celery application; configured from Django settings (``CELERY_*``)."""

import logging
import os
import socket

from celery import Celery
from celery.beat import PersistentScheduler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "storefront.settings")

app = Celery("storefront")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)

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
