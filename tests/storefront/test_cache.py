"""The cache on Redis fails fast: after Redis failed to answer, calls raise at once for a while."""

import time

import pytest
import redis
from django.core.cache import cache

from storefront import cache as fail_fast
from tests.redis_server import own_redis  # noqa: F401 (fixture)


@pytest.fixture
def cache_on_own_redis(own_redis, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "storefront.cache.FailFastRedisCache",
            "LOCATION": own_redis.url(1),
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        }
    }
    return own_redis


def test_a_hung_redis_costs_one_timeout_then_the_cache_is_skipped_until_it_answers(
    cache_on_own_redis, monkeypatch
):
    monkeypatch.setattr(fail_fast, "RETRY_AFTER_SECONDS", 0.5)
    cache.set("greeting", "你好", 60)
    # given Redis hung (accepting connections, answering nothing)
    with cache_on_own_redis.down("frozen"):
        # when the cache is used, then the first call times out on the socket
        with pytest.raises(redis.TimeoutError):
            cache.get("greeting")
        # and the next ones fail at once, without touching the network
        with pytest.raises(fail_fast.CacheUnavailable):
            cache.get("greeting")
        with pytest.raises(fail_fast.CacheUnavailable):
            cache.set("greeting", "hello", 60)
    # when Redis answers again and the pause is over, the cache is used again
    time.sleep(0.6)
    assert cache.get("greeting") == "你好"
