import pytest


@pytest.fixture
def ask_for_sign_in(client, django_capture_on_commit_callbacks):
    """POST the address to the sign-in form, running the queued mail task (eager)."""

    def ask(email, language="en", **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(f"/{language}/account/sign-in/", {"email": email}, **extra)

    return ask

