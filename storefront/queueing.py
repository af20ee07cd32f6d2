"""Queueing work after a commit without letting a broker outage fail the request."""

import logging
import time

from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

# After the broker failed to take a task, queueing is skipped this long: a request
# that queues two tasks (an inquiry's acknowledgement and sales notice) waits on a
# hung broker once, and the requests after it not at all.
RETRY_AFTER_SECONDS = 5.0

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
