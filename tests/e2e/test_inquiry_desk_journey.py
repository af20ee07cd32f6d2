"""A sales person works an inquiry at 1366 px, in a real Chromium: the conversation at the
top with the reply box beside it, a reply template, an internal note, a reply, and the
buyer's e-mail answer arriving through the mail provider's signed inbound webhook."""

import hashlib
import importlib
import hmac
import json
import time
import urllib.parse
import urllib.request

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core import mail
from playwright.sync_api import expect

from storefront.inquiries import conversation
from storefront.inquiries.models import InboundMessage, InquiryKind, ReplyTemplate
from tests.inquiries.test_admin import make_inquiry

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
SIGNING_KEY = "key-e2e-inbound"


@pytest.fixture
def desk(live_server, settings):
    settings.SITE_URL = live_server.url
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY}
    settings.INQUIRY_REPLY_ADDRESS = "replies@shop.example"
    user = User.objects.create_user("mei", "mei@example.com", PASSWORD, is_staff=True,
                                    first_name="Mei", last_name="Lin")
    # Transactional tests flush the groups the data migrations made: grant the same set.
    group, _created = Group.objects.get_or_create(name="Sales")
    for module in ("0002_sales_group", "0005_sales_work_the_conversation"):
        granted = importlib.import_module(f"storefront.inquiries.migrations.{module}")
        for app_label, codename in granted.SALES_PERMISSIONS:
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
    user.groups.add(group)
    return live_server.url


def post_signed_answer(base_url, inquiry, text):
    timestamp, token = str(int(time.time())), hashlib.sha256(b"e2e").hexdigest()
    signature = hmac.new(SIGNING_KEY.encode(), f"{timestamp}{token}".encode(),
                         hashlib.sha256).hexdigest()
    recipient = conversation.reply_address(inquiry)
    fields = {
        "timestamp": timestamp, "token": token, "signature": signature,
        "recipient": recipient, "sender": inquiry.email, "subject": "Re: your inquiry",
        "body-plain": text, "stripped-text": text,
        "message-headers": json.dumps([["From", inquiry.email], ["To", recipient],
                                       ["Subject", "Re: your inquiry"],
                                       ["Message-Id", "<e2e-answer@mail.example.com>"]]),
    }
    request = urllib.request.Request(f"{base_url}/inbound/mailgun/",
                                     data=urllib.parse.urlencode(fields).encode(), method="POST")
    with urllib.request.urlopen(request) as answer:
        assert answer.status == 200


def test_a_reply_thread_with_the_buyers_e_mail_answer(desk, page, artifacts):
    inquiry = make_inquiry(kind=InquiryKind.QUESTION)
    ReplyTemplate.objects.create(name="Coverage", kind=InquiryKind.QUESTION, language="en",
                                 body="Dear {name},\n\nThe report covers Japan in chapter 9.")

    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{desk}/admin/login/?next=/admin/inquiries/inquiry/{inquiry.pk}/change/")
    page.fill("#id_username", "mei")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")

    # The conversation opens the page; the reply box sits beside it.
    thread, compose = page.locator(".inquiry-thread"), page.locator(".inquiry-compose")
    expect(thread).to_contain_text("Does the report cover Japan?")
    thread_box, compose_box = thread.bounding_box(), compose.bounding_box()
    assert compose_box["x"] > thread_box["x"] + thread_box["width"] - 1  # side by side
    assert compose_box["y"] < 400  # in the first screen

    # A template starts the reply; a colleague's note goes with it.
    page.get_by_role("link", name="Coverage").click()
    expect(page.locator("#id_replies-0-body")).to_have_value(
        "Dear Ann Lee,\n\nThe report covers Japan in chapter 9."
    )
    page.fill("#id_notes-0-body", "Asked about Korea on the phone too.")
    page.get_by_role("button", name="Save, and send the reply").click()
    expect(page.locator(".messagelist")).to_contain_text("queued")
    expect(thread.locator(".thread-reply")).to_contain_text("chapter 9")
    expect(thread.locator(".thread-note")).to_contain_text("Korea on the phone")
    assert mail.outbox[-1].reply_to == [conversation.reply_address(inquiry)]

    # The buyer answers by e-mail: the provider posts it, signed; it joins the thread.
    post_signed_answer(desk, inquiry, "Thanks! Does it cover Korea as well?")
    assert InboundMessage.objects.get().inquiry_id == inquiry.pk
    page.reload()
    expect(thread.locator(".thread-inbound")).to_contain_text("Korea as well?")
    artifacts(page, "inquiry-desk-1366")
