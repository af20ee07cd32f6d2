"""The contact form: what a buyer (or a bot) sends, what is saved, and what is mailed.

Tasks run in-process here; the same paths through a real worker are in test_worker.py.
"""

import re
from datetime import timedelta
from smtplib import SMTPSenderRefused

import pytest
import time_machine
from celery.exceptions import Retry
from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils import timezone
from django.utils.translation import gettext, override

from storefront.inquiries.models import Inquiry, InquiryKind, InquiryStatus
from storefront.inquiries.tasks import sweep_inquiry_mail_task
from tests.inquiries.conftest import PRODUCT_CODE, TITLE_EN, TITLE_ZH, form_data

pytestmark = pytest.mark.django_db

REFERENCE = re.compile(r"^Q-\d{6}-[A-HJ-NP-Z2-9]{4}$")


def submit(client, language="en", **overrides):
    return client.post(f"/{language}/contact/", form_data(**overrides))


# --- The form -------------------------------------------------------------------------


def test_report_page_buttons_open_the_form_with_report_and_kind_preset(client, report):
    page = client.get(report.get_absolute_url(), follow=True).content.decode()
    assert f'href="/en/contact/?report={PRODUCT_CODE}&amp;kind=question"' in page
    assert f'href="/en/contact/?report={PRODUCT_CODE}&amp;kind=sample"' in page
    assert "mailto:" not in page.split("<footer")[0]


def test_contact_nav_and_footer_point_to_the_contact_page(client):
    page = client.get("/zh-hans/reports/").content.decode()
    assert page.count('href="/zh-hans/contact/"') == 2


@pytest.mark.parametrize(("language", "title"), [("en", TITLE_EN), ("zh-hans", TITLE_ZH)])
def test_preset_form_shows_the_report_title_and_checks_the_kind(client, report, language, title):
    response = client.get(f"/{language}/contact/", {"report": PRODUCT_CODE, "kind": "sample"})
    page = response.content.decode()
    assert response.status_code == 200
    assert title in page
    assert f'name="report" value="{PRODUCT_CODE}"' in page
    assert re.search(r'<input[^>]*value="sample"[^>]*checked', page)
    assert f'<html lang="{language}">' in page


def test_unknown_report_or_kind_in_the_address_gives_a_plain_contact_form(client, report):
    response = client.get("/en/contact/", {"report": "nope", "kind": "<script>"})
    page = response.content.decode()
    assert response.status_code == 200
    assert TITLE_EN not in page
    assert re.search(r'<input[^>]*value="general"[^>]*checked', page)
    assert "<script>" not in page


def test_pages_keep_a_fixed_query_count(client, report, django_assert_num_queries):
    with django_assert_num_queries(0):
        client.get("/en/contact/")
    with django_assert_num_queries(2):  # the report and its translations
        client.get("/en/contact/", {"report": PRODUCT_CODE, "kind": "question"})
    # The report (2 queries), then the insert inside two savepoints (the service's
    # transaction and the retry-on-collision block, nested in the test's transaction).
    with django_assert_num_queries(7):
        response = submit(client)
    with django_assert_num_queries(1):
        client.get(response["Location"])


# --- A valid inquiry ----------------------------------------------------------------------


def test_valid_inquiry_is_saved_then_acknowledged_and_sales_notified(
    client, report, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = submit(client, HTTP_REFERER="http://testserver/ignored/")
    inquiry = Inquiry.objects.get()
    # Saved first: nothing is mailed before the commit.
    assert mail.outbox == []
    assert len(callbacks) == 1
    assert inquiry.reference and REFERENCE.match(inquiry.reference)
    assert inquiry.kind == InquiryKind.QUESTION
    assert inquiry.status == InquiryStatus.NEW
    assert inquiry.report == report
    assert inquiry.report_title == TITLE_EN
    assert inquiry.language == "en"
    assert inquiry.source_page.startswith(f"/en/reports/{PRODUCT_CODE}/")
    assert inquiry.consent_given_at is not None
    assert inquiry.ip_address == "127.0.0.1"
    # Redirect after POST, to the token's page, never the id.
    assert response.status_code == 302
    assert response["Location"] == f"/en/contact/thanks/{inquiry.public_token}/"

    callbacks[0]()
    acknowledgement, notice = sorted(mail.outbox, key=lambda m: m.to != [inquiry.email])
    assert acknowledgement.to == ["ann.lee@example.com"]
    assert inquiry.reference in acknowledgement.subject
    assert inquiry.reference in acknowledgement.body
    assert TITLE_EN in acknowledgement.body
    assert acknowledgement.reply_to == [settings.SALES_EMAIL]
    assert notice.to == [settings.SALES_EMAIL]
    assert notice.reply_to == ["ann.lee@example.com"]
    admin_url = f"{settings.SITE_URL}/admin/inquiries/inquiry/{inquiry.pk}/change/"
    assert admin_url in notice.body
    assert admin_url in notice.alternatives[0][0]
    assert "Acme Medical" in notice.subject
    inquiry.refresh_from_db()
    assert inquiry.acknowledged_at and inquiry.sales_notified_at


def test_chinese_buyer_is_acknowledged_in_chinese(client, report, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(client, language="zh-hans", name="李伟", company="上海医学教育咨询有限公司")
    inquiry = Inquiry.objects.get()
    assert inquiry.language == "zh-hans"
    assert inquiry.report_title == TITLE_ZH
    assert response["Location"] == f"/zh-hans/contact/thanks/{inquiry.public_token}/"
    [acknowledgement] = [m for m in mail.outbox if m.to == [inquiry.email]]
    with override("zh-hans"):
        expected = gettext("We have received your inquiry %(reference)s") % {
            "reference": inquiry.reference
        }
    assert acknowledgement.subject == expected
    assert TITLE_ZH in acknowledgement.body
    assert "李伟" in acknowledgement.body


def test_thank_you_page_shows_the_reference_only_to_the_token(client, report):
    response = submit(client)
    inquiry = Inquiry.objects.get()
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert inquiry.reference in page.content.decode()
    assert "noindex" in page.content.decode()
    assert client.get(f"/en/contact/thanks/{inquiry.pk}/").status_code == 404
    assert client.get(f"/en/contact/thanks/{inquiry.reference}/").status_code == 404


def test_an_inquiry_without_a_report_is_a_general_one(client):
    submit(client, report=None, kind="general", source=None)
    inquiry = Inquiry.objects.get()
    assert inquiry.report is None and inquiry.report_title == ""
    assert inquiry.kind == InquiryKind.GENERAL


# --- Refused submissions: nothing saved, nothing queued -------------------------------------


def test_invalid_inquiry_is_400_in_the_buyers_language_and_keeps_what_was_typed(
    client, report, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = submit(
            client, language="zh-hans", email="not-an-address", company="", consent=None,
            message="关于日本市场的问题",
        )
    page = response.content.decode()
    assert response.status_code == 400
    assert Inquiry.objects.count() == 0 and callbacks == [] and mail.outbox == []
    with override("zh-hans"):
        assert gettext("This field is required.") in page
        assert gettext("Enter a valid email address.") in page
    # Django's own messages, in the shop's wording (storefront/forms.py)
    assert "请填写此项。" in page and "请输入有效的电子邮件地址。" in page
    assert "这个字段是必填项" not in page and "Email 地址" not in page
    assert 'value="not-an-address"' in page
    assert "关于日本市场的问题" in page
    assert 'value="Head of Strategy"' in page
    assert TITLE_ZH in page  # the report stays on the form


def test_line_breaks_in_one_line_fields_are_refused(client, report):
    response = submit(client, company="Acme\r\nBcc: victim@example.com")
    assert response.status_code == 400
    assert Inquiry.objects.count() == 0


def test_honeypot_saves_and_queues_nothing_but_lets_a_person_send_again(
    client, report, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = submit(client, website="http://spam.example/")
    page = response.content.decode()
    assert response.status_code == 400
    assert Inquiry.objects.count() == 0 and callbacks == [] and mail.outbox == []
    assert "spam.example" not in page  # the trap is emptied
    assert "Does the report cover accredited online CME providers" in page
    assert submit(client).status_code == 302  # a person sends it again


def test_rate_limit_per_email_gives_a_429_and_saves_nothing(
    client, report, settings, django_capture_on_commit_callbacks
):
    settings.INQUIRY_RATE_LIMIT_PER_EMAIL = 2
    settings.INQUIRY_RATE_LIMIT_PER_IP = 100
    assert submit(client).status_code == 302
    assert submit(client).status_code == 302
    with django_capture_on_commit_callbacks() as callbacks:
        response = submit(client)
    assert response.status_code == 429
    assert "sales@localhost" in response.content.decode()
    assert Inquiry.objects.count() == 2 and callbacks == []
    # Another address from the same place is still welcome.
    assert submit(client, email="someone.else@example.com").status_code == 302


def test_rate_limit_per_ip_gives_a_429_and_saves_nothing(client, report, settings):
    settings.INQUIRY_RATE_LIMIT_PER_IP = 2
    for number in range(2):
        assert submit(client, email=f"buyer{number}@example.com").status_code == 302
    response = submit(client, email="buyer9@example.com")
    assert response.status_code == 429
    assert Inquiry.objects.count() == 2
    # Another address (IP) is counted on its own.
    other = Client(REMOTE_ADDR="203.0.113.7")
    assert other.post("/en/contact/", form_data(email="x@example.com")).status_code == 302


def test_rate_limit_window_ends(client, report, settings):
    settings.INQUIRY_RATE_LIMIT_PER_EMAIL = 1
    assert submit(client).status_code == 302
    assert submit(client).status_code == 429
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.INQUIRY_RATE_LIMIT_WINDOW_SECONDS + 1)):
        assert submit(client).status_code == 302


def test_cache_down_the_limit_fails_open_and_the_inquiry_is_kept(client, report, settings):
    # Redis is cache and broker: when it is down the buyer's message must still be saved.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
    assert submit(client).status_code == 302
    assert Inquiry.objects.count() == 1


def test_csrf_is_enforced(report):
    client = Client(enforce_csrf_checks=True)
    assert client.post("/en/contact/", form_data()).status_code == 403
    assert Inquiry.objects.count() == 0
    client.get("/en/contact/")
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    response = client.post("/en/contact/", form_data(csrfmiddlewaretoken=token))
    assert response.status_code == 302


# --- Unsafe input -------------------------------------------------------------------------


def test_unsafe_input_is_escaped_in_mails_and_on_pages(
    client, report, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        submit(
            client, name="<script>alert(1)</script>", company="<b>Evil</b> & Co",
            message='<img src=x onerror="alert(2)"> please',
        )
    inquiry = Inquiry.objects.get()
    for message in mail.outbox:
        html = message.alternatives[0][0]
        assert "<script>" not in html and "<img" not in html
        assert "&lt;script&gt;" in html or "&lt;img" in html
    [notice] = [m for m in mail.outbox if m.to == [settings.SALES_EMAIL]]
    assert "&lt;b&gt;Evil&lt;/b&gt; &amp; Co" in notice.alternatives[0][0]
    # The plain-text part is text: shown as typed, never HTML-escaped.
    assert "<b>Evil</b> & Co" in notice.body
    thanks = client.get(inquiry.get_absolute_url()).content.decode()
    assert "<script>alert" not in thanks


# --- Nothing lost ---------------------------------------------------------------------------


def test_broker_down_the_buyer_still_gets_the_thank_you_page_and_the_sweep_mails(
    client, report, settings, django_capture_on_commit_callbacks
):
    from storefront.celery import app

    saved = (app.conf.task_always_eager, app.conf.broker_url, app._pool, app.amqp._producer_pool)
    app.conf.task_always_eager = False
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens there
    app._pool = app.amqp._producer_pool = None
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = submit(client)
    finally:
        if app._pool is not None:
            app._pool.force_close_all()
        (app.conf.task_always_eager, app.conf.broker_url, app._pool,
         app.amqp._producer_pool) = saved
    inquiry = Inquiry.objects.get()
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200
    assert mail.outbox == []
    assert inquiry.acknowledged_at is None and inquiry.sales_notified_at is None

    # Too fresh for the sweep: a task may still be on its way.
    assert sweep_inquiry_mail_task.delay().get() == 0
    with time_machine.travel(timezone.now() + timedelta(minutes=settings.INQUIRY_SWEEP_AFTER_MINUTES + 1)):
        assert sweep_inquiry_mail_task.delay().get() == 2
        assert sweep_inquiry_mail_task.delay().get() == 0
    assert sorted(m.to[0] for m in mail.outbox) == ["ann.lee@example.com", settings.SALES_EMAIL]


def test_mail_failing_after_the_last_retry_flags_the_inquiry(client, report, settings):
    from storefront.inquiries.tasks import send_acknowledgement_task

    submit(client)
    inquiry = Inquiry.objects.get()
    settings.EMAIL_BACKEND = "tests.inquiries.conftest.FailingSMTPBackend"
    # An earlier attempt: retried later with backoff, nothing flagged yet.
    with pytest.raises(Retry):
        send_acknowledgement_task.apply(args=(inquiry.pk,), retries=0)
    inquiry.refresh_from_db()
    assert not inquiry.needs_attention
    # The last attempt: flagged for staff, and the sweep leaves it alone.
    with pytest.raises(SMTPSenderRefused):
        send_acknowledgement_task.apply(
            args=(inquiry.pk,), retries=settings.INQUIRY_MAIL_MAX_RETRIES
        )
    inquiry.refresh_from_db()
    assert inquiry.needs_attention and inquiry.mail_failed_at is not None
    assert "Mail failed: SMTPSenderRefused" in inquiry.attention_reason
    assert Inquiry.objects.mail_pending().count() == 0
