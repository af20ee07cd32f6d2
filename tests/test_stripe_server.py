"""The fake Stripe in tests/stripe_server.py, driven by the real SDK (nothing mocked)."""

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe
from hypothesis import given
from hypothesis import strategies as st
from stripe._encode import _api_encode

from tests.stripe_server import StripeServer, parse_form, stripe_server  # noqa: F401

SUCCESS_URL = "http://shop.test/checkout/success?session_id={CHECKOUT_SESSION_ID}"
CANCEL_URL = "http://shop.test/checkout/cancel"


def session_params(**overrides):
    params = {
        "mode": "payment",
        "success_url": SUCCESS_URL,
        "cancel_url": CANCEL_URL,
        "line_items": [
            {
                "price_data": {
                    "currency": "usd",
                    "unit_amount": 125000,
                    "product_data": {"name": "Global Widget Market 2025"},
                },
                "quantity": 1,
            },
            {
                "price_data": {
                    "currency": "usd",
                    "unit_amount": 4999,
                    "product_data": {"name": "Data appendix", "metadata": {"sku": "APX-1"}},
                },
                "quantity": 2,
            },
        ],
        "metadata": {"order": "ORD-42", "channel": "web"},
        "client_reference_id": "ORD-42",
        "customer_email": "buyer@example.com",
        "locale": "de",
        "payment_method_types": ["card"],
        "expires_at": int(time.time()) + 3600,
    }
    params.update(overrides)
    return params


def make_client(server, api_key=None, **kwargs):
    return stripe.StripeClient(
        api_key or server.api_key,
        base_addresses={"api": server.url},
        max_network_retries=0,
        **kwargs,
    )


@pytest.fixture
def client(stripe_server):  # noqa: F811
    return make_client(stripe_server)


class _Receiver(BaseHTTPRequestHandler):
    """A tiny webhook endpoint that verifies signatures the way the shop will."""

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        signature = self.headers.get("Stripe-Signature")
        try:
            event = stripe.Webhook.construct_event(body, signature, self.server.secret)
            status = 200
        except (ValueError, stripe.SignatureVerificationError):
            event, status = None, 400
        self.server.received.append({"body": body, "signature": signature, "event": event,
                                     "status": status, "path": self.path})
        answer = b'{"received": true}' if status == 200 else b'{"error": "bad signature"}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


@pytest.fixture
def webhook_receiver(stripe_server):  # noqa: F811
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    httpd.daemon_threads = True
    httpd.secret = stripe_server.webhook_secret
    httpd.received = []
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    stripe_server.webhook_url = f"http://127.0.0.1:{httpd.server_address[1]}/webhooks/stripe/"
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def raw_request(url, *, method="GET", data=None, headers=None):
    """(status, headers, body) without following redirects or raising on 4xx/5xx."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), NoRedirect)
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read().decode()


# --------------------------------------------------------------------------- wire format


def test_parse_form_builds_nested_dicts_and_lists():
    body = (
        "mode=payment&line_items[0][price_data][currency]=usd"
        "&line_items[0][price_data][product_data][name]=A%20report&line_items[0][quantity]=2"
        "&line_items[1][quantity]=1&metadata[order]=ORD-1&metadata[0]=zero"
        "&expand[]=payment_intent&expand[]=line_items&payment_method_types[0]=card"
    )
    assert parse_form(body) == {
        "mode": "payment",
        "line_items": [
            {"price_data": {"currency": "usd", "product_data": {"name": "A report"}},
             "quantity": "2"},
            {"quantity": "1"},
        ],
        "metadata": {"order": "ORD-1", "0": "zero"},
        "expand": ["payment_intent", "line_items"],
        "payment_method_types": ["card"],
    }


_keys = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8).filter(
    lambda key: key != "metadata"  # metadata children always stay a dict
)
_values = st.recursive(
    st.text(max_size=12),
    lambda children: st.lists(children, min_size=1, max_size=3)
    | st.dictionaries(_keys, children, min_size=1, max_size=3),
    max_leaves=12,
)


@given(st.dictionaries(_keys, _values, max_size=5))
def test_parse_form_reads_back_what_the_sdk_encodes(params):
    encoded = urllib.parse.urlencode(list(_api_encode(params)))
    assert parse_form(encoded.replace("%5B", "[").replace("%5D", "]")) == params


def test_session_create_retrieve_expire_round_trip(stripe_server, client):  # noqa: F811
    params = session_params()
    session = client.v1.checkout.sessions.create(
        params=params, options={"idempotency_key": "order-42-attempt-1"})

    assert session.object == "checkout.session"
    assert session.id.startswith("cs_test_")
    assert session.livemode is False and session.created > 0
    assert (session.status, session.payment_status) == ("open", "unpaid")
    assert session.payment_intent is None
    assert session.amount_subtotal == session.amount_total == 125000 + 2 * 4999
    assert session.currency == "usd"
    assert session.url == f"{stripe_server.url}/pay/{session.id}"
    assert session.metadata.to_dict() == {"order": "ORD-42", "channel": "web"}
    assert (session.client_reference_id, session.customer_email, session.locale) == (
        "ORD-42", "buyer@example.com", "de")
    assert session.payment_method_types == ["card"]
    assert session.expires_at == params["expires_at"]
    assert session.success_url == SUCCESS_URL
    assert session.last_response.headers["Request-Id"].startswith("req_")

    [recorded] = stripe_server.requests_to("POST", "/v1/checkout/sessions")
    assert recorded.params["line_items"][1]["price_data"]["product_data"] == {
        "name": "Data appendix", "metadata": {"sku": "APX-1"}}
    assert recorded.params["line_items"][1]["quantity"] == "2"
    assert recorded.params["metadata"] == {"order": "ORD-42", "channel": "web"}
    assert recorded.params["payment_method_types"] == ["card"]
    assert recorded.idempotency_key == "order-42-attempt-1"
    assert recorded.stripe_version == stripe._api_version._ApiVersion.CURRENT
    assert recorded.authorization == f"Bearer {stripe_server.api_key}"
    assert recorded.status == 200
    assert stripe_server.sessions[session.id]["status"] == "open"

    again = client.v1.checkout.sessions.retrieve(session.id)
    assert again.id == session.id and again.amount_total == session.amount_total

    items = client.v1.checkout.sessions.line_items.list(session.id)
    assert [(i.description, i.quantity, i.amount_total) for i in items.data] == [
        ("Global Widget Market 2025", 1, 125000), ("Data appendix", 2, 9998)]
    assert items.data[0].price.unit_amount == 125000

    expired = client.v1.checkout.sessions.expire(session.id)
    assert expired.status == "expired" and expired.url is None
    with pytest.raises(stripe.InvalidRequestError, match="can be expired"):
        client.v1.checkout.sessions.expire(session.id)

    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.checkout.sessions.retrieve("cs_test_nope")
    assert missing.value.http_status == 404 and missing.value.code == "resource_missing"


def test_validation_errors_are_stripe_errors(client):
    params = session_params()
    del params["success_url"]
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.checkout.sessions.create(params=params)
    assert exc.value.http_status == 400
    assert exc.value.param == "success_url" and exc.value.code == "parameter_missing"
    assert exc.value.json_body["error"]["type"] == "invalid_request_error"
    assert exc.value.request_id.startswith("req_")

    bad_amount = session_params()
    bad_amount["line_items"][0]["price_data"]["unit_amount"] = "12.50"
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.checkout.sessions.create(params=bad_amount)
    assert exc.value.param == "line_items[0][price_data][unit_amount]"
    assert exc.value.code == "parameter_invalid_integer"

    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.checkout.sessions.create(params=session_params(expires_at=int(time.time()) + 60))
    assert exc.value.param == "expires_at" and "30 minutes" in exc.value.user_message
    with pytest.raises(stripe.InvalidRequestError, match="24 hours"):
        client.v1.checkout.sessions.create(
            params=session_params(expires_at=int(time.time()) + 25 * 3600))

    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.checkout.sessions.create(params=session_params(shipping_option="express"))
    assert exc.value.param == "shipping_option" and "unknown parameter" in exc.value.user_message


def test_bad_api_key_raises_authentication_error(stripe_server):  # noqa: F811
    for key in ("sk_live_123456789012345", "not-a-key"):
        with pytest.raises(stripe.AuthenticationError) as exc:
            make_client(stripe_server, api_key=key).v1.checkout.sessions.create(
                params=session_params())
        assert exc.value.http_status == 401
    assert stripe_server.sessions == {}

    status, headers, body = raw_request(f"{stripe_server.url}/v1/checkout/sessions/cs_test_x")
    assert status == 401 and headers["Request-Id"].startswith("req_")
    assert json.loads(body)["error"]["type"] == "invalid_request_error"


def test_idempotent_replay_and_reuse_with_other_params(stripe_server, client):  # noqa: F811
    options = {"idempotency_key": "order-7"}
    first = client.v1.checkout.sessions.create(params=session_params(), options=options)
    params = dict(stripe_server.requests[0].params)
    # Same parameters (the SDK re-sends what it sent) -> the first response again.
    replay = client.v1.checkout.sessions.create(
        params={**session_params(), "expires_at": int(params["expires_at"])}, options=options)
    assert replay.id == first.id
    assert replay.last_response.headers["Idempotent-Replayed"] == "true"
    assert len(stripe_server.sessions) == 1
    assert [r.replayed for r in stripe_server.requests] == [False, True]

    with pytest.raises(stripe.IdempotencyError) as exc:
        client.v1.checkout.sessions.create(
            params=session_params(client_reference_id="ORD-43"), options=options)
    assert exc.value.http_status == 400
    assert exc.value.json_body["error"]["type"] == "idempotency_error"
    assert len(stripe_server.sessions) == 1


def test_pay_then_retrieve_with_expanded_payment_intent(stripe_server, client):  # noqa: F811
    session = client.v1.checkout.sessions.create(params=session_params())
    stripe_server.pay(session.id, send_webhook=False)

    paid = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["payment_intent"]})
    assert (paid.status, paid.payment_status) == ("complete", "paid")
    assert paid.customer_details.email == "buyer@example.com"
    pi = paid.payment_intent
    assert isinstance(pi, stripe.PaymentIntent)
    assert pi.id.startswith("pi_") and pi.status == "succeeded"
    assert pi.amount == pi.amount_received == session.amount_total and pi.currency == "usd"
    assert stripe_server.requests[-1].params == {"expand": ["payment_intent"]}

    fetched = client.v1.payment_intents.retrieve(pi.id)
    assert fetched.latest_charge.startswith("ch_")
    charge = stripe_server.charges[fetched.latest_charge]
    assert charge["paid"] and charge["amount"] == session.amount_total

    nested = client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["payment_intent.latest_charge"]})
    assert nested.payment_intent.latest_charge.object == "charge"
    with pytest.raises(stripe.InvalidRequestError, match="cannot be expanded"):
        client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["success_url"]})


def test_refund_partial_then_full_then_too_much(stripe_server, client):  # noqa: F811
    session = client.v1.checkout.sessions.create(params=session_params(
        line_items=[{"price_data": {"currency": "eur", "unit_amount": 2000,
                                    "product_data": {"name": "Brief"}}, "quantity": 1}]))
    pi_id = stripe_server.pay(session.id, send_webhook=False)["payment_intent"]
    charge_id = stripe_server.payment_intents[pi_id]["latest_charge"]

    partial = client.v1.refunds.create(params={"payment_intent": pi_id, "amount": 500},
                                       options={"idempotency_key": "refund-1"})
    assert partial.object == "refund" and partial.id.startswith("re_")
    assert (partial.amount, partial.currency, partial.status) == (500, "eur", "succeeded")
    assert partial.charge == charge_id and partial.payment_intent == pi_id
    charge = stripe_server.charges[charge_id]
    assert (charge["amount_refunded"], charge["refunded"]) == (500, False)

    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.refunds.create(params={"payment_intent": pi_id, "amount": 1501})
    assert exc.value.param == "amount" and exc.value.code == "amount_too_large"

    rest = client.v1.refunds.create(params={"payment_intent": pi_id},
                                    options={"idempotency_key": "refund-2"})
    assert rest.amount == 1500
    charge = stripe_server.charges[charge_id]
    assert (charge["amount_refunded"], charge["refunded"]) == (2000, True)

    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.refunds.create(params={"payment_intent": pi_id, "amount": 1})
    assert exc.value.code == "charge_already_refunded"

    assert client.v1.refunds.retrieve(partial.id).amount == 500
    refund_posts = stripe_server.requests_to("POST", "/v1/refunds")
    assert [r.idempotency_key for r in refund_posts if r.status == 200] == ["refund-1", "refund-2"]
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.refunds.create(params={"payment_intent": "pi_missing"})
    assert exc.value.code == "resource_missing"


def test_signed_events_verify_and_tampering_is_caught(stripe_server):  # noqa: F811
    event = stripe_server.build_event(
        "checkout.session.completed", {"id": "cs_test_1", "object": "checkout.session"})
    assert event["id"].startswith("evt_") and event["object"] == "event"
    assert event["livemode"] is False and event["pending_webhooks"] == 1
    payload = stripe_server.event_payload(event)
    header = stripe_server.sign(payload)
    assert header.startswith("t=") and ",v1=" in header

    verified = stripe.Webhook.construct_event(payload, header, stripe_server.webhook_secret)
    assert verified.type == "checkout.session.completed"
    assert verified.data.object.id == "cs_test_1"

    tampered = payload.replace(b"cs_test_1", b"cs_test_2")
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(tampered, header, stripe_server.webhook_secret)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(
            payload, stripe_server.sign(payload, secret="whsec_wrong"), stripe_server.webhook_secret)
    stale = stripe_server.sign(payload, timestamp=int(time.time()) - 600)
    with pytest.raises(stripe.SignatureVerificationError, match="tolerance"):
        stripe.Webhook.construct_event(payload, stale, stripe_server.webhook_secret)


def test_hosted_page_pay_redirects_and_delivers_webhook(stripe_server, client,  # noqa: F811
                                                        webhook_receiver):
    session = client.v1.checkout.sessions.create(params=session_params())
    page_url = session.url

    status, _, page = raw_request(page_url)
    assert status == 200
    assert "Test checkout — no money moves" in page
    assert "Global Widget Market 2025" in page and "Data appendix" in page
    assert "1,349.98 USD" in page
    assert f'href="{CANCEL_URL}"' in page and f'action="/pay/{session.id}"' in page

    status, headers, _ = raw_request(page_url, method="POST", data=b"payment=card")
    assert status == 303
    assert headers["Location"] == (
        f"http://shop.test/checkout/success?session_id={session.id}")

    [received] = webhook_receiver.received
    assert received["status"] == 200 and received["path"] == "/webhooks/stripe/"
    event = received["event"]
    assert event.type == "checkout.session.completed"
    assert event.data.object.id == session.id and event.data.object.payment_status == "paid"
    assert event.data.object.metadata["order"] == "ORD-42"
    [delivery] = stripe_server.delivered_events
    assert (delivery.type, delivery.status, delivery.ok) == ("checkout.session.completed", 200, True)

    status, _, page = raw_request(page_url)
    assert "already complete" in page
    # A second click on Pay goes back to the shop without paying twice.
    status, headers, _ = raw_request(page_url, method="POST", data=b"payment=card")
    assert status == 303 and len(stripe_server.payment_intents) == 1


def test_async_payment_and_expiry_events(stripe_server, client, webhook_receiver):  # noqa: F811
    session = client.v1.checkout.sessions.create(params=session_params())
    done = stripe_server.pay(session.id, async_payment=True)
    assert (done["status"], done["payment_status"]) == ("complete", "unpaid")
    assert client.v1.payment_intents.retrieve(done["payment_intent"]).status == "processing"

    stripe_server.succeed_async(session.id)
    assert client.v1.checkout.sessions.retrieve(session.id).payment_status == "paid"

    other = client.v1.checkout.sessions.create(params=session_params())
    stripe_server.pay(other.id, async_payment=True)
    stripe_server.fail_async(other.id)

    third = client.v1.checkout.sessions.create(params=session_params())
    stripe_server.expire(third.id)
    assert raw_request(third.url)[2].count("has expired") == 1

    assert [e.type for e in stripe_server.delivered_events] == [
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
        "checkout.session.completed",
        "checkout.session.async_payment_failed",
        "checkout.session.expired",
    ]
    assert all(r["status"] == 200 for r in webhook_receiver.received)

    # The shop's answer to a badly signed delivery comes back to the test.
    event = stripe_server.build_event("checkout.session.completed", stripe_server.sessions[third.id])
    assert stripe_server.post_event(event, secret="whsec_wrong")[0] == 400
    assert stripe_server.post_event(event)[0] == 200
    assert client.v1.events.retrieve(event["id"]).type == "checkout.session.completed"


def test_http_test_controls(stripe_server, client):  # noqa: F811
    session = client.v1.checkout.sessions.create(params=session_params())
    base = f"{stripe_server.url}/_test/checkout/sessions/{session.id}"
    status, _, body = raw_request(f"{base}/pay", method="POST", data=b"send_webhook=false")
    assert status == 200 and json.loads(body)["payment_status"] == "paid"
    status, _, body = raw_request(f"{base}/expire", method="POST", data=b"send_webhook=false")
    assert status == 400 and "not open" in json.loads(body)["error"]["message"]
    assert stripe_server.requests_to("POST") == stripe_server.requests[:1]  # controls unrecorded


def test_lifecycle_strict_key_and_unknown_urls():
    with StripeServer(api_key="sk_test_only_this_one", accept_any_test_key=False) as server:
        assert server.url.startswith("http://127.0.0.1:")
        with pytest.raises(stripe.AuthenticationError):
            make_client(server, api_key="sk_test_another_key").v1.checkout.sessions.create(
                params=session_params())
        assert make_client(server).v1.checkout.sessions.create(params=session_params()).id
        status, _, body = raw_request(f"{server.url}/v1/customers",
                                      headers={"Authorization": f"Bearer {server.api_key}"})
        assert status == 404 and "Unrecognized request URL" in json.loads(body)["error"]["message"]
        url = server.url
    with pytest.raises(urllib.error.URLError):
        urllib.request.build_opener(urllib.request.ProxyHandler({})).open(url, timeout=2)
