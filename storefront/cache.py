"""Django's Redis cache, failing fast while Redis is unreachable.

The cache is an accelerator: every caller (the catalogue page cache, the rate
limits) goes on without it. What must not happen is a web request waiting on a
dead or hung Redis: short socket timeouts bound one call (settings:
REDIS_TIMEOUT_SECONDS), and after a connection error or a timeout every further
call in this process raises at once for RETRY_AFTER_SECONDS, so a request pays
at most one timeout and a hung Redis costs one request per process in that time,
not every request.
"""

import functools
import logging
import time

import redis
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

logger = logging.getLogger(__name__)

# How long the cache is skipped after Redis failed to answer.
RETRY_AFTER_SECONDS = 5.0


# Per Redis location, the monotonic time until which the cache is skipped; shared
# by the threads of a process (Django keeps a cache client per thread).
_unavailable_until: dict[tuple[str, ...], float] = {}


class CacheUnavailable(redis.ConnectionError):
    """Raised without touching the network while Redis is known to be down."""


def _fail_fast(method):
    @functools.wraps(method)
    def guarded(self, *args, **kwargs):
        location = tuple(self._servers)
        if time.monotonic() < _unavailable_until.get(location, 0.0):
            raise CacheUnavailable("the cache is skipped after a Redis failure")
        try:
            return method(self, *args, **kwargs)
        except (redis.ConnectionError, redis.TimeoutError) as error:
            _unavailable_until[location] = time.monotonic() + RETRY_AFTER_SECONDS
            logger.warning(
                "cache unavailable (%s); skipped for %.0f s", error, RETRY_AFTER_SECONDS
            )
            raise

    return guarded


class FailFastRedisCacheClient(RedisCacheClient):
    def get_client(self, key=None, *, write=False):
        # Django builds a new redis.Redis around the pool on every call, and its
        # __init__ (response callbacks, about 0.1 ms) cost a cached page a tenth of
        # its time. A client is safe to share between threads (the pool hands out
        # the connections), so one is kept per pool.
        pool = self._get_connection_pool(write)
        clients = self.__dict__.setdefault("_clients", {})
        client = clients.get(id(pool))
        if client is None or client.connection_pool is not pool:
            client = clients[id(pool)] = self._client(connection_pool=pool)
        return client


for _name in (
    "add", "get", "set", "touch", "delete", "get_many", "has_key",
    "incr", "set_many", "delete_many", "clear",
):
    setattr(
        FailFastRedisCacheClient, _name, _fail_fast(getattr(RedisCacheClient, _name))
    )


class FailFastRedisCache(RedisCache):
    """RedisCache whose calls raise at once for a while after Redis failed to answer."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = FailFastRedisCacheClient
