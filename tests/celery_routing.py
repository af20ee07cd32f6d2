"""The shop's queues under a test session's name, so sessions on one Redis stay apart.

Production routes tasks to fixed queues (``delivery``, ``mail``, ``sweeps``, default
``celery``: storefront/settings.py). A test session's worker must take only that
session's tasks, so in tests every route is the shop's queue name under the current
default queue: with ``task_default_queue = "storefront-test-1a2b"`` a delivery goes to
``storefront-test-1a2b.delivery`` and anything unrouted to ``storefront-test-1a2b``.
A test that points the default queue elsewhere (its own worker) takes every routed
queue with it. The test settings and the worker's settings both route with
``route_under_default_queue``; ``session_queues`` names what a worker consumes.
"""

from __future__ import annotations

from storefront import settings as shop_settings

# The production routes, by task name (tests/settings.py replaces the setting).
SHOP_ROUTES: dict[str, dict] = dict(shop_settings.CELERY_TASK_ROUTES)
SHOP_QUEUES: tuple[str, ...] = tuple(sorted({route["queue"] for route in SHOP_ROUTES.values()}))


def session_queue_name(default_queue: str, shop_queue: str) -> str:
    return f"{default_queue}.{shop_queue}"


def session_queues(default_queue: str) -> list[str]:
    """Every queue a worker of this default queue consumes: the default and the shop's."""
    return [default_queue, *(session_queue_name(default_queue, queue) for queue in SHOP_QUEUES)]


def route_under_default_queue(name, args, kwargs, options, task=None, **rest):
    """A Celery router: the shop's route of ``name``, under the app's default queue."""
    route = SHOP_ROUTES.get(name)
    if route is None:
        return None
    if task is not None:
        app = task.app
    else:
        from celery import current_app as app
    return {**route, "queue": session_queue_name(app.conf.task_default_queue, route["queue"])}
