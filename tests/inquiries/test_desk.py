"""The inquiry desk: one conversation (the buyer's message, replies, internal notes and the
buyer's e-mail answers) with the reply box beside it; reply templates; sales-only
assignees; and the mail provider's signed inbound webhook."""

import hashlib
import hmac
import json
import re
import time

import pytest
from django.contrib.auth.models import Group, User
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from storefront.inquiries import conversation, services
from storefront.inquiries.models import (
    InboundMessage,
    InquiryKind,
    InquiryNote,
    InquiryReply,
    InquiryStatus,
    ReplyTemplate,
)
from tests.inquiries.test_admin import CHANGELIST, make_inquiry, reply_post, sales_client, sales_user  # noqa: F401

pytestmark = pytest.mark.django_db

SIGNING_KEY = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"


@pytest.fixture
def inbound(settings):
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY}
    settings.INQUIRY_REPLY_ADDRESS = "replies@shop.example"


def mailgun_post(client, *, recipient, sender="ann.lee@example.com", subject="Re: your inquiry",
                 text="Thank you. Could you also cover Korea?", message_id=None, key=SIGNING_KEY):
    """A Mailgun route's forward() request, signed as Mailgun signs it."""
    timestamp, token = str(int(time.time())), hashlib.sha256(str(time.time()).encode()).hexdigest()
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    message_id = message_id or f"<{token[:16]}@mail.example.com>"
    return client.post("/inbound/mailgun/", {
        "timestamp": timestamp, "token": token, "signature": signature,
        "recipient": recipient, "sender": sender, "from": f"Ann Lee <{sender}>",
        "To": recipient, "subject": subject, "body-plain": f"{text}\n\n> earlier text",
        "stripped-text": text, "Message-Id": message_id,
        "message-headers": json.dumps([
            ["From", f"Ann Lee <{sender}>"], ["To", recipient], ["Subject", subject],
            ["Message-Id", message_id],
        ]),
    })


# --- The thread at the top of the page ------------------------------------------------


def test_the_page_opens_with_the_conversation_in_order_and_the_reply_box(
    sales_client, sales_user, inbound
):
    inquiry = make_inquiry()
    services.queue_reply(inquiry_id=inquiry.pk, author=sales_user, body="Yes, in chapter 9.")
    conversation.add_note(inquiry_id=inquiry.pk, author=sales_user, body="Big account, quote 10%.")
    conversation.record_inbound(
        message_id="<m1@example.com>", from_email="ann.lee@example.com",
        recipients=[conversation.reply_address(inquiry)], subject="Re", body="Korea too?",
    )

    page = sales_client.get(f"{CHANGELIST}{inquiry.pk}/change/").content.decode()

    thread = page[page.index('class="inquiry-thread"'):page.index('class="inquiry-compose"')]
    positions = [thread.index(text) for text in (
        "Does the report cover Japan?", "Yes, in chapter 9.", "Big account, quote 10%.", "Korea too?"
    )]
    assert positions == sorted(positions)
    assert "internal note (not sent)" in thread and "answered by e-mail" in thread
    compose = page[page.index('class="inquiry-compose"'):page.index("</aside>")]
    assert 'name="replies-0-body"' in compose and 'name="notes-0-body"' in compose
    assert page.index('class="inquiry-desk"') < page.index("IP address")
    assert "Reply: " not in page and "Queued" not in compose  # no raw labels


def test_a_note_is_kept_for_colleagues_and_never_mailed(
    sales_client, sales_user, django_capture_on_commit_callbacks
):
    inquiry = make_inquiry()
    data = reply_post(inquiry, "")
    data["notes-0-body"] = "Called them; they want EUR."
    with django_capture_on_commit_callbacks(execute=True):
        response = sales_client.post(f"{CHANGELIST}{inquiry.pk}/change/", data)

    assert response.status_code == 302
    note = InquiryNote.objects.get()
    assert (note.author, note.body) == (sales_user, "Called them; they want EUR.")
    assert mail.outbox == [] and not InquiryReply.objects.exists()


def test_a_reply_template_in_the_buyers_language_starts_the_reply(sales_client):
    inquiry = make_inquiry(kind=InquiryKind.SAMPLE, language="zh-hans", name="李明")
    chinese = ReplyTemplate.objects.create(
        name="样本", kind=InquiryKind.SAMPLE, language="zh-hans",
        body="{name}您好：样本已附上（{reference}）。{unknown}",
    )
    ReplyTemplate.objects.create(name="English sample", kind=InquiryKind.SAMPLE, language="en",
                                 body="Hello")
    ReplyTemplate.objects.create(name="报价", kind=InquiryKind.QUOTATION, language="zh-hans",
                                 body="报价")

    page = sales_client.get(f"{CHANGELIST}{inquiry.pk}/change/").content.decode()
    assert "样本" in page and "English sample" not in page and "报价</a>" not in page

    page = sales_client.get(
        f"{CHANGELIST}{inquiry.pk}/change/", {"reply_template": chinese.pk}
    ).content.decode()
    [textarea] = re.findall(r'<textarea name="replies-0-body"[^>]*>(.*?)</textarea>', page, re.S)
    assert textarea.strip() == f"李明您好：样本已附上（{inquiry.reference}）。{{unknown}}"


def test_only_sales_staff_can_be_assigned(sales_client, sales_user):
    User.objects.create_user("ed", "ed@example.com", "pw", is_staff=True).groups.add(
        Group.objects.get(name="Editors")
    )
    User.objects.create_superuser("root", "root@example.com", "pw")
    inquiry = make_inquiry()

    page = sales_client.get(f"{CHANGELIST}{inquiry.pk}/change/").content.decode()
    [select] = re.findall(r'<select name="assignee".*?</select>', page, re.S)

    assert "mei" in select
    assert ">ed<" not in select and ">root<" not in select


def test_a_sent_reply_is_named_for_people():
    inquiry = make_inquiry()
    user = User.objects.create_user("mei", first_name="Mei", last_name="Lin")
    reply = services.queue_reply(inquiry_id=inquiry.pk, author=user, body="Yes.")
    assert str(reply).startswith("Reply by Mei Lin, queued ")


def test_the_desk_keeps_a_fixed_query_count_as_the_thread_grows(sales_client, sales_user):
    inquiry = make_inquiry()

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert sales_client.get(f"{CHANGELIST}{inquiry.pk}/change/").status_code == 200
        return len(captured)

    services.queue_reply(inquiry_id=inquiry.pk, author=sales_user, body="One")
    small = queries()
    for number in range(8):
        services.queue_reply(inquiry_id=inquiry.pk, author=sales_user, body=f"Reply {number}")
        conversation.add_note(inquiry_id=inquiry.pk, author=sales_user, body=f"Note {number}")
    assert queries() == small


# --- Replies by e-mail: Reply-To and the signed inbound webhook ------------------------


def test_a_reply_asks_the_buyer_to_answer_to_the_inquiry_address(
    inbound, sales_user, django_capture_on_commit_callbacks
):
    inquiry = make_inquiry()
    with django_capture_on_commit_callbacks(execute=True):
        services.queue_reply(inquiry_id=inquiry.pk, author=sales_user, body="Yes, Japan is in.")
    [message] = mail.outbox
    assert message.reply_to == [f"replies+{inquiry.public_token}@shop.example"]


def test_the_buyers_e_mail_answer_joins_the_thread_once(client, inbound):
    inquiry = make_inquiry()
    services.close_inquiries(inquiry_ids=[inquiry.pk])
    address = conversation.reply_address(inquiry)

    first = mailgun_post(client, recipient=address, message_id="<abc@mail.example.com>")
    again = mailgun_post(client, recipient=address, message_id="<abc@mail.example.com>")

    assert (first.status_code, again.status_code) == (200, 200)
    [message] = InboundMessage.objects.all()
    assert (message.inquiry, message.body) == (inquiry, "Thank you. Could you also cover Korea?")
    assert not message.from_other_address
    inquiry.refresh_from_db()
    assert inquiry.status == InquiryStatus.OPEN  # sales' move again


def test_an_answer_from_another_address_is_filed_and_marked(client, inbound):
    inquiry = make_inquiry()
    mailgun_post(client, recipient=conversation.reply_address(inquiry), sender="boss@acme.example")
    message = InboundMessage.objects.get()
    assert message.inquiry == inquiry and message.from_other_address


def test_an_answer_to_the_sales_address_is_matched_by_the_reference(client, inbound):
    inquiry = make_inquiry()
    mailgun_post(client, recipient="sales@shop.example",
                 subject=f"Re: your inquiry {inquiry.reference}")
    assert InboundMessage.objects.get().inquiry == inquiry


def test_an_answer_that_matches_no_inquiry_is_kept_for_sales(client, inbound):
    make_inquiry()
    mailgun_post(client, recipient="replies+not-a-token@shop.example", subject="Hello")
    message = InboundMessage.objects.get()
    assert message.inquiry is None


def test_a_forged_request_is_refused_and_changes_nothing(client, inbound):
    inquiry = make_inquiry()
    response = mailgun_post(client, recipient=conversation.reply_address(inquiry),
                            key="key-not-the-shops")
    assert response.status_code == 400
    assert not InboundMessage.objects.exists()


def test_without_a_signing_key_the_endpoint_does_not_exist(client, settings):
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": ""}
    assert client.post("/inbound/mailgun/", {}).status_code == 404
