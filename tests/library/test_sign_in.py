"""Signing in to the library by a mailed one-time link or code (eager tasks, mail outbox).

The same path through a real worker and SMTP is in test_worker.py.
"""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from storefront.library.models import SignInRequest
from storefront.library.tasks import sweep_sign_in_mail_task
from tests.library.buyers import bought, code_in, link_in

pytestmark = pytest.mark.django_db

BUYER = "ann.lee@acme.example"


def sign_in_by_code(client, ask_for_sign_in, email, language="en"):
    ask_for_sign_in(email, language)
    code = code_in(mail.outbox[-1])
    return client.post(f"/{language}/account/sign-in/code/", {"code": code})


def same_page(page: str, email: str) -> str:
    """The page without what differs on every request (CSRF token) and the address typed."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page).replace(email, "X")


# --- Signing in ------------------------------------------------------------------------------


def test_sign_in_by_the_mailed_link_opens_the_buyers_library(client, ask_for_sign_in):
    # given: a delivered order
    order = bought(email=BUYER)
    mail.outbox.clear()

    # when: the buyer asks for a sign-in and follows the link in the mail
    response = ask_for_sign_in(BUYER)
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == [BUYER]
    link = link_in(message.body)
    assert link.startswith("/en/account/sign-in/")
    confirm = client.get(link)
    signed_in = client.post(link, follow=True)

    # then: opening the link only asks to confirm (a mail scanner uses nothing up) ...
    assert confirm.status_code == 200
    assert "Sign in to your library" in confirm.content.decode()
    # ... and confirming shows every report of the order with its licence and links
    page = signed_in.content.decode()
    assert signed_in.status_code == 200
    assert order.number in page
    line = order.lines.get()
    assert line.title in page
    assert "Single User" in page or line.get_license_type_display() in page
    grant = line.copy.grants.get()
    assert f"/downloads/{grant.token}/" in page
    assert "5 downloads left" in page
    assert order.get_absolute_url() in page  # where the invoices are listed for now


def test_sign_in_by_the_mailed_code_opens_the_buyers_library(client, ask_for_sign_in):
    order = bought(email=BUYER)

    response = sign_in_by_code(client, ask_for_sign_in, BUYER)

    assert response.status_code == 302
    assert response["Location"] == "/en/account/"
    page = client.get("/en/account/").content.decode()
    assert order.number in page
    assert f"Signed in as {BUYER}" in page


def test_every_address_gets_the_same_answer_whether_or_not_it_has_orders(client, ask_for_sign_in):
    # given: one address with an order, one without
    bought(email=BUYER)
    mail.outbox.clear()

    # when: both ask
    with_orders = ask_for_sign_in(BUYER)
    page_with = client.get(with_orders["Location"]).content.decode()
    without_orders = ask_for_sign_in("nobody@elsewhere.example")
    page_without = client.get(without_orders["Location"]).content.decode()

    # then: the same redirect, the same page (but for the address), a mail each
    assert with_orders.status_code == without_orders.status_code == 302
    assert with_orders["Location"] == without_orders["Location"]
    assert same_page(page_with, BUYER) == same_page(page_without, "nobody@elsewhere.example")
    assert [m.to for m in mail.outbox] == [[BUYER], ["nobody@elsewhere.example"]]
    # and the address without orders signs in to an empty library
    client.post("/en/account/sign-in/code/", {"code": code_in(mail.outbox[-1])})
    assert "No reports were bought with this address" in client.get("/en/account/").content.decode()


def test_orders_are_found_by_address_in_any_case_across_orders_and_languages(
    client, ask_for_sign_in
):
    # given: two orders, typed in different cases and placed in different languages
    english = bought(email="Ann.Lee@ACME.example", language="en")
    chinese = bought(email="ann.lee@acme.example", language="zh-hans")

    # when
    sign_in_by_code(client, ask_for_sign_in, "ANN.LEE@acme.EXAMPLE")

    # then
    page = client.get("/en/account/").content.decode()
    assert english.number in page and chinese.number in page


def test_another_buyers_orders_are_never_shown(client, ask_for_sign_in):
    # given: the buyer's order and another buyer's (even one address containing the other)
    own = bought(email=BUYER)
    others = [
        bought(email="someone@else.example"),
        bought(email=f"x{BUYER}"),
        bought(email=f"{BUYER}.evil.example"),
    ]

    # when
    sign_in_by_code(client, ask_for_sign_in, BUYER)
    page = client.get("/en/account/").content.decode()

    # then: only the buyer's own order and links
    assert own.number in page
    for order in others:
        assert order.number not in page
        assert order.lines.get().copy.grants.get().token not in page
    # and no fresh links for another buyer's order
    response = client.post(f"/en/account/orders/{others[0].number}/fresh-links/")
    assert response.status_code == 404


# --- Refusing ---------------------------------------------------------------------------------


def test_an_expired_code_and_link_are_refused(client, ask_for_sign_in):
    bought(email=BUYER)
    ask_for_sign_in(BUYER)
    [message] = [m for m in mail.outbox if m.to == [BUYER] and "sign-in" in m.subject.lower()]
    code, link = code_in(message), link_in(message.body)

    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        by_code = client.post("/en/account/sign-in/code/", {"code": code})
        by_link = client.post(link)

    assert by_code.status_code == 400
    assert "has expired, was used already or was mistyped too often" in by_code.content.decode()
    assert by_link.status_code == 410
    assert "This sign-in link no longer works" in by_link.content.decode()
    assert "library_email" not in client.session


def test_a_code_or_link_works_once(client, ask_for_sign_in):
    ask_for_sign_in(BUYER)
    message = mail.outbox[-1]
    code, link = code_in(message), link_in(message.body)

    # when: the code signs in, then the buyer signs out and tries both again
    assert client.post("/en/account/sign-in/code/", {"code": code}).status_code == 302
    client.post("/en/account/sign-out/")
    client.post("/en/account/sign-in/", {"email": BUYER})  # back to the code form
    reused_code = client.post("/en/account/sign-in/code/", {"code": code})
    reused_link = client.post(link)

    # then
    assert reused_code.status_code == 400
    assert reused_link.status_code == 410
    assert client.get(link).status_code == 410
    assert "library_email" not in client.session


def test_too_many_wrong_codes_invalidate_the_code_and_its_link(client, ask_for_sign_in, settings):
    settings.LIBRARY_SIGN_IN_CODE_ATTEMPTS = 3
    ask_for_sign_in(BUYER)
    message = mail.outbox[-1]
    code, link = code_in(message), link_in(message.body)
    wrong = f"{(int(code) + 1) % 10**6:06d}"

    answers = [client.post("/en/account/sign-in/code/", {"code": wrong}) for _ in range(3)]
    right_too_late = client.post("/en/account/sign-in/code/", {"code": code})

    assert [answer.status_code for answer in answers] == [400, 400, 400]
    assert "That code is not right" in answers[0].content.decode()
    assert right_too_late.status_code == 400
    assert "mistyped too often" in right_too_late.content.decode()
    assert client.post(link).status_code == 410
    assert "library_email" not in client.session
    assert SignInRequest.objects.get().failed_attempts == 3


def test_a_wrong_code_counts_against_every_code_the_address_was_sent(
    client, ask_for_sign_in, settings
):
    # given: two mails asked for (the first seemed lost)
    settings.LIBRARY_SIGN_IN_CODE_ATTEMPTS = 2
    ask_for_sign_in(BUYER)
    ask_for_sign_in(BUYER)
    first, second = code_in(mail.outbox[0]), code_in(mail.outbox[1])
    wrong = next(f"{n:06d}" for n in range(10**6) if f"{n:06d}" not in (first, second))

    # when: two wrong codes
    client.post("/en/account/sign-in/code/", {"code": wrong})
    client.post("/en/account/sign-in/code/", {"code": wrong})

    # then: neither mailed code works any more
    assert client.post("/en/account/sign-in/code/", {"code": first}).status_code == 400
    assert client.post("/en/account/sign-in/code/", {"code": second}).status_code == 400


def test_either_mailed_code_works_and_signing_in_uses_up_both(client, ask_for_sign_in):
    ask_for_sign_in(BUYER)
    ask_for_sign_in(BUYER)
    first, second = mail.outbox[0], mail.outbox[1]

    assert client.post("/en/account/sign-in/code/", {"code": code_in(first)}).status_code == 302

    assert client.post(link_in(second.body)).status_code == 410


def test_asking_too_often_is_refused_with_429_per_address_and_per_ip(
    client, ask_for_sign_in, settings
):
    settings.LIBRARY_SIGN_IN_RATE_LIMIT_PER_EMAIL = 2
    settings.LIBRARY_SIGN_IN_RATE_LIMIT_PER_IP = 4

    # per address (whatever its case or +tag)
    spellings = (BUYER, BUYER.upper(), "ann.lee+x@acme.example")
    answers = [ask_for_sign_in(email).status_code for email in spellings]
    assert answers == [302, 302, 429]
    # per IP address: two more addresses from the same IP pass, the next does not
    assert ask_for_sign_in("b@example.com").status_code == 302
    refused = ask_for_sign_in("c@example.com")
    assert refused.status_code == 429
    assert "several sign-in e-mails" in refused.content.decode()
    # nothing was saved or mailed past the limit
    assert SignInRequest.objects.count() == len(mail.outbox) == 3
    # another IP address still gets its mail
    assert ask_for_sign_in("c@example.com", REMOTE_ADDR="10.0.0.9").status_code == 302


# --- Session -----------------------------------------------------------------------------------


def test_the_address_never_reaches_a_cookie(client, ask_for_sign_in):
    bought(email=BUYER)
    sign_in_by_code(client, ask_for_sign_in, BUYER)
    client.get("/en/account/")

    for cookie in client.cookies.values():
        assert "acme" not in cookie.value.lower()
        assert "ann.lee" not in cookie.value.lower()


def test_signing_in_gives_the_session_a_new_key(client, ask_for_sign_in):
    ask_for_sign_in(BUYER)
    before = client.session.session_key

    client.post("/en/account/sign-in/code/", {"code": code_in(mail.outbox[-1])})

    assert client.session.session_key != before
    assert client.session["library_email"] == BUYER


def test_sign_out_forgets_the_address_and_leaves_staff_signed_in(
    admin_client, django_capture_on_commit_callbacks
):
    # given: a staff member who is also a buyer, signed in to both
    bought(email=BUYER)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post("/en/account/sign-in/", {"email": BUYER})
    admin_client.post("/en/account/sign-in/code/", {"code": code_in(mail.outbox[-1])})
    assert "Your library" in admin_client.get("/en/account/").content.decode()

    # when
    response = admin_client.post("/en/account/sign-out/", follow=True)

    # then: the library asks for an address again; the admin still works
    page = response.content.decode()
    assert "You have signed out of your library." in page
    assert 'name="email"' in page
    assert admin_client.get("/admin/").status_code == 200


# --- Hostile or odd input ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "path, data, status",
    [
        ("/en/account/sign-in/", {"email": "not an address"}, 400),
        ("/en/account/sign-in/", {"email": "a" * 300 + "@example.com"}, 400),
        ("/en/account/sign-in/", {}, 400),
        ("/en/account/sign-in/" + "0" * 64 + "/", {}, 410),
        ("/en/account/sign-in/%E2%98%83/", {}, 410),
        ("/en/account/orders/MR-NOPE/fresh-links/", {}, 302),  # not signed in
        ("/en/account/sign-in/code/", {"code": "123456"}, 302),  # no code was asked for
    ],
)
def test_bad_input_gets_a_clear_4xx_or_a_redirect(client, path, data, status):
    assert client.post(path, data).status_code == status


def test_a_mistyped_code_is_explained(client, ask_for_sign_in):
    ask_for_sign_in(BUYER)

    for code in ("12a456", "１２３４５６", "9" * 21, ""):
        response = client.post("/en/account/sign-in/code/", {"code": code})
        assert response.status_code == 400
    nothing = client.post("/en/account/sign-in/code/", {})
    assert nothing.status_code == 400
    assert "This field is required." in nothing.content.decode()
    assert SignInRequest.objects.get().failed_attempts == 0  # a typo in form is not a guess


def test_a_code_with_spaces_is_accepted(client, ask_for_sign_in):
    ask_for_sign_in(BUYER)
    code = code_in(mail.outbox[-1])

    response = client.post("/en/account/sign-in/code/", {"code": f" {code[:3]} {code[3:]} "})

    assert response.status_code == 302


# --- Mail ----------------------------------------------------------------------------------


def test_the_sign_in_mail_is_in_the_language_of_the_page(client, ask_for_sign_in):
    ask_for_sign_in(BUYER, language="zh-hans")

    [message] = mail.outbox
    assert "登录" in message.subject
    assert link_in(message.body).startswith("/zh-hans/account/sign-in/")
    assert "15 分钟" in message.body or "15分钟" in message.body
    assert client.get("/zh-hans/account/sign-in/code/").status_code == 200
    assert "请查看您的电子邮件" in client.get("/zh-hans/account/sign-in/code/").content.decode()


def test_a_sign_in_the_broker_never_got_is_mailed_by_the_sweep(client):
    # given: saved, but the on-commit hook never ran (the broker was down)
    response = client.post("/en/account/sign-in/", {"email": BUYER})
    assert response.status_code == 302
    assert mail.outbox == []

    # when: the sweep runs a minute later, twice
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert sweep_sign_in_mail_task.delay().get() == 1
        assert sweep_sign_in_mail_task.delay().get() == 0

    # then: one mail, and its code works
    [message] = mail.outbox
    assert client.post("/en/account/sign-in/code/", {"code": code_in(message)}).status_code == 302


def test_the_sweep_forgets_sign_ins_that_ended_a_day_ago(ask_for_sign_in):
    ask_for_sign_in(BUYER)

    with time_machine.travel(timezone.now() + timedelta(days=2)):
        sweep_sign_in_mail_task.delay()

    assert not SignInRequest.objects.exists()


def test_neither_code_nor_link_is_stored(ask_for_sign_in):
    ask_for_sign_in(BUYER)
    message = mail.outbox[-1]
    code, link = code_in(message), link_in(message.body)

    row = SignInRequest.objects.values().get()

    stored = " ".join(str(value) for value in row.values())
    assert code not in stored
    assert link.rstrip("/").rsplit("/", 1)[1] not in stored


def test_a_sign_in_mail_the_server_refused_is_retried_and_sent_once(
    client, ask_for_sign_in, monkeypatch
):
    # given: a mail server that refuses the first message (eager retries run in place)
    from smtplib import SMTPServerDisconnected

    from django.core.mail.backends.locmem import EmailBackend

    from storefront.celery import app

    monkeypatch.setattr(app.conf, "task_eager_propagates", False)
    send = EmailBackend.send_messages
    refusals = []

    def refuse_once(self, messages):
        if not refusals:
            refusals.append(messages)
            raise SMTPServerDisconnected("mail server went away")
        return send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", refuse_once)

    # when
    response = ask_for_sign_in(BUYER)

    # then: the page answered; the retry sent one mail, whose code works
    assert response.status_code == 302
    assert len(refusals) == 1
    [message] = mail.outbox
    assert SignInRequest.objects.get().mailed_at is not None
    assert client.post("/en/account/sign-in/code/", {"code": code_in(message)}).status_code == 302
