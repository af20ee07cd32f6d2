import pytest


@pytest.fixture(autouse=True)
def _english_by_default(settings):
    """Each test starts in English, as a new visitor would."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()
