"""Fault suite, Redis part: the shop keeps serving and loses nothing while Redis is gone.

Each test starts its own redis-server on a free port (its own directory, no
persistence) as cache and broker of the shop, uses the shop, stops that Redis (or
freezes it: a hung server that accepts connections and never answers) and uses the
shop again: pages, search, checkout by card and by invoice, the contact form, the
Stripe webhook. Every request answers correctly and without waiting on Redis; what
could not be queued is left to the sweeps, which deliver and mail everything
exactly once after Redis is back. The shared Redis on 6379 is never touched.

Durations of each request while Redis is down are printed (``-rP`` shows them);
the bound asserted (3 s) is generous: before the fix a contact form waited 19.7 s.
"""

import contextlib
import time
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test import Client
from django.utils import timezone

from reports.models import LicenseType
from storefront.delivery.tasks import sweep_undelivered_orders_task
from storefront.inquiries.models import Inquiry
from storefront.inquiries.tasks import sweep_inquiry_mail_task
from storefront.orders.models import Order, OrderStatus, PaymentMethod
from storefront.orders.tasks import sweep_unsent_proformas_task
from tests.celery_worker import postgresql_or_skip, running_worker
from tests.factories import make_report, minimal_pdf
from tests.inquiries.conftest import form_data
from tests.payments.conftest import BUYER, post_event, stripe  # noqa: F401 (fixture)
from tests.redis_server import own_redis  # noqa: F401 (fixture)

# Generous: a request that waited on Redis took 19.7 s before the fix.
LONGEST_REQUEST_SECONDS = 3.0
PRODUCT_CODE = "1994249"
TITLE = "Continuing Medical Education Market"


@pytest.fixture
def shop_on_own_redis(own_redis, settings):
    """The shop's cache and broker on this test's Redis, as in production."""
    from storefront.celery import app

    settings.REDIS_URL = own_redis.url(0)
    settings.CACHE_REDIS_URL = own_redis.url(1)
    settings.CACHES = {
        "default": {
            "BACKEND": "storefront.cache.FailFastRedisCache",
            "LOCATION": own_redis.url(1),
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
            "OPTIONS": {
                "socket_connect_timeout": settings.REDIS_TIMEOUT_SECONDS,
                "socket_timeout": settings.REDIS_TIMEOUT_SECONDS,
            },
        }
    }
    # Read before Django's setting changes: the app's configuration reads through to
    # django.conf.settings (see tests/celery_worker.real_broker).
    saved = {key: app.conf[key] for key in ("task_always_eager", "broker_url", "task_default_queue")}
    settings.CELERY_TASK_ALWAYS_EAGER = False
    queue = f"outage-{uuid.uuid4().hex[:8]}"
    # Pools are kept per broker URL by kombu for the whole process: the shared
    # broker's pool is only put aside here (closing it would close it for every
    # later test), this Redis's own pool is closed at the end.
    app._pool = app.amqp._producer_pool = None
    app.conf.update(task_always_eager=False, broker_url=own_redis.url(0), task_default_queue=queue)
    yield app
    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = app.amqp._producer_pool = None
    app.conf.update(saved)


@pytest.fixture
def catalogue():
    return make_report(
        product_code=PRODUCT_CODE,
        title_en=TITLE,
        title_zh="继续医学教育(CME)市场",
        master_pdf=minimal_pdf("The whole report"),
        licence_prices={LicenseType.SINGLE_USER: "3939"},
    )


def timed(figures: dict, name: str, request, run_on_commit=contextlib.nullcontext):
    """The response, and in figures the seconds it took, its on-commit hooks included."""
    started = time.monotonic()
    with run_on_commit():
        response = request()
    figures[name] = time.monotonic() - started
    return response


def use_the_shop(*, stripe, report, run_on_commit):
    """Every kind of request a buyer makes; returns what they saw and how long it took."""
    figures = {}
    visitor = Client()
    pages = {
        "home": "/en/",
        "list": "/en/reports/",
        "search": "/en/reports/?q=medical",
        "detail": report.get_absolute_url(),
        "sitemap": "/sitemap.xml",
    }
    seen = {name: timed(figures, name, lambda url=url: visitor.get(url)) for name, url in pages.items()}

    option = report.license_options.get()
    card_buyer = Client()
    card_buyer.post("/en/cart/add/", {"license_option": option.pk})
    seen["card checkout"] = timed(
        figures, "card checkout", lambda: card_buyer.post("/en/checkout/", BUYER), run_on_commit
    )
    card_order = Order.objects.get(payment_method=PaymentMethod.CARD)
    session_id = card_order.checkout_sessions.get().session_id
    stripe.pay(session_id, send_webhook=False)
    event = stripe.build_event("checkout.session.completed", stripe.sessions[session_id])
    seen["webhook"] = timed(
        figures, "webhook", lambda: post_event(Client(), stripe, event), run_on_commit
    )

    invoice_buyer = Client()
    invoice_buyer.post("/en/cart/add/", {"license_option": option.pk})
    seen["invoice checkout"] = timed(
        figures,
        "invoice checkout",
        lambda: invoice_buyer.post(
            "/en/checkout/",
            {**BUYER, "email": "li.wei@example.cn", "payment_method": PaymentMethod.INVOICE},
        ),
        run_on_commit,
    )
    asker = Client()
    seen["contact"] = timed(
        figures, "contact", lambda: asker.post("/en/contact/", form_data()), run_on_commit
    )
    seen["thanks"] = asker.get(seen["contact"]["Location"])
    return seen, figures


def assert_the_buyer_was_served(seen, figures, report, stripe):
    print("seconds per request while Redis was down:", {k: round(v, 3) for k, v in figures.items()})
    for name in ("home", "list", "search", "detail", "sitemap"):
        assert seen[name].status_code == 200, name
    assert TITLE in seen["list"].content.decode()
    assert TITLE in seen["search"].content.decode()
    assert TITLE in seen["detail"].content.decode()
    assert report.get_absolute_url() in seen["sitemap"].content.decode()
    # Card: on to Stripe Checkout; invoice: the order page; contact: the thank-you page.
    session_id = Order.objects.get(payment_method=PaymentMethod.CARD).checkout_sessions.get().session_id
    assert seen["card checkout"].status_code == 302
    assert seen["card checkout"]["Location"] == stripe.checkout_url(session_id)
    assert seen["webhook"].status_code == 200
    assert seen["invoice checkout"].status_code == 302
    assert seen["contact"].status_code == 302
    inquiry = Inquiry.objects.get()
    assert inquiry.reference in seen["thanks"].content.decode()
    slowest = max(figures, key=figures.get)
    assert figures[slowest] < LONGEST_REQUEST_SECONDS, (slowest, figures)


def assert_the_state_was_saved_and_left_to_the_sweeps():
    card_order = Order.objects.get(payment_method=PaymentMethod.CARD)
    invoice_order = Order.objects.get(payment_method=PaymentMethod.INVOICE)
    assert card_order.status == OrderStatus.PAID  # paid, its delivery waits for the sweep
    assert invoice_order.status == OrderStatus.AWAITING_INVOICE
    assert invoice_order.proforma_sent_at is None
    assert Inquiry.objects.mail_pending().count() == 1


def assert_staff_see_it(admin_client):
    orders = admin_client.get("/admin/orders/order/")
    inquiries = admin_client.get("/admin/inquiries/inquiry/")
    assert orders.status_code == inquiries.status_code == 200
    for order in Order.objects.all():
        assert order.number in orders.content.decode()
    assert Inquiry.objects.get().reference in inquiries.content.decode()


def run_the_sweeps():
    return (
        sweep_undelivered_orders_task.delay().get(),
        sweep_unsent_proformas_task.delay().get(),
        sweep_inquiry_mail_task.delay().get(),
    )


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["stopped", "frozen"])
def test_with_redis_down_every_page_and_form_answers_and_the_sweeps_deliver_once_it_is_back(
    how, shop_on_own_redis, own_redis, stripe, catalogue, admin_client,
    django_capture_on_commit_callbacks, settings,
):
    # given a shop whose pages are cached in its Redis
    assert Client().get("/en/reports/").status_code == 200
    # when Redis stops (or hangs) while buyers use every part of the shop
    with own_redis.down(how):
        seen, figures = use_the_shop(
            stripe=stripe, report=catalogue,
            run_on_commit=lambda: django_capture_on_commit_callbacks(execute=True),
        )
        # then each buyer was served, nothing waited on Redis
        assert_the_buyer_was_served(seen, figures, catalogue, stripe)
        # and everything is saved, its mail and delivery left to the sweeps
        assert_the_state_was_saved_and_left_to_the_sweeps()
        assert mail.outbox == []
        assert_staff_see_it(admin_client)

    # when Redis is back and the sweeps run (here in-process), twice
    shop_on_own_redis.conf.task_always_eager = True
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        first = run_the_sweeps()
        second = run_the_sweeps()
    # then the delivery, the pro-forma and both inquiry mails went out exactly once
    assert first == (1, 1, 2) and second == (0, 0, 0)
    recipients = sorted(to for message in mail.outbox for to in message.to)
    assert recipients == sorted(
        [BUYER["email"], "li.wei@example.cn", "ann.lee@example.com", settings.SALES_EMAIL]
    )
    assert Order.objects.get(payment_method=PaymentMethod.CARD).status == OrderStatus.DELIVERED
    assert not Inquiry.objects.mail_pending().exists()


@pytest.mark.django_db(transaction=True)
def test_after_an_outage_a_real_worker_on_the_restarted_redis_delivers_everything_once(
    shop_on_own_redis, own_redis, stripe, catalogue, smtp_sink_server, smtp_sink, settings,
    tmp_path,
):
    postgresql_or_skip()
    # given Redis stopped while buyers use the shop (commits run their hooks for real)
    with own_redis.down("stopped"):
        seen, figures = use_the_shop(
            stripe=stripe, report=catalogue, run_on_commit=contextlib.nullcontext
        )
        assert_the_buyer_was_served(seen, figures, catalogue, stripe)
        assert_the_state_was_saved_and_left_to_the_sweeps()
    # when Redis is back with a real worker, and beat runs the sweeps twice
    with running_worker(
        database_name=connection.settings_dict["NAME"],
        email_url=smtp_sink_server.url,
        redis_url=own_redis.url(0),
        queue=shop_on_own_redis.conf.task_default_queue,
        log_path=tmp_path / "worker.log",
        extra_env={"PRIVATE_MEDIA_ROOT": str(settings.PRIVATE_MEDIA_ROOT)},
    ):
        with time_machine.travel(timezone.now() + timedelta(minutes=10), tick=True):
            queued = (
                sweep_undelivered_orders_task(),
                sweep_unsent_proformas_task(),
                sweep_inquiry_mail_task(),
            )
        received = smtp_sink.wait_for(4, timeout=60)
        _wait_until(lambda: not Inquiry.objects.mail_pending().exists())
        _wait_until(
            lambda: Order.objects.filter(status=OrderStatus.DELIVERED).exists()
            and Order.objects.filter(proforma_sent_at__isnull=False).exists()
        )
        with time_machine.travel(timezone.now() + timedelta(minutes=20), tick=True):
            again = (
                sweep_undelivered_orders_task(),
                sweep_unsent_proformas_task(),
                sweep_inquiry_mail_task(),
            )
        time.sleep(2)  # anything queued again would have been mailed by now
    # then each mail went out exactly once
    assert queued == (1, 1, 2) and again == (0, 0, 0)
    assert len(smtp_sink.messages) == 4
    assert sorted(rcpt for message in received for rcpt in message.rcpt_tos) == sorted(
        [BUYER["email"], "li.wei@example.cn", "ann.lee@example.com", settings.SALES_EMAIL]
    )


def _wait_until(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.1)
