"""Tasks go to queues by the work they carry: delivery, mail, sweeps, and the default."""

import re
from pathlib import Path

import pytest
from celery import Celery

from storefront import settings as shop_settings
from tests.celery_routing import SHOP_QUEUES
from tests.redis_server import own_redis  # noqa: F401 (fixture)

ROOT = Path(__file__).resolve().parents[2]

DELIVERY = "storefront.delivery.tasks.deliver_order_task"
ACKNOWLEDGEMENT = "storefront.inquiries.tasks.send_acknowledgement_task"
MAIL_TASKS = [
    ACKNOWLEDGEMENT,
    "storefront.inquiries.tasks.send_sales_notice_task",
    "storefront.inquiries.tasks.send_reply_task",
    "storefront.library.tasks.send_sign_in_mail_task",
    "storefront.orders.tasks.send_proforma_invoice_task",
    "storefront.delivery.tasks.send_fresh_links_task",
]


def production_app(**conf) -> Celery:
    """A Celery app with the production routing of storefront/settings.py."""
    app = Celery("routing-under-test", set_as_current=False)
    app.conf.update(
        task_routes=shop_settings.CELERY_TASK_ROUTES,
        task_default_queue=shop_settings.CELERY_TASK_DEFAULT_QUEUE,
        **conf,
    )
    return app


def queue_of(app: Celery, task_name: str) -> str:
    return app.amqp.router.route({}, task_name)["queue"].name


def test_stamping_and_mail_are_routed_to_queues_of_their_own():
    app = production_app()
    assert queue_of(app, DELIVERY) == "delivery"
    assert {queue_of(app, name) for name in MAIL_TASKS} == {"mail"}


@pytest.mark.parametrize("entry", sorted(shop_settings.CELERY_BEAT_SCHEDULE))
def test_every_periodic_task_runs_on_the_sweeps_queue(entry):
    task_name = shop_settings.CELERY_BEAT_SCHEDULE[entry]["task"]
    assert queue_of(production_app(), task_name) == "sweeps"


def test_a_task_without_a_route_goes_to_the_default_queue():
    assert queue_of(production_app(), "storefront.some.future_task") == "celery"


def test_a_delivery_and_an_acknowledgement_wait_in_their_own_redis_lists(own_redis):
    # given the shop's routing on a Redis of this test, and no worker
    app = production_app(broker_url=own_redis.url(0))
    try:
        # when a paid order's delivery and an inquiry's acknowledgement are queued
        app.send_task(DELIVERY, args=[1])
        app.send_task(ACKNOWLEDGEMENT, args=[2])
        app.send_task("reports.tasks.publish_due_reports")
    finally:
        app.close()
    # then each waits in its own queue, so a mail worker never waits behind stamping
    server = own_redis.client(0)
    assert {name: server.llen(name) for name in ("delivery", "mail", "sweeps", "celery")} == {
        "delivery": 1, "mail": 1, "sweeps": 1, "celery": 0,
    }


def test_the_test_session_routes_the_shop_queues_under_its_own_queue(real_broker, celery_test_queue):
    # a worker of another session (or a development worker) never takes these tasks
    assert queue_of(real_broker, DELIVERY) == f"{celery_test_queue}.delivery"
    assert queue_of(real_broker, ACKNOWLEDGEMENT) == f"{celery_test_queue}.mail"
    assert queue_of(real_broker, "storefront.some.future_task") == celery_test_queue


def test_the_readme_starts_a_worker_for_every_queue_and_one_beat():
    readme = (ROOT / "README.md").read_text()
    consumed = set()
    for queues in re.findall(r"^celery -A storefront worker -Q (\S+)", readme, re.MULTILINE):
        consumed.update(queues.split(","))
    assert consumed >= {*SHOP_QUEUES, shop_settings.CELERY_TASK_DEFAULT_QUEUE}
    assert len(re.findall(r"^celery -A storefront beat", readme, re.MULTILINE)) == 1
