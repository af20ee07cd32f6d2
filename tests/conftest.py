import uuid

import pytest

pytest_plugins = ["tests.smtp_sink", "tests.celery_worker", "tests.stripe_server", "tests.s3_server"]


@pytest.fixture(autouse=True)
def _english_by_default(settings):
    """Each test starts in English, as a new visitor would."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _own_cache_namespace(settings):
    """Each test sees an empty cache, even on the shared Redis of CI, without flushing it."""
    settings.CACHES = {
        name: {**config, "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
        for name, config in settings.CACHES.items()
    }
