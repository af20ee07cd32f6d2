"""Queueing work after a commit without letting a broker outage fail the request."""

import logging

logger = logging.getLogger(__name__)


def delay_or_leave_to_sweep(task, *args) -> None:
    """Queue a task; if that fails, log it and leave the work to the periodic sweep.

    Callers have committed the state the task works from, so nothing is lost: the
    broker may be down, or (tasks run in-process) the task itself failed and
    flagged its object for staff. Either way the buyer's request still succeeds.
    """
    try:
        task.delay(*args)
    except Exception:
        logger.exception("could not queue %s%r; the periodic sweep will", task.name, args)
