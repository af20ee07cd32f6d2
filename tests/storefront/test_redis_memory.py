"""The cache never takes the broker's memory: its own database, every entry evictable.

The documented rule (README, "Redis memory"): Redis runs with a memory limit and
``maxmemory-policy volatile-lru``; every cache entry has an expiry, the broker's
queues have none, so when the cache fills the memory Redis evicts cache entries
and never a queued task.
"""

import uuid
import warnings

import pytest
from celery.exceptions import AlwaysEagerIgnored
from django.test import Client

from tests.factories import make_report
from tests.inquiries.conftest import form_data
from tests.redis_server import own_redis  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def cache_on_own_redis(own_redis, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "storefront.cache.FailFastRedisCache",
            "LOCATION": own_redis.url(1),
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        }
    }
    return own_redis.client(1)


def test_every_cache_entry_the_shop_writes_expires_but_the_catalogue_version(
    cache_on_own_redis, django_capture_on_commit_callbacks
):
    # given a catalogue, and visitors using pages, search and the contact form
    report = make_report(product_code="1994249")
    for url in ("/en/", "/en/reports/", "/en/reports/?q=market", report.get_absolute_url(),
                "/sitemap.xml"):
        assert Client().get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert Client().post("/en/contact/", form_data()).status_code == 302
    # when the cache's keys are listed
    keys = {key.decode(): cache_on_own_redis.ttl(key) for key in cache_on_own_redis.scan_iter()}
    # then every one expires (evictable under volatile-lru), except the version,
    # which must never be evicted (see reports.page_cache.bump_catalogue_version)
    assert any(":catalogue:page:" in key for key in keys)
    assert any(":inquiries:rate:" in key for key in keys)
    without_expiry = [key for key, ttl in keys.items() if ttl < 0]
    assert len(without_expiry) == 1 and without_expiry[0].endswith(":catalogue:version")


def test_a_full_redis_evicts_cache_entries_and_keeps_every_queued_task(
    own_redis, cache_on_own_redis, settings
):
    from storefront.celery import app

    # given Redis with a memory limit and the documented policy, and tasks queued
    # in the broker's database that no worker has taken yet
    server = own_redis.client(0)
    used = server.info("memory")["used_memory"]
    server.config_set("maxmemory", used + 2 * 1024 * 1024)
    server.config_set("maxmemory-policy", "volatile-lru")
    queue = f"memory-{uuid.uuid4().hex[:8]}"
    with app.connection_for_write(own_redis.url(0)) as connection, warnings.catch_warnings():
        warnings.simplefilter("ignore", AlwaysEagerIgnored)  # send_task always goes out
        for number in range(50):
            app.send_task(
                "storefront.inquiries.tasks.sweep_inquiry_mail_task",
                connection=connection, queue=queue,
            )
    assert server.llen(queue) == 50
    # when visitors from many addresses fill the cache with searches, past the limit
    make_report(product_code="1994249", title_en="Continuing Medical Education Market")
    settings.CATALOGUE_CACHE_QUERIES_PER_IP = 1000
    for number in range(400):
        response = Client(REMOTE_ADDR=f"10.0.{number // 250}.{number % 250}").get(
            f"/en/reports/?q=market+{number}"
        )
        assert response.status_code == 200
    # then Redis evicted cache entries, and every queued task is still there
    assert server.info("stats")["evicted_keys"] > 0
    assert server.llen(queue) == 50
