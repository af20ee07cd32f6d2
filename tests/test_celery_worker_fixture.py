"""The real-worker fixture hands the suite back as it found it: tasks eager again."""

import pytest

from storefront.celery import app


@pytest.mark.django_db(transaction=True)
def test_tasks_go_to_the_broker_while_the_worker_fixture_is_used(celery_worker):
    assert app.conf.task_always_eager is False


@pytest.mark.django_db(transaction=True)
def test_tasks_run_eagerly_again_after_the_worker_fixture(settings):
    # Runs after the test above (same module, file order).
    assert settings.CELERY_TASK_ALWAYS_EAGER is True
    assert app.conf.task_always_eager is True
