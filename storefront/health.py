"""Health and readiness checks for load balancers and monitoring (/healthz, /readyz).

Every check is one cheap round trip that writes nothing, bounded in time, and timed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.files.storage import storages
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

logger = logging.getLogger(__name__)

# A key never written: asking for it is a round trip to the storage (a HEAD in a
# bucket, a stat on disk) that leaves nothing behind.
STORAGE_PROBE_NAME = "healthz-probe"


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    milliseconds: float


def timed(check: Callable[[], None]) -> CheckResult:
    """Run ``check``; any exception is a failed check, logged, never raised."""
    started = time.perf_counter()
    try:
        check()
    except Exception as error:  # a failure of the checked part, reported, not raised
        milliseconds = (time.perf_counter() - started) * 1000
        logger.warning("health check %s failed: %s", getattr(check, "__name__", check), error)
        return CheckResult(False, round(milliseconds, 1))
    return CheckResult(True, round((time.perf_counter() - started) * 1000, 1))


def check_database() -> None:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def redis_check(url: str) -> Callable[[], None]:
    def check_redis() -> None:
        import redis

        # A load balancer's probe must not hang on a hung Redis either.
        timeout = settings.REDIS_TIMEOUT_SECONDS
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        try:
            client.ping()
        finally:
            client.close()

    return check_redis


def check_storage() -> None:
    """Ask the private storage (masters and stamped copies) for a key never written."""
    storages["private"].exists(STORAGE_PROBE_NAME)


def health_checks() -> dict[str, Callable[[], None]]:
    """What /healthz checks: the database, Redis (broker; the cache when elsewhere), storage."""
    checks = {"database": check_database}
    if settings.REDIS_URL:
        checks["redis"] = redis_check(settings.REDIS_URL)
    if settings.CACHE_REDIS_URL and settings.CACHE_REDIS_URL != settings.REDIS_URL:
        checks["cache"] = redis_check(settings.CACHE_REDIS_URL)
    checks["storage"] = check_storage
    return checks


def unapplied_migrations() -> list[str]:
    """The migrations of this code that the database lacks, as "app.name" (~4 ms:
    the migration graph is built from modules already imported, and one query)."""
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]
