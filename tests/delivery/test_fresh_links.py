"""Fresh links: nothing is taken away before its replacement was mailed; never after a
dispute or a full refund.

The same paths through a real worker and SMTP are in test_delivery_faults.py.
"""

from datetime import timedelta
from smtplib import SMTPServerDisconnected

import pytest
import time_machine
from django.core import mail
from django.core.files.base import ContentFile
from django.utils import timezone

from storefront.delivery import services
from storefront.delivery.models import DownloadGrant
from storefront.delivery.tasks import send_fresh_links_task, sweep_fresh_links_task
from storefront.orders import services as order_services
from storefront.orders.models import Order
from storefront.payments.services import _end_access_if_fully_refunded
from tests.delivery.test_delivery import download, master_pdf, paid_order
from tests.payments.conftest import card_order, post_event, stripe  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/orders/order/"


@pytest.fixture
def delivered():
    order = paid_order()
    services.deliver_order(order_id=order.pk)
    mail.outbox.clear()
    return Order.objects.get(pk=order.pk), DownloadGrant.objects.get(copy__line__order=order)


@pytest.fixture
def smtp_down(monkeypatch, settings):
    """The mail server refuses every message; eager retries run in place."""
    from storefront.celery import app

    settings.DELIVERY_MAX_RETRIES = 2
    monkeypatch.setattr(app.conf, "task_eager_propagates", False)
    attempts = []

    def refuse(self, messages):
        attempts.append(len(messages))
        raise SMTPServerDisconnected("mail server went away")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
    return attempts


def expire(grant):
    DownloadGrant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() - timedelta(minutes=1))


# --- While SMTP is down ------------------------------------------------------------------------


def test_renewal_while_smtp_is_down_answers_and_keeps_the_old_link(
    client, delivered, smtp_down, django_capture_on_commit_callbacks
):
    # given: an expired link and a mail server that refuses
    order, grant = delivered
    expire(grant)

    # when: the buyer asks for a fresh link
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/downloads/{grant.token}/renew/")

    # then: the page answers and says what happens next
    assert response.status_code == 200
    page = response.content.decode()
    assert "A fresh link is on its way" in page
    assert order.get_absolute_url() in page
    # the mail was tried and retried, the old link was never revoked, staff are told
    assert len(smtp_down) >= 2
    grant.refresh_from_db()
    assert grant.revoked_at is None
    order.refresh_from_db()
    assert order.needs_attention
    assert "Fresh download links could not be mailed" in order.attention_reason
    assert order.fresh_links_requested_at is None  # the sweep does not retry for ever


def test_staff_fresh_links_while_smtp_is_down_keep_the_old_link_working(
    admin_client, client, delivered, smtp_down, django_capture_on_commit_callbacks
):
    order, grant = delivered

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            CHANGELIST,
            {"action": "issue_fresh_download_links", "_selected_action": [order.pk]},
            follow=True,
        )

    assert response.status_code == 200
    assert "old links work until then" in response.content.decode()
    assert download(client, grant).status_code == 200
    order.refresh_from_db()
    assert "Fresh download links could not be mailed" in order.attention_reason


# --- Requested, then mailed --------------------------------------------------------------------


def test_the_old_link_ends_only_when_the_mail_with_the_new_one_is_sent(client, delivered):
    order, grant = delivered

    # given: a request saved, its task not run yet (queued, or left to the sweep)
    outcome = services.request_fresh_links(order_id=order.pk, reason="staff: test")
    assert outcome == services.FreshLinks.REQUESTED
    assert download(client, grant).status_code == 200
    assert mail.outbox == []

    # when: the task runs, twice (a duplicated message)
    send_fresh_links_task.delay(order.pk)
    send_fresh_links_task.delay(order.pk)

    # then: one mail with the new link; only then is the old one revoked
    [message] = mail.outbox
    fresh = DownloadGrant.objects.get(copy__line__order=order, revoked_at__isnull=True)
    assert fresh.pk != grant.pk
    assert f"/downloads/{fresh.token}/" in message.body
    assert f"/downloads/{grant.token}/" not in message.body
    assert download(client, grant).status_code == 410
    assert download(client, fresh).status_code == 200


def test_a_request_the_broker_never_got_is_sent_by_the_sweep(delivered):
    order, grant = delivered
    # given: saved, but its task was never queued (on-commit hooks not run: broker down)
    services.request_fresh_links(order_id=order.pk, reason="buyer asked, link expired")
    assert services.request_fresh_links(order_id=order.pk, reason="again") == (
        services.FreshLinks.ALREADY_REQUESTED
    )

    # when: beat runs the sweep minutes later
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        assert sweep_fresh_links_task.delay().get() == 1

    # then
    assert len(mail.outbox) == 1
    assert DownloadGrant.objects.filter(copy__line__order=order, revoked_at__isnull=True).count() == 1
    assert sweep_fresh_links_task.delay().get() == 0


# --- Access ended by a dispute or a full refund ------------------------------------------------


def dispute(client, stripe, order):  # noqa: F811
    charge_id = next(iter(stripe.charges))
    event = stripe.build_event(
        "charge.dispute.created",
        {
            "id": "dp_1", "object": "dispute", "charge": charge_id,
            "payment_intent": order.checkout_sessions.get().payment_intent_id,
            "amount": 393900, "currency": "usd", "reason": "fraudulent",
            "status": "needs_response",
        },
    )
    assert post_event(client, stripe, event).status_code == 200


def test_after_a_dispute_no_link_is_ever_handed_out_again(
    admin_client, client, stripe, card_order, django_capture_on_commit_callbacks  # noqa: F811
):
    # given: a delivered card order whose payment is then disputed (a signed webhook)
    order, session_id, _ = card_order()
    stripe.pay(session_id, send_webhook=False)
    post_event(client, stripe, stripe.build_event("checkout.session.completed", stripe.sessions[session_id]))
    report = order.lines.get().report
    report.master_pdf.save("master.pdf", ContentFile(master_pdf(3)))
    services.deliver_order(order_id=order.pk)
    grant = DownloadGrant.objects.get(copy__line__order=order)
    dispute(client, stripe, order)
    mail.outbox.clear()

    # when: staff issue fresh links and resend, and the buyer asks to renew
    with django_capture_on_commit_callbacks(execute=True):
        fresh = admin_client.post(
            CHANGELIST, {"action": "issue_fresh_download_links", "_selected_action": [order.pk]},
            follow=True,
        )
        admin_client.post(CHANGELIST, {"action": "resend_delivery", "_selected_action": [order.pk]})
        expire(grant)
        renew = client.post(f"/downloads/{grant.token}/renew/")

    # then: nothing usable, nothing mailed, and each refusal is explained
    assert not DownloadGrant.objects.usable().filter(copy__line__order=order).exists()
    assert DownloadGrant.objects.filter(copy__line__order=order).count() == 1
    assert mail.outbox == []
    assert "access ended (payment disputed (fraudulent))" in fresh.content.decode()
    assert renew.status_code in (404, 410)
    with pytest.raises(services.AccessEnded):
        services.send_delivery_mail(order_id=order.pk, force=True)
    # and the order records it, for staff and for the buyer
    order.refresh_from_db()
    assert order.access_ended_at is not None
    assert order.access_ended_reason == "payment disputed (fraudulent)"
    change = admin_client.get(f"{CHANGELIST}{order.pk}/change/").content.decode()
    assert "payment disputed (fraudulent)" in change
    page = client.get(order.get_absolute_url()).content.decode()
    assert "Access to the files of this order has ended" in page
    assert f"/downloads/{grant.token}/" not in page


def test_a_dispute_before_delivery_stops_the_delivery(client, stripe, card_order):  # noqa: F811
    order, session_id, _ = card_order()
    stripe.pay(session_id, send_webhook=False)
    post_event(client, stripe, stripe.build_event("checkout.session.completed", stripe.sessions[session_id]))
    dispute(client, stripe, order)

    services.deliver_order(order_id=order.pk)

    assert not DownloadGrant.objects.filter(copy__line__order=order).exists()
    assert mail.outbox == []
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        from storefront.delivery.tasks import sweep_undelivered_orders_task

        assert sweep_undelivered_orders_task.delay().get() == 0


def test_after_a_full_refund_fresh_links_are_refused(delivered):
    order, grant = delivered
    order = order_services.record_refund(order_id=order.pk, refunded_total=order.total, source="t")
    _end_access_if_fully_refunded(order)

    with pytest.raises(services.AccessEnded):
        services.request_fresh_links(order_id=order.pk, reason="staff: test")

    order.refresh_from_db()
    assert order.access_ended_reason == "full refund"
    assert not DownloadGrant.objects.usable().filter(copy__line__order=order).exists()


def test_staff_revoking_links_can_still_issue_fresh_ones(delivered):
    # A leaked link: staff revoke, then send new ones. Only a dispute or refund ends access.
    order, grant = delivered
    services.revoke_access(order_id=order.pk, reason="staff: leaked")

    services.request_fresh_links(order_id=order.pk, reason="staff: after leak")
    send_fresh_links_task.delay(order.pk)

    assert len(mail.outbox) == 1
    assert DownloadGrant.objects.usable().filter(copy__line__order=order).count() == 1


def test_a_link_missed_by_the_revocation_still_refuses_after_access_ended(client, delivered):
    # given: access ended, and a link that (by a slip) was not revoked
    order, grant = delivered
    services.end_access(order_id=order.pk, reason="payment disputed (fraudulent)")
    DownloadGrant.objects.filter(pk=grant.pk).update(revoked_at=None)

    # when / then
    response = download(client, grant)
    assert response.status_code == 410
    assert "E-mail me a fresh link" not in response.content.decode()
