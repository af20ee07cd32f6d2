"""The library once signed in: what it shows, fresh links, its query count, both languages."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from storefront.delivery import services as delivery_services
from storefront.delivery.models import DownloadGrant
from tests.library.buyers import bought, code_in

pytestmark = pytest.mark.django_db

BUYER = "ann.lee@acme.example"


@pytest.fixture
def signed_in(client, ask_for_sign_in):
    """A client signed in to BUYER's library (the sign-in mail is gone from the outbox)."""
    ask_for_sign_in(BUYER)
    response = client.post("/en/account/sign-in/code/", {"code": code_in(mail.outbox[-1])})
    assert response.status_code == 302
    mail.outbox.clear()
    return client


def download(client, grant):
    return client.get(f"/downloads/{grant.token}/")


# --- Fresh links ----------------------------------------------------------------------------


def test_fresh_links_from_the_library_are_mailed_and_the_old_link_works_until_then(
    signed_in, django_capture_on_commit_callbacks
):
    # given: a delivered order whose link the owner has used up
    order = bought(email=BUYER)
    mail.outbox.clear()
    old = DownloadGrant.objects.get(copy__line__order=order)
    DownloadGrant.objects.filter(pk=old.pk).update(downloads_left=1)
    assert download(signed_in, old).status_code == 200
    page = signed_in.get("/en/account/").content.decode()
    assert "No download left on the current link" in page
    assert "E-mail me fresh links" in page

    # when: the buyer asks from the library; the task has not run yet
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = signed_in.post(f"/en/account/orders/{order.number}/fresh-links/", follow=True)

    # then: the page says what happens; nothing is mailed or revoked before the task runs
    assert response.status_code == 200
    assert "are on their way to the order&#x27;s e-mail address" in response.content.decode()
    assert "Fresh links are on their way by e-mail." in response.content.decode()
    assert mail.outbox == []
    old.refresh_from_db()
    assert old.revoked_at is None

    # when: the worker runs
    for callback in queued:
        callback()

    # then: one mail to the order's address with a new link; the old one ends only now
    [message] = mail.outbox
    assert message.to == [order.email]
    fresh = DownloadGrant.objects.get(copy__line__order=order, revoked_at__isnull=True)
    assert f"/downloads/{fresh.token}/" in message.body
    assert download(signed_in, fresh).status_code == 200
    assert download(signed_in, old).status_code == 410
    assert f"/downloads/{fresh.token}/" in signed_in.get("/en/account/").content.decode()


def test_no_fresh_links_after_access_ended(signed_in, django_capture_on_commit_callbacks):
    order = bought(email=BUYER)
    delivery_services.end_access(order_id=order.pk, reason="dispute")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(f"/en/account/orders/{order.number}/fresh-links/", follow=True)

    page = response.content.decode()
    assert f"Access to the files of order {order.number} has ended." in page
    assert "Access has ended" in page
    assert "E-mail me fresh links" not in page
    assert mail.outbox == []
    live = DownloadGrant.objects.filter(copy__line__order=order, revoked_at__isnull=True)
    assert not live.exists()


def test_fresh_links_need_a_signed_in_address(client, django_capture_on_commit_callbacks):
    order = bought(email=BUYER)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/en/account/orders/{order.number}/fresh-links/")

    assert response.status_code == 302
    assert response["Location"] == "/en/account/"
    assert mail.outbox == []


def test_an_order_still_being_prepared_shows_no_link_and_no_fresh_link_button(signed_in):
    order = bought(email=BUYER, deliver=False)

    page = signed_in.get("/en/account/").content.decode()

    assert order.number in page
    assert "Being prepared" in page
    assert "E-mail me fresh links" not in page


# --- Query count ------------------------------------------------------------------------------


def library_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/en/account/")
    assert response.status_code == 200
    return len(queries)


def test_the_library_page_costs_the_same_queries_for_one_order_or_many(signed_in):
    bought(email=BUYER)
    one_order = library_queries(signed_in)

    for _ in range(3):
        bought(email=BUYER.upper(), lines=2)
    delivery_services.request_fresh_links(
        order_id=bought(email=BUYER).pk, reason="test: a pending request on the page"
    )
    five_orders = library_queries(signed_in)

    assert one_order == five_orders == 4  # session, orders, lines with copies, usable links
    assert signed_in.get("/en/account/").content.decode().count('class="panel library-order"') == 5


# --- Languages and links to the library ---------------------------------------------------------


def test_the_library_in_chinese(client, ask_for_sign_in):
    order = bought(email=BUYER, language="zh-hans")
    ask_for_sign_in(BUYER, language="zh-hans")
    client.post("/zh-hans/account/sign-in/code/", {"code": code_in(mail.outbox[-1])})

    page = client.get("/zh-hans/account/").content.decode()

    assert '<html lang="zh-hans">' in page
    assert "我的报告库" in page
    assert order.number in page
    assert "下载 PDF" in page or "下载PDF" in page


def test_the_header_the_order_page_and_the_delivery_mail_link_the_library(client):
    order = bought(email=BUYER, language="zh-hans")

    home = client.get("/en/").content.decode()
    order_page = client.get(order.get_absolute_url()).content.decode()
    [delivery_mail] = [m for m in mail.outbox if "/downloads/" in m.body]

    assert 'href="/en/account/"' in home
    assert 'href="/zh-hans/account/"' in order_page
    assert "/zh-hans/account/ " in delivery_mail.body.replace("\n", " ")


def test_library_pages_are_private(client):
    response = client.get("/en/account/")

    assert "no-store" in response["Cache-Control"]
    assert '<meta name="robots" content="noindex">' in response.content.decode()
    assert "Disallow: /*/account/" in client.get("/robots.txt").content.decode()
