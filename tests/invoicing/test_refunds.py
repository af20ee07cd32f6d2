"""A refund produces a credit note: through the suite's Stripe server and signed webhooks."""

from decimal import Decimal

import pytest
import stripe as stripe_sdk
from django.utils import timezone

from storefront.invoicing.models import CreditNote, Invoice
from storefront.orders.models import OrderStatus
from tests.invoicing.conftest import pdf_text
from tests.payments.conftest import post_event

pytestmark = pytest.mark.django_db


def deliver(client, server, event, capture):
    """The webhook, with the on-commit work (signals) run as after a real commit."""
    with capture(execute=True):
        response = post_event(client, server, event)
    assert response.status_code == 200
    return response


def paid_card_order(client, stripe, card_order, capture, **kwargs):
    order, session_id, _ = card_order(**kwargs)
    stripe.pay(session_id, send_webhook=False)
    deliver(client, stripe, stripe.build_event("checkout.session.completed",
                                               stripe.sessions[session_id]), capture)  # fmt: skip
    order.refresh_from_db()
    return order


def test_charge_refunded_webhook_produces_one_credit_note_per_refund(
    client, stripe, card_order, seller, django_capture_on_commit_callbacks
):
    # given: a card order paid through Stripe, which got its invoice on payment
    capture = django_capture_on_commit_callbacks
    order = paid_card_order(client, stripe, card_order, capture, vat_id="DE136695976",
                            po_number="PO-4711", country="DE", billing_line1="Unter den Linden 1",
                            billing_postcode="10117", billing_city="Berlin")  # fmt: skip
    invoice = Invoice.objects.get(order=order)
    year = timezone.now().year
    assert invoice.number == f"INV-{year}-000001"
    sdk = stripe_sdk.StripeClient(stripe.api_key, base_addresses={"api": stripe.url},
                                  max_network_retries=0)  # fmt: skip
    payment_intent = order.checkout_sessions.get().payment_intent_id

    # when: Stripe refunds part, announces it (twice), then refunds the rest
    partial = sdk.v1.refunds.create(params={"payment_intent": payment_intent, "amount": 93900})
    event = stripe.build_refund_event(partial.id)
    deliver(client, stripe, event, capture)
    deliver(client, stripe, event, capture)
    rest = sdk.v1.refunds.create(params={"payment_intent": payment_intent})
    deliver(client, stripe, stripe.build_refund_event(rest.id), capture)

    # then: two credit notes, numbered in their own series, against the invoice
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    notes = list(CreditNote.objects.filter(order=order).order_by("sequence"))
    assert [(n.number, n.amount) for n in notes] == [
        (f"CN-{year}-000001", Decimal("939.00")),
        (f"CN-{year}-000002", Decimal("3000.00")),
    ]
    assert {n.invoice_id for n in notes} == {invoice.pk}
    assert [n.refund.refund_id for n in notes] == [partial.id, rest.id]

    # and the buyer opens each from the order's address
    response = client.get(f"/en/orders/{order.public_token}/credit-notes/{notes[0].number}/")
    assert response.status_code == 200
    text = " ".join(pdf_text(response.content).split())
    for expected in (
        "Credit note", notes[0].number, invoice.number, order.number, "USD 939.00",
        "Acme Medical Ltd", "DE136695976", "PO-4711", "Meridian Research Ltd",
    ):  # fmt: skip
        assert expected in text, expected
    page = client.get(f"/en/orders/{order.public_token}/").content.decode()
    assert notes[1].number in page


def test_staff_refund_through_the_admin_produces_a_credit_note(
    admin_client, client, stripe, card_order, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    order = paid_card_order(client, stripe, card_order, capture)

    with capture(execute=True):
        admin_client.post(f"/admin/orders/order/{order.pk}/refund/", {"amount": "1000.00"})

    credit_note = CreditNote.objects.get(order=order)
    assert (credit_note.amount, credit_note.currency) == (Decimal("1000.00"), "USD")
    assert credit_note.number.startswith(f"CN-{timezone.now().year}-")
    assert credit_note.invoice == Invoice.objects.get(order=order)
