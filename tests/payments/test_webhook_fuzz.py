"""Whatever arrives at the webhook, the shop answers 4xx or 2xx, never 500."""

import pytest
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from storefront.payments.models import PaymentEvent

header_values = st.one_of(
    st.none(),
    st.text(max_size=200),
    st.builds(
        lambda t, v: f"t={t},v1={v}",
        st.integers(min_value=-(2**40), max_value=2**40),
        st.text(alphabet="0123456789abcdef", max_size=64),
    ),
)
bodies = st.one_of(
    st.binary(max_size=2000),
    st.text(max_size=500).map(str.encode),
    st.just(b'{"id": "evt_1", "type": "checkout.session.completed", "data": {"object": {}}}'),
)


@pytest.mark.django_db
@hypothesis_settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies, signature=header_values)
def test_random_bodies_and_signatures_are_refused_without_error(body, signature, settings):
    settings.STRIPE_WEBHOOK_SECRET = "whsec_fuzz"
    client = Client(raise_request_exception=False)
    headers = {} if signature is None else {"HTTP_STRIPE_SIGNATURE": signature}
    response = client.post(
        "/stripe/webhook/", data=body, content_type="application/json", **headers
    )
    assert response.status_code == 400
    assert not PaymentEvent.objects.exists()


@pytest.mark.django_db
def test_webhook_only_accepts_post(client):
    assert client.get("/stripe/webhook/").status_code == 405
