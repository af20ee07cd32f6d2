"""Deploy knobs come from the environment, with safe defaults."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from storefront.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]


def load_settings(**environment):
    """Import storefront.settings in a fresh interpreter with exactly this environment."""
    env = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "storefront.settings", **environment}
    script = (
        "import json, django; from django.conf import settings; "
        "print(json.dumps({'DEBUG': settings.DEBUG, 'ENGINE': settings.DATABASES['default']['ENGINE'],"
        " 'CACHE': settings.CACHES['default']['BACKEND'], 'EAGER': settings.CELERY_TASK_ALWAYS_EAGER,"
        " 'BROKER': settings.CELERY_BROKER_URL, 'HOSTS': settings.ALLOWED_HOSTS,"
        " 'EMAIL': settings.EMAIL_BACKEND, 'EMAIL_HOST': settings.EMAIL_HOST,"
        " 'EMAIL_PORT': settings.EMAIL_PORT, 'EMAIL_TLS': getattr(settings, 'EMAIL_USE_TLS', False)}))"
    )
    return subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )


def test_local_defaults_need_nothing_running():
    result = load_settings()
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["DEBUG"] is True
    assert values["ENGINE"] == "django.db.backends.sqlite3"
    assert values["CACHE"].endswith("LocMemCache")
    assert values["EAGER"] is True
    assert values["EMAIL"].endswith("console.EmailBackend")


def test_production_environment():
    result = load_settings(
        DJANGO_SECRET_KEY="x" * 50,
        DJANGO_ALLOWED_HOSTS="shop.example.com",
        DATABASE_URL="postgres://shop:pw@db.internal:5432/shop",
        REDIS_URL="redis://cache.internal:6379/1",
        EMAIL_URL="smtp+tls://mailer:secret@smtp.example.com:587",
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["DEBUG"] is False
    assert values["ENGINE"] == "django.db.backends.postgresql"
    assert values["CACHE"].endswith("RedisCache")
    assert values["EAGER"] is False
    assert values["BROKER"] == "redis://cache.internal:6379/1"
    assert values["HOSTS"] == ["shop.example.com"]
    assert values["EMAIL"].endswith("smtp.EmailBackend")
    assert (values["EMAIL_HOST"], values["EMAIL_PORT"], values["EMAIL_TLS"]) == (
        "smtp.example.com", 587, True
    )


def test_debug_off_without_a_secret_key_refuses_to_start():
    result = load_settings(DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_celery_reliability_defaults():
    conf = celery_app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_time_limit > conf.task_soft_time_limit > 0
    assert conf.task_serializer == "json"
    assert conf.accept_content == ["json"]


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (make test and CI set it)")
def test_redis_is_broker_result_store_and_cache_when_configured(settings):
    from django.core.cache import cache

    assert settings.CELERY_BROKER_URL == os.environ["REDIS_URL"]
    cache.set("storefront-test-key", "值", 10)
    assert cache.get("storefront-test-key") == "值"


def test_the_cache_gets_its_own_redis_database_and_short_timeouts():
    # given production settings with one Redis URL
    env = {
        "PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "storefront.settings",
        "DJANGO_SECRET_KEY": "x" * 50, "DJANGO_ALLOWED_HOSTS": "shop.example.com",
        "REDIS_URL": "redis://:secret@cache.internal:6379/2",
    }
    script = (
        "import json, django; from django.conf import settings; c = settings.CACHES['default']; "
        "print(json.dumps({'location': c['LOCATION'], 'options': c['OPTIONS'], "
        "'broker': settings.CELERY_BROKER_URL, "
        "'transport': settings.CELERY_BROKER_TRANSPORT_OPTIONS}))"
    )
    # when they are loaded
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    # then the broker keeps the URL's database and the cache takes the next one
    assert values["broker"] == "redis://:secret@cache.internal:6379/2"
    assert values["location"] == "redis://:secret@cache.internal:6379/3"
    # and neither waits long on a hung Redis
    assert values["options"]["socket_timeout"] <= 1
    assert values["options"]["socket_connect_timeout"] <= 1
    assert values["transport"]["socket_timeout"] <= 1
    assert values["transport"]["socket_connect_timeout"] <= 1


def test_tasks_keep_no_results_and_queueing_retries_once():
    # A result nobody reads made every delay() wait on the result store (20 s with Redis down).
    conf = celery_app.conf
    assert conf.task_ignore_result is True
    assert conf.task_publish_retry_policy["max_retries"] <= 1
