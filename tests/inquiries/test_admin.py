"""Sales staff work the inquiry queue in the admin: assign, reply, send samples, quote."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core import mail
from django.test.utils import CaptureQueriesContext
from django.db import connection
from django.utils import timezone

from reports.models import LicenseType, Report
from storefront.inquiries import services
from storefront.inquiries.models import Inquiry, InquiryKind, InquiryReply, InquiryStatus, ReplyStatus
from storefront.inquiries.tasks import send_reply_task
from storefront.orders.models import Order, OrderStatus, PaymentMethod
from tests.factories import make_report
from tests.inquiries.conftest import TITLE_ZH, FailingSMTPBackend  # noqa: F401

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/inquiries/inquiry/"


def make_inquiry(*, report=None, kind=InquiryKind.QUESTION, language="en", **contact) -> Inquiry:
    details = {
        "name": "Ann Lee", "email": "ann.lee@example.com", "company": "Acme Medical",
        "job_title": "Head of Strategy", "country": "United Kingdom", **contact,
    }  # fmt: skip
    return services.submit_inquiry(
        contact=services.Contact(**details),
        kind=kind,
        message="Does the report cover Japan?",
        report=report,
        language=language,
    )


@pytest.fixture
def sales_user():
    user = User.objects.create_user("mei", "mei@example.com", "pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Sales"))  # made by the data migration
    return user


@pytest.fixture
def sales_client(client, sales_user):
    client.force_login(sales_user)
    return client


def reply_post(inquiry, body, *, include_sample_link=False, status=None) -> dict:
    """The change form as the browser posts it, with one new reply in the inline."""
    data = {
        "status": status or inquiry.status,
        "assignee": inquiry.assignee_id or "",
        "staff_note": inquiry.staff_note,
        "replies-TOTAL_FORMS": "1",
        "replies-INITIAL_FORMS": "0",
        "replies-MIN_NUM_FORMS": "0",
        "replies-MAX_NUM_FORMS": "1000",
        "replies-0-id": "",
        "replies-0-inquiry": str(inquiry.pk),
        "replies-0-body": body,
        "notes-TOTAL_FORMS": "1",
        "notes-INITIAL_FORMS": "0",
        "notes-MIN_NUM_FORMS": "0",
        "notes-MAX_NUM_FORMS": "1",
        "notes-0-id": "",
        "notes-0-inquiry": str(inquiry.pk),
        "notes-0-body": "",
        "_continue": "1",
    }
    if include_sample_link:
        data["replies-0-include_sample_link"] = "on"
    return data


# --- The queue ---------------------------------------------------------------------------


def test_queue_lists_inquiries_with_overdue_ones_highlighted(sales_client, report, settings):
    fresh = make_inquiry(report=report)
    old = make_inquiry(report=report, email="old@example.com")
    Inquiry.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(hours=settings.INQUIRY_OVERDUE_HOURS + 1)
    )
    page = sales_client.get(CHANGELIST).content.decode()
    assert fresh.reference in page and old.reference in page
    assert page.count('class="inquiry-overdue"') == 1
    assert "inquiries/admin.css" in page

    overdue = sales_client.get(CHANGELIST, {"overdue": "yes"}).content.decode()
    assert old.reference in overdue and fresh.reference not in overdue
    searched = sales_client.get(CHANGELIST, {"q": "old@example.com"}).content.decode()
    assert old.reference in searched and fresh.reference not in searched
    by_status = sales_client.get(CHANGELIST, {"status__exact": "new", "kind__exact": "question"})
    assert by_status.status_code == 200


def test_queue_has_a_fixed_query_count(sales_client, report):
    make_inquiry(report=report)
    with CaptureQueriesContext(connection) as one:
        sales_client.get(CHANGELIST)
    for number in range(6):
        make_inquiry(report=make_report(), email=f"b{number}@example.com")
    with CaptureQueriesContext(connection) as seven:
        sales_client.get(CHANGELIST)
    assert len(seven) == len(one)


def test_assign_to_me_opens_new_inquiries(sales_client, sales_user, report):
    inquiry = make_inquiry(report=report)
    response = sales_client.post(
        CHANGELIST, {"action": "assign_to_me", "_selected_action": [inquiry.pk]}, follow=True
    )
    assert "1 inquiry assigned to you." in response.content.decode()
    inquiry.refresh_from_db()
    assert inquiry.assignee == sales_user
    assert inquiry.status == InquiryStatus.OPEN
    mine = sales_client.get(CHANGELIST, {"assigned": "me"}).content.decode()
    assert inquiry.reference in mine


def test_unsafe_input_is_escaped_in_the_admin(sales_client, report):
    inquiry = make_inquiry(report=report, name="<script>alert(1)</script>", company="<b>Evil</b>")
    Inquiry.objects.filter(pk=inquiry.pk).update(message='<img src=x onerror="alert(2)">')
    for url in (CHANGELIST, f"{CHANGELIST}{inquiry.pk}/change/"):
        page = sales_client.get(url).content.decode()
        assert "<script>alert(1)" not in page
        assert "<b>Evil</b>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page or "&lt;b&gt;Evil&lt;/b&gt;" in page
    change = sales_client.get(f"{CHANGELIST}{inquiry.pk}/change/").content.decode()
    assert "<img src=x" not in change and "&lt;img src=x" in change


def test_the_report_links_to_its_public_page_in_the_buyers_language(sales_client, report):
    # Sales have no catalogue admin access: a link to the report's admin page would be a 403.
    inquiry = make_inquiry(report=report, language="zh-hans")
    page = sales_client.get(f"{CHANGELIST}{inquiry.pk}/change/").content.decode()
    assert f'href="/zh-hans/reports/{report.product_code}/{report.slug}/"' in page
    assert "/admin/reports/report/" not in page
    assert sales_client.get(f"/zh-hans/reports/{report.product_code}/{report.slug}/").status_code == 200


def test_an_unpublished_report_is_named_without_a_link(sales_client, report):
    inquiry = make_inquiry(report=report)
    Report.objects.filter(pk=report.pk).update(status="archived")
    page = sales_client.get(f"{CHANGELIST}{inquiry.pk}/change/").content.decode()
    assert report.product_code in page
    assert f"/reports/{report.product_code}/" not in page


# --- Replies ------------------------------------------------------------------------------


def test_reply_is_queued_then_sent_once_in_the_buyers_language(
    sales_client, sales_user, report, django_capture_on_commit_callbacks
):
    inquiry = make_inquiry(report=report, language="zh-hans")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = sales_client.post(
            f"{CHANGELIST}{inquiry.pk}/change/",
            reply_post(inquiry, "您好，报告涵盖日本市场。<b>not bold</b>"),
        )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert len(callbacks) == 1
    reply = InquiryReply.objects.get()
    assert reply.author == sales_user
    assert reply.status == ReplyStatus.SENT and reply.sent_at is not None
    [message] = mail.outbox
    assert message.to == ["ann.lee@example.com"]
    assert message.reply_to == [settings.SALES_EMAIL]
    assert inquiry.reference in message.subject
    assert "您好，报告涵盖日本市场。" in message.body
    assert "&lt;b&gt;not bold&lt;/b&gt;" in message.alternatives[0][0]
    inquiry.refresh_from_db()
    assert inquiry.status == InquiryStatus.ANSWERED
    assert inquiry.assignee == sales_user

    # The task runs again (a redelivery, the sweep): nothing is sent twice.
    assert send_reply_task.delay(reply.pk).get() is False
    assert services.send_reply(reply_id=reply.pk) is False
    assert len(mail.outbox) == 1
    page = sales_client.get(f"{CHANGELIST}{inquiry.pk}/change/").content.decode()
    assert "您好，报告涵盖日本市场。" in page
    assert "Sent" in page


def test_a_staff_status_choice_is_kept_when_replying(sales_client, report):
    inquiry = make_inquiry(report=report)
    sales_client.post(
        f"{CHANGELIST}{inquiry.pk}/change/",
        reply_post(inquiry, "Could you tell us which countries?", status=InquiryStatus.WAITING),
    )
    inquiry.refresh_from_db()
    assert inquiry.status == InquiryStatus.WAITING


def test_a_failed_reply_is_shown_failed_and_can_be_sent_again(
    sales_client, report, settings, django_capture_on_commit_callbacks
):
    inquiry = make_inquiry(report=report)
    reply = services.queue_reply(inquiry_id=inquiry.pk, author=None, body="Yes, Japan is covered.")
    settings.EMAIL_BACKEND = "tests.inquiries.conftest.FailingSMTPBackend"
    with pytest.raises(Exception):
        send_reply_task.apply(args=(reply.pk,), retries=settings.INQUIRY_MAIL_MAX_RETRIES)
    reply.refresh_from_db()
    inquiry.refresh_from_db()
    assert reply.status == ReplyStatus.FAILED and "SMTPSenderRefused" in reply.last_error
    assert inquiry.needs_attention and "Reply failed" in inquiry.attention_reason
    page = sales_client.get(f"{CHANGELIST}{inquiry.pk}/change/").content.decode()
    assert "Failed" in page

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        sales_client.post(CHANGELIST, {"action": "retry_mail", "_selected_action": [inquiry.pk]})
    reply.refresh_from_db()
    assert reply.status == ReplyStatus.SENT
    assert [m.subject for m in mail.outbox if "Yes, Japan is covered." in m.body]


# --- Samples ------------------------------------------------------------------------------


def sample_url_in(message) -> str:
    [url] = re.findall(r"https?://\S+/contact/sample/\S+/", message.body)
    return url.removeprefix(settings.SITE_URL)


def test_sample_reply_links_to_the_sample_for_a_limited_time(
    sales_client, client, report, django_capture_on_commit_callbacks
):
    inquiry = make_inquiry(report=report, kind=InquiryKind.SAMPLE, language="zh-hans")
    with django_capture_on_commit_callbacks(execute=True):
        sales_client.post(
            f"{CHANGELIST}{inquiry.pk}/change/",
            reply_post(inquiry, "请查收样本。", include_sample_link=True),
        )
    [message] = mail.outbox
    path = sample_url_in(message)
    assert path.startswith("/zh-hans/contact/sample/")
    assert not message.attachments  # a link, never an attachment

    client.logout()
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    body = b"".join(response.streaming_content)
    assert b"Sample pages" in body and b"The whole report" not in body

    assert client.get(path.replace("/sample/", "/sample/x")).status_code == 404
    with time_machine.travel(timezone.now() + timedelta(days=settings.INQUIRY_SAMPLE_LINK_DAYS, hours=1)):
        expired = client.get(path)
    assert expired.status_code == 410


def test_sample_link_needs_a_report_with_a_sample(sales_client):
    inquiry = make_inquiry(report=make_report(), kind=InquiryKind.SAMPLE)
    response = sales_client.post(
        f"{CHANGELIST}{inquiry.pk}/change/", reply_post(inquiry, "Here it is", include_sample_link=True)
    )
    assert response.status_code == 200  # the form again, with the reason
    assert "has no sample PDF" in response.content.decode()
    assert InquiryReply.objects.count() == 0


# --- Quotations ---------------------------------------------------------------------------


def test_quotation_becomes_an_invoice_order_for_the_chosen_licence(
    sales_client, report, django_capture_on_commit_callbacks
):
    inquiry = make_inquiry(report=report, kind=InquiryKind.QUOTATION, language="zh-hans")
    change = sales_client.get(f"{CHANGELIST}{inquiry.pk}/change/").content.decode()
    assert f"{CHANGELIST}{inquiry.pk}/quote/" in change
    option = report.license_options.get(license_type=LicenseType.SITE)
    quote_page = sales_client.get(f"{CHANGELIST}{inquiry.pk}/quote/").content.decode()
    assert f'value="{option.pk}"' in quote_page

    with django_capture_on_commit_callbacks(execute=True):
        response = sales_client.post(
            f"{CHANGELIST}{inquiry.pk}/quote/", {"license_option": option.pk}, follow=True
        )
    order = Order.objects.get()
    assert order.payment_method == PaymentMethod.INVOICE
    assert order.status == OrderStatus.AWAITING_INVOICE
    assert order.email == inquiry.email and order.language == "zh-hans"
    assert order.lines.get().license_type == LicenseType.SITE
    assert order.lines.get().title == TITLE_ZH
    assert order.number in response.content.decode()
    assert [m for m in mail.outbox if order.number in m.subject]  # the pro-forma invoice
    inquiry.refresh_from_db()
    assert inquiry.order == order and inquiry.status == InquiryStatus.WAITING

    again = sales_client.post(f"{CHANGELIST}{inquiry.pk}/quote/", {"license_option": option.pk}, follow=True)
    assert "already has an invoice order" in again.content.decode()
    assert Order.objects.count() == 1


def test_only_quotation_requests_become_orders(sales_client, report):
    inquiry = make_inquiry(report=report, kind=InquiryKind.QUESTION)
    option = report.license_options.first()
    response = sales_client.post(f"{CHANGELIST}{inquiry.pk}/quote/", {"license_option": option.pk}, follow=True)
    assert "Only quotation requests" in response.content.decode()
    assert Order.objects.count() == 0


# --- Permissions --------------------------------------------------------------------------


def test_sales_see_orders_but_cannot_change_them_or_the_catalogue(sales_client, report):
    inquiry = make_inquiry(report=report, kind=InquiryKind.QUOTATION)
    services.create_quote_order(
        inquiry_id=inquiry.pk, license_option_id=report.license_options.first().pk, actor=None
    )
    order = Order.objects.get()
    assert sales_client.get("/admin/orders/order/").status_code == 200
    assert sales_client.get(f"/admin/orders/order/{order.pk}/change/").status_code == 200
    sales_client.post(f"/admin/orders/order/{order.pk}/change/", {"full_name": "Changed"})
    order.refresh_from_db()
    assert order.full_name == "Ann Lee"
    assert sales_client.get(f"/admin/orders/order/{order.pk}/refund/").status_code == 403

    # The catalogue is not theirs: no list, no edit, no add.
    assert sales_client.get("/admin/reports/report/").status_code == 403
    assert sales_client.get(f"/admin/reports/report/{report.pk}/change/").status_code == 403
    assert sales_client.get("/admin/reports/report/add/").status_code == 403
    response = sales_client.post(f"/admin/reports/report/{report.pk}/change/", {"slug": "hacked"})
    assert response.status_code == 403
    assert Report.objects.get(pk=report.pk).slug != "hacked"

    # Inquiries are theirs to answer, never to delete or invent.
    assert sales_client.get(f"{CHANGELIST}{inquiry.pk}/delete/").status_code == 403
    assert sales_client.get(f"{CHANGELIST}add/").status_code == 403


def test_staff_outside_sales_cannot_see_inquiries(client, report):
    inquiry = make_inquiry(report=report)
    editor = User.objects.create_user("ed", "ed@example.com", "pw", is_staff=True)
    client.force_login(editor)
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(f"{CHANGELIST}{inquiry.pk}/change/").status_code == 403
    assert client.get(f"{CHANGELIST}{inquiry.pk}/quote/").status_code == 403


def test_sales_group_permissions_are_exactly_the_designed_set():
    codenames = set(Group.objects.get(name="Sales").permissions.values_list("codename", flat=True))
    assert {"view_inquiry", "change_inquiry", "add_inquiryreply", "quote_inquiry", "view_order"} <= codenames
    assert not {c for c in codenames if c.endswith("_report") or c.startswith("delete_")}
    assert "change_order" not in codenames and "refund_order" not in codenames
