"""Signed webhooks that can never be processed are a logged 400, never a 500 or a 503.

Stripe resends anything but a 2xx or 4xx for three days, so a 500 for a body that
will never parse, or a 503 for a session Stripe itself does not know, only makes
the same failure come back. Every payload here is signed with the real secret.
"""

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from storefront.orders.models import OrderStatus
from storefront.payments.models import PaymentEvent
from tests.payments.conftest import post_event

pytestmark = pytest.mark.django_db

SESSION_EVENT = "checkout.session.completed"


def signed_post(client, server, payload: bytes):
    return post_event(client, server, None, payload=payload)


def nested(depth: int) -> bytes:
    return b'{"a": ' * depth + b"1" + b"}" * depth


def event_with(server, data_object, event_type=SESSION_EVENT):
    event = server.build_event(event_type, {})
    event["data"]["object"] = data_object
    return json.dumps(event).encode()


MALFORMED_BODIES = {
    "a JSON list": lambda server: b'[{"id": "evt_1", "type": "checkout.session.completed"}]',
    "a JSON string": lambda server: b'"checkout.session.completed"',
    "a JSON number": lambda server: b"42",
    "JSON null": lambda server: b"null",
    "not JSON": lambda server: b"{not json",
    "an event without data": lambda server: json.dumps(
        {"id": "evt_nodata", "type": SESSION_EVENT}
    ).encode(),
    "an event whose data.object is a list": lambda server: event_with(server, ["cs_1"]),
    "a session event without data.object.id": lambda server: event_with(server, {"object": "x"}),
    "a session event whose id is a dict": lambda server: event_with(server, {"id": {"a": 1}}),
    "an event without an id": lambda server: json.dumps(
        {"type": SESSION_EVENT, "data": {"object": {"id": "cs_1"}}}
    ).encode(),
    "an event id that is a number": lambda server: json.dumps(
        {"id": 7, "type": SESSION_EVENT, "data": {"object": {"id": "cs_1"}}}
    ).encode(),
    "an event type of 5,000 characters": lambda server: json.dumps(
        {"id": "evt_long", "type": "x" * 5000, "data": {"object": {}}}
    ).encode(),
    "a refund list of strings": lambda server: event_with(
        server, {"id": "ch_1", "payment_intent": "pi_1", "refunds": {"data": ["re_1"]}},
        "charge.refunded",
    ),
    "a refund amount as text": lambda server: event_with(
        server,
        {"id": "ch_1", "payment_intent": "pi_1", "refunds": {"data": [{"id": "re_1", "amount": "9"}]}},
        "charge.refunded",
    ),
    "a dispute whose payment intent is a list": lambda server: event_with(
        server, {"id": "dp_1", "payment_intent": ["pi_1"]}, "charge.dispute.created"
    ),
    "nesting 100,000 levels deep": lambda server: nested(100_000),
    "nesting 40 levels deep inside an event": lambda server: json.dumps(
        {"id": "evt_deep", "type": "customer.created",
         "data": {"object": json.loads(nested(40))}}
    ).encode(),
    "a NUL character in the event id": lambda server: json.dumps(
        {"id": "evt_\u0000", "type": "customer.created", "data": {"object": {}}}
    ).encode(),
    "a NUL character in a key": lambda server: json.dumps(
        {"id": "evt_nulkey", "type": "customer.created", "data": {"object": {"a\u0000": 1}}}
    ).encode(),
    "a lone surrogate": lambda server: b'{"id": "evt_sur", "type": "customer.created", '
    b'"data": {"object": {"name": "\\ud800"}}}',
    "an infinite number": lambda server: b'{"id": "evt_inf", "type": "customer.created", '
    b'"data": {"object": {"amount": 1e999}}}',
}


@pytest.mark.parametrize("kind", list(MALFORMED_BODIES))
def test_signed_but_malformed_webhook_is_a_logged_400_that_records_nothing(
    kind, client, stripe, caplog
):
    # given a body signed with the shop's real webhook secret
    payload = MALFORMED_BODIES[kind](stripe)
    # when Stripe delivers it
    with caplog.at_level(logging.ERROR, logger="storefront.payments.views"):
        response = signed_post(client, stripe, payload)
    # then it is refused for good, said in the log, and nothing is recorded
    assert response.status_code == 400
    assert any("rejected signed Stripe webhook" in r.getMessage() for r in caplog.records)
    assert not PaymentEvent.objects.exists()


def test_event_for_a_session_stripe_does_not_know_is_a_400_every_time(client, stripe, caplog):
    # given a signed completion event for a session id Stripe answers 404 for
    event = stripe.build_event(SESSION_EVENT, {"id": "cs_test_unknown", "object": "checkout.session"})
    # when it is delivered, and delivered again
    with caplog.at_level(logging.ERROR, logger="storefront.payments.views"):
        first = post_event(client, stripe, event)
        second = post_event(client, stripe, event)
    # then both are refused for good (no retry can make Stripe know it), nothing is recorded
    assert (first.status_code, second.status_code) == (400, 400)
    assert not PaymentEvent.objects.exists()
    assert any("cs_test_unknown" in r.getMessage() for r in caplog.records)


def test_a_malformed_refund_event_leaves_the_order_untouched(client, stripe, card_order):
    # given a paid order
    order, session_id, _ = card_order()
    stripe.pay(session_id, send_webhook=False)
    post_event(client, stripe, stripe.build_event(SESSION_EVENT, stripe.sessions[session_id]))
    payment_intent = stripe.sessions[session_id]["payment_intent"]
    # when a signed charge.refunded arrives with one good refund and one without an id
    charge = {
        "id": "ch_1",
        "payment_intent": payment_intent,
        "currency": "usd",
        "amount_refunded": 1000,
        "refunds": {"data": [{"id": "re_good", "amount": 500}, {"amount": 500}]},
    }
    response = post_event(client, stripe, stripe.build_event("charge.refunded", charge))
    # then nothing of it is written: no refund row, no half-applied total
    assert response.status_code == 400
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.refunded_amount == 0
    assert not order.refunds.exists()
    assert PaymentEvent.objects.count() == 1  # the completion only


class _FailingStripe(BaseHTTPRequestHandler):
    def _fail(self):
        body = json.dumps({"error": {"type": "api_error", "message": "Stripe is down"}}).encode()
        self.send_response(500)
        self.send_header("Content-Type", "application/json")
        self.send_header("Stripe-Should-Retry", "false")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _fail

    def log_message(self, *args):
        pass


@pytest.fixture
def failing_stripe():
    """An HTTP server on 127.0.0.1 that answers every API call with Stripe's 500."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FailingStripe)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_stripe_answering_500_is_still_a_503_so_stripe_retries(
    client, settings, stripe, card_order, failing_stripe
):
    # given a paid session whose webhook arrives while Stripe's API fails on its side
    order, session_id, _ = card_order()
    stripe.pay(session_id, send_webhook=False)
    event = stripe.build_event(SESSION_EVENT, stripe.sessions[session_id])
    settings.STRIPE_API_BASE = failing_stripe
    # when it is delivered
    response = post_event(client, stripe, event)
    # then the shop asks for a retry and records nothing, and the retry succeeds
    assert response.status_code == 503
    assert not PaymentEvent.objects.exists()
    settings.STRIPE_API_BASE = stripe.url
    assert post_event(client, stripe, event).status_code == 200
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=30,
)
event_like = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(st.text(max_size=30), json_values),
        "type": st.sampled_from(
            [SESSION_EVENT, "checkout.session.expired", "checkout.session.async_payment_failed",
             "charge.refunded", "charge.dispute.created", "customer.created"]
        ) | json_values,
        "data": st.fixed_dictionaries({}, optional={"object": json_values}) | json_values,
    },
)


@hypothesis_settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.one_of(json_values, event_like))
def test_any_signed_json_is_answered_without_a_server_error(body, stripe):
    # given any JSON value or event-shaped object, signed with the real secret
    payload = json.dumps(body).encode()
    client = Client(raise_request_exception=False)
    # when it is delivered
    response = signed_post(client, stripe, payload)
    # then the shop answers 2xx or 4xx: never a 500, never a 503 for a bad body
    assert response.status_code in {200, 400}
