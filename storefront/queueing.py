"""Queueing work after a commit without letting a broker outage fail the request."""

import logging
import time
from smtplib import SMTPException

from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.db import InterfaceError
from django.db import OperationalError as DatabaseError
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

# After the broker failed to take a task, queueing is skipped this long: a request
# that queues two tasks (an inquiry's acknowledgement and sales notice) waits on a
# hung broker once, and the requests after it not at all.
RETRY_AFTER_SECONDS = 5.0

# Worth retrying: the mail server, the database or the storage may be back in a minute.
# Anything else (a damaged master, a stamp that cannot be made, a bug) fails the same
# way every time, so its object is flagged at once instead of being retried for ever.
TRANSIENT_ERRORS = (
    SMTPException, ConnectionError, TimeoutError, OSError, DatabaseError, InterfaceError,
)  # fmt: skip

# Per broker URL, the monotonic time until which queueing is skipped.
_broker_unavailable_until: dict[str, float] = {}


def delay_or_leave_to_sweep(task, *args) -> None:
    """Queue a task; if that fails, log it and leave the work to the periodic sweep.

    Callers have committed the state the task works from, so nothing is lost: the
    broker may be down, or (tasks run in-process) the task itself failed and
    flagged its object for staff. Either way the buyer's request still succeeds.
    Queueing waits on the broker for about a second at most (the broker's socket
    timeouts and publish retry policy in settings), and not at all for
    RETRY_AFTER_SECONDS after it failed.
    """
    broker = str(task.app.conf.broker_url)
    if time.monotonic() < _broker_unavailable_until.get(broker, 0.0):
        logger.warning("broker unavailable: %s%r left to the periodic sweep", task.name, args)
        return
    try:
        task.delay(*args)
    except OperationalError:
        _broker_unavailable_until[broker] = time.monotonic() + RETRY_AFTER_SECONDS
        logger.exception("could not queue %s%r; the periodic sweep will", task.name, args)
    except Exception:
        logger.exception("could not queue %s%r; the periodic sweep will", task.name, args)


def retry_or_give_up(
    task, error: Exception, *, max_retries: int, give_up, reason: str = "", maximum: int = 600
):
    """From a bound task's handler of a transient error: retry with jittered exponential
    backoff (TASK_RETRY_BACKOFF_SECONDS doubling, at most ``maximum`` seconds); after
    ``max_retries``, call ``give_up(reason)`` (flag the object for staff) and re-raise.
    """
    if task.request.retries >= max_retries:
        give_up(reason or f"{type(error).__name__}: {error}")
        raise error
    countdown = get_exponential_backoff_interval(
        factor=settings.TASK_RETRY_BACKOFF_SECONDS,
        retries=task.request.retries,
        maximum=maximum,
        full_jitter=True,
    )
    raise task.retry(exc=error, countdown=countdown)
