"""Card payments through the real Stripe SDK against the suite's Stripe-compatible server.

Nothing of the SDK is mocked: the shop speaks HTTP to tests/stripe_server.py,
which records every request and signs webhooks exactly as Stripe does.
"""

import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from reports.models import LicenseType
from storefront.orders.models import Order, OrderStatus, OrderStatusChange
from storefront.payments import services
from storefront.payments.models import PaymentEvent, Refund
from tests.payments.conftest import post_event

pytestmark = pytest.mark.django_db


def paid_transitions(order):
    return OrderStatusChange.objects.filter(order=order, to_status=OrderStatus.PAID).count()


def completed_event(server, session_id):
    return server.build_event("checkout.session.completed", server.sessions[session_id])


# --- Starting a payment -----------------------------------------------------------------


def test_checkout_session_is_built_from_the_order_on_the_server(client, stripe, card_order):
    # given / when
    order, session_id, response = card_order(language="zh-hans")

    # then: the buyer is sent to Stripe's page for that session
    assert response.status_code == 302
    assert response["Location"] == stripe.checkout_url(session_id)
    [request] = stripe.requests_to("POST", "/v1/checkout/sessions")
    params = request.params
    assert params["mode"] == "payment"
    [item] = params["line_items"]
    assert item["price_data"]["unit_amount"] == "393900"  # minor units, from the database price
    assert item["price_data"]["currency"] == "usd"
    assert item["price_data"]["product_data"]["name"].startswith("继续医学教育(CME)市场")
    assert item["quantity"] == "1"
    assert params["customer_email"] == "ann.lee@example.com"
    assert params["client_reference_id"] == order.number
    assert params["metadata"] == {"order_number": order.number, "order_id": str(order.pk)}
    assert params["locale"] == "zh"
    assert params["success_url"] == (
        f"http://testserver/zh-hans/orders/{order.public_token}/paid/"
        "?session_id={CHECKOUT_SESSION_ID}"
    )
    assert params["cancel_url"] == "http://testserver/zh-hans/cart/"
    lifetime = int(params["expires_at"]) - time.time()
    assert 55 * 60 < lifetime <= 60 * 60
    assert request.idempotency_key == f"checkout-{order.public_token}-1"
    assert request.stripe_version == "2026-10-28.endive"
    assert order.status == OrderStatus.PENDING


def test_zero_decimal_currencies_are_sent_in_whole_units(stripe, card_order):
    card_order(prices={LicenseType.SINGLE_USER: "528000"}, currency="JPY")
    [request] = stripe.requests_to("POST", "/v1/checkout/sessions")
    item = request.params["line_items"][0]["price_data"]
    assert (item["unit_amount"], item["currency"]) == ("528000", "jpy")


def test_paying_again_reuses_the_open_session(client, stripe, card_order):
    order, session_id, _ = card_order()
    response = client.post(f"/en/orders/{order.public_token}/pay/")
    assert response["Location"] == stripe.checkout_url(session_id)
    assert len(stripe.requests_to("POST", "/v1/checkout/sessions")) == 1


def test_a_new_attempt_after_expiry_gets_a_new_idempotency_key(client, stripe, card_order):
    order, session_id, _ = card_order()
    order.checkout_sessions.update(expires_at=timezone.now() - timedelta(minutes=1))
    client.post(f"/en/orders/{order.public_token}/pay/")
    keys = [r.idempotency_key for r in stripe.requests_to("POST", "/v1/checkout/sessions")]
    assert keys == [f"checkout-{order.public_token}-1", f"checkout-{order.public_token}-2"]


def test_stripe_unreachable_keeps_the_order_and_says_so(client, settings, card_order, stripe):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    from tests.payments.conftest import BUYER
    from tests.factories import make_report

    report = make_report()
    client.post("/en/cart/add/", {"license_option": report.license_options.first().pk})
    response = client.post("/en/checkout/", BUYER, follow=True)
    order = Order.objects.get()
    assert order.status == OrderStatus.PENDING
    assert response.redirect_chain[-1][0] == f"/en/orders/{order.public_token}/"
    assert "Card payment is not available at the moment" in response.content.decode()


# --- The webhook -------------------------------------------------------------------------


def test_paid_webhook_marks_the_order_paid_once(client, stripe, card_order):
    order, session_id, _ = card_order()
    stripe.pay(session_id, send_webhook=False)
    event = completed_event(stripe, session_id)

    first = post_event(client, stripe, event)
    second = post_event(client, stripe, event)  # Stripe retries deliveries

    order.refresh_from_db()
    assert (first.status_code, second.status_code) == (200, 200)
    assert order.status == OrderStatus.PAID
    assert paid_transitions(order) == 1
    assert PaymentEvent.objects.filter(event_id=event["id"]).count() == 1
    assert order.checkout_sessions.get().payment_intent_id.startswith("pi_")
    # The shop acted on the session as Stripe reports it, fetched again.
    assert stripe.requests_to("GET", f"/v1/checkout/sessions/{session_id}")


@pytest.mark.parametrize("tamper", ["body", "secret", "stale", "missing"])
def test_unverifiable_webhooks_are_400_and_change_nothing(client, stripe, card_order, tamper):
    order, session_id, _ = card_order()
    stripe.pay(session_id, send_webhook=False)
    event = completed_event(stripe, session_id)
    payload = stripe.event_payload(event)
    signature = stripe.sign(payload)
    if tamper == "body":
        payload = payload.replace(b'"paid"', b'"PAID"')
    elif tamper == "secret":
        signature = stripe.sign(payload, secret="whsec_not_ours")
    elif tamper == "stale":
        signature = stripe.sign(payload, timestamp=int(time.time()) - 3600)
    else:
        signature = ""

    response = post_event(client, stripe, event, payload=payload, signature=signature)

    order.refresh_from_db()
    assert response.status_code == 400
    assert order.status == OrderStatus.PENDING
    assert not PaymentEvent.objects.exists()


def test_completed_but_unpaid_waits_for_the_async_outcome(client, stripe, card_order):
    order, session_id, _ = card_order()
    stripe.pay(session_id, send_webhook=False, async_payment=True)
    post_event(client, stripe, completed_event(stripe, session_id))
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING

    stripe.succeed_async(session_id, send_webhook=False)
    event = stripe.build_event("checkout.session.async_payment_succeeded", stripe.sessions[session_id])
    post_event(client, stripe, event)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_failed_async_payment_cancels_a_pending_order(client, stripe, card_order):
    order, session_id, _ = card_order()
    stripe.pay(session_id, send_webhook=False, async_payment=True)
    stripe.fail_async(session_id, send_webhook=False)
    event = stripe.build_event("checkout.session.async_payment_failed", stripe.sessions[session_id])
    post_event(client, stripe, event)
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED


def test_expired_session_cancels_only_a_pending_order(client, stripe, card_order):
    order, session_id, _ = card_order()
    stripe.expire(session_id, send_webhook=False)
    post_event(client, stripe, stripe.build_event("checkout.session.expired", stripe.sessions[session_id]))
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED


def test_events_out_of_order_never_move_an_order_backwards(client, stripe, card_order):
    order, session_id, _ = card_order()
    open_copy = dict(stripe.sessions[session_id])  # the session as it was before payment
    stripe.pay(session_id, send_webhook=False)
    post_event(client, stripe, completed_event(stripe, session_id))
    # A late "expired" event carrying a stale session copy: the shop re-fetches and sees paid.
    post_event(client, stripe, stripe.build_event("checkout.session.expired", open_copy))
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert paid_transitions(order) == 1


def test_a_payment_that_does_not_match_the_order_is_flagged(client, stripe, card_order):
    order, session_id, _ = card_order()
    # The order changed after the session was created (say, a manual edit).
    Order.objects.filter(pk=order.pk).update(total=Decimal("4249.00"))
    stripe.pay(session_id, send_webhook=False)
    post_event(client, stripe, completed_event(stripe, session_id))
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    assert order.needs_attention
    assert "does not match" in order.attention_reason
    assert PaymentEvent.objects.get().outcome == "flagged"


def test_unknown_events_are_acknowledged_and_recorded(client, stripe):
    event = stripe.build_event("customer.created", {"id": "cus_123", "object": "customer"})
    response = post_event(client, stripe, event)
    assert response.status_code == 200
    assert PaymentEvent.objects.get().outcome == "ignored"


def test_webhook_answers_503_when_stripe_cannot_be_asked(client, settings, stripe, card_order):
    order, session_id, _ = card_order()
    stripe.pay(session_id, send_webhook=False)
    event = completed_event(stripe, session_id)
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    response = post_event(client, stripe, event)
    assert response.status_code == 503  # Stripe delivers it again later
    assert not PaymentEvent.objects.exists()
    settings.STRIPE_API_BASE = stripe.url
    assert post_event(client, stripe, event).status_code == 200
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


# --- Success page and reconciliation ----------------------------------------------------------


def test_success_page_confirms_a_payment_whose_webhook_is_late(client, stripe, card_order):
    order, session_id, _ = card_order()
    stripe.pay(session_id, send_webhook=False)
    response = client.get(f"/en/orders/{order.public_token}/paid/", {"session_id": session_id})
    order.refresh_from_db()
    assert response["Location"] == f"/en/orders/{order.public_token}/"
    assert order.status == OrderStatus.PAID
    assert order.status_changes.last().source == "success page"
    # The webhook arriving afterwards changes nothing.
    post_event(client, stripe, completed_event(stripe, session_id))
    assert paid_transitions(order) == 1


def test_success_page_never_fulfils_an_unpaid_session(client, stripe, card_order):
    order, session_id, _ = card_order()
    client.get(f"/en/orders/{order.public_token}/paid/", {"session_id": session_id})
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    # A session id of another order is not taken for this one.
    other, other_session, _ = card_order(product_code="2000001")
    stripe.pay(other_session, send_webhook=False)
    client.get(f"/en/orders/{order.public_token}/paid/", {"session_id": other_session})
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


def test_reconciliation_pays_an_order_whose_webhook_never_came_once(stripe, card_order):
    order, session_id, _ = card_order()
    stripe.pay(session_id, send_webhook=False)
    later = timezone.now() + timedelta(minutes=10)

    first = services.reconcile_pending_card_orders(now=later)
    second = services.reconcile_pending_card_orders(now=later)

    order.refresh_from_db()
    assert first["paid"] == 1 and second["paid"] == 0
    assert order.status == OrderStatus.PAID
    assert paid_transitions(order) == 1
    assert order.status_changes.last().source == "reconciliation"


def test_reconciliation_leaves_young_orders_to_the_webhook(stripe, card_order):
    order, session_id, _ = card_order()
    stripe.pay(session_id, send_webhook=False)
    assert services.reconcile_pending_card_orders()["paid"] == 0
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


def test_reconciliation_expires_and_cancels_abandoned_sessions(stripe, card_order):
    order, session_id, _ = card_order()
    past_expiry = timezone.now() + timedelta(hours=2)
    counts = services.reconcile_pending_card_orders(now=past_expiry)
    order.refresh_from_db()
    assert counts["cancelled"] == 1
    assert order.status == OrderStatus.CANCELLED
    assert stripe.requests_to("POST", f"/v1/checkout/sessions/{session_id}/expire") or (
        stripe.sessions[session_id]["status"] == "expired"
    )


def test_reconcile_task_runs_the_service(stripe, card_order):
    from storefront.payments.tasks import reconcile_pending_card_orders_task

    card_order()
    result = reconcile_pending_card_orders_task.delay().get()
    assert set(result) == {"paid", "cancelled", "unchanged", "errors"}


# --- Refunds and disputes ------------------------------------------------------------------------


def pay_order(client, stripe, card_order, **kwargs):
    order, session_id, _ = card_order(**kwargs)
    stripe.pay(session_id, send_webhook=False)
    post_event(client, stripe, completed_event(stripe, session_id))
    order.refresh_from_db()
    return order, session_id


def test_staff_refund_partial_then_full_through_stripe(admin_client, client, stripe, card_order):
    order, _ = pay_order(client, stripe, card_order)
    refund_url = f"/admin/orders/order/{order.pk}/refund/"

    admin_client.post(refund_url, {"amount": "1000.00"})
    order.refresh_from_db()
    assert (order.refunded_amount, order.status) == (Decimal("1000.00"), OrderStatus.PAID)

    admin_client.post(refund_url, {"amount": "2939.00"})
    order.refresh_from_db()
    assert (order.refunded_amount, order.status) == (Decimal("3939.00"), OrderStatus.REFUNDED)

    requests = stripe.requests_to("POST", "/v1/refunds")
    assert [r.params["amount"] for r in requests] == ["100000", "293900"]
    assert all(r.idempotency_key.startswith(f"refund-{order.public_token}-") for r in requests)
    assert Refund.objects.filter(order=order).count() == 2
    assert order.status_changes.last().actor.username == "admin"


def test_refund_more_than_paid_is_refused(admin_client, client, stripe, card_order):
    order, _ = pay_order(client, stripe, card_order)
    response = admin_client.post(
        f"/admin/orders/order/{order.pk}/refund/", {"amount": "5000"}, follow=True
    )
    assert "The refund must be more than zero and at most USD 3,939." in response.content.decode()
    assert not stripe.requests_to("POST", "/v1/refunds")


def test_charge_refunded_webhooks_count_each_refund_once(client, stripe, card_order):
    order, session_id = pay_order(client, stripe, card_order)
    payment_intent = order.checkout_sessions.get().payment_intent_id
    client_sdk = __import__("stripe").StripeClient(
        stripe.api_key, base_addresses={"api": stripe.url}, max_network_retries=0
    )
    partial = client_sdk.v1.refunds.create(params={"payment_intent": payment_intent, "amount": 93900})
    first = stripe.build_refund_event(partial.id)
    post_event(client, stripe, first)
    post_event(client, stripe, first)  # duplicate delivery
    order.refresh_from_db()
    assert (order.refunded_amount, order.status) == (Decimal("939.00"), OrderStatus.PAID)

    full = client_sdk.v1.refunds.create(params={"payment_intent": payment_intent})
    post_event(client, stripe, stripe.build_refund_event(full.id))
    order.refresh_from_db()
    assert (order.refunded_amount, order.status) == (Decimal("3939.00"), OrderStatus.REFUNDED)
    assert Refund.objects.filter(order=order).count() == 2
    # A late "completed" event cannot bring a refunded order back.
    post_event(client, stripe, completed_event(stripe, session_id))
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED


def test_a_dispute_flags_the_order_for_staff(client, stripe, card_order):
    order, _ = pay_order(client, stripe, card_order)
    charge_id = next(iter(stripe.charges))
    dispute = {
        "id": "dp_123",
        "object": "dispute",
        "charge": charge_id,
        "payment_intent": order.checkout_sessions.get().payment_intent_id,
        "amount": 393900,
        "currency": "usd",
        "reason": "fraudulent",
        "status": "needs_response",
    }
    post_event(client, stripe, stripe.build_event("charge.dispute.created", dispute))
    order.refresh_from_db()
    assert order.needs_attention
    assert "disputed (fraudulent)" in order.attention_reason


# --- Concurrency (PostgreSQL: real row locks) ----------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicate_webhooks_pay_once(stripe, card_order):
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent transactions need PostgreSQL (make test uses it)")
    order, session_id, _ = card_order()
    stripe.pay(session_id, send_webhook=False)
    event = completed_event(stripe, session_id)
    payload = stripe.event_payload(event)
    statuses = []
    barrier = threading.Barrier(2)

    def deliver():
        try:
            barrier.wait(timeout=5)
            response = Client().post(
                "/stripe/webhook/",
                data=payload,
                content_type="application/json",
                HTTP_STRIPE_SIGNATURE=stripe.sign(payload),
            )
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    order.refresh_from_db()
    assert statuses == [200, 200]
    assert order.is_paid  # (and delivered by the eager task: the report has its master)
    assert paid_transitions(order) == 1
    assert PaymentEvent.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_webhook_and_success_page_pay_once(stripe, card_order):
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent transactions need PostgreSQL (make test uses it)")
    order, session_id, _ = card_order()
    stripe.pay(session_id, send_webhook=False)
    payload = stripe.event_payload(completed_event(stripe, session_id))
    barrier = threading.Barrier(2)

    def webhook():
        barrier.wait(timeout=5)
        Client().post("/stripe/webhook/", data=payload, content_type="application/json",
                      HTTP_STRIPE_SIGNATURE=stripe.sign(payload))
        connection.close()

    def success_page():
        barrier.wait(timeout=5)
        Client().get(f"/en/orders/{order.public_token}/paid/", {"session_id": session_id})
        connection.close()

    threads = [threading.Thread(target=webhook), threading.Thread(target=success_page)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert paid_transitions(order) == 1
