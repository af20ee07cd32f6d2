"""The shop on several hosts: two web processes and a worker that share nothing but
PostgreSQL, Redis and the bucket (README, "Several hosts").

Each process runs in an empty folder of its own, with a `PRIVATE_MEDIA_ROOT` of its
own, so a file one of them wrote locally could not be found by another: a buyer
pays through web A (the Stripe-compatible server posts the webhook to A), the worker
stamps from the bucket into the bucket, and the buyer downloads through web B;
a catalogue edit made beside web B shows at once on web A.
"""

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connection

from storefront.orders.models import Order, OrderStatus
from tests.celery_worker import postgresql_or_skip, redis_url_or_skip, running_worker
from tests.delivery.test_delivery import pdf_text
from tests.delivery.test_delivery_worker import paid_at_stripe, wait_for_status
from tests.factories import make_report

ROOT = Path(__file__).resolve().parent.parent
START_SECONDS = 60

pytestmark = pytest.mark.django_db(transaction=True)  # the other processes see our rows


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class WebHost:
    """gunicorn serving the shop from an empty folder of its own."""

    def __init__(self, name: str, folder: Path, environment: dict[str, str]):
        self.name, self.folder, self.port = name, folder, _free_port()
        self.log_path = folder / "gunicorn.log"
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "storefront.wsgi",
                 "-b", f"127.0.0.1:{self.port}", "-w", "1", "--threads", "4",
                 "--timeout", "60"],
                cwd=folder, env=environment, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT,
            )
        self._wait_until_ready()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        while True:
            assert self.process.poll() is None, f"web {self.name} exited:\n{self.log()}"
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=5) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                pass
            assert time.monotonic() < deadline, f"web {self.name} never answered:\n{self.log()}"
            time.sleep(0.2)

    def get(self, path: str) -> http.client.HTTPResponse:
        """One GET, redirects not followed."""
        client = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        client.request("GET", path)
        answer = client.getresponse()
        answer.body = answer.read()
        client.close()
        return answer

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def hosts(s3_server, s3_bucket, smtp_sink, stripe_server, tmp_path, settings):
    """Web A, web B and a worker: one database, one Redis (broker and cache), one bucket."""
    redis_url = redis_url_or_skip()
    postgresql_or_skip()
    queue = f"storefront-hosts-{uuid.uuid4().hex[:10]}"
    shared = {
        "DJANGO_SETTINGS_MODULE": "tests.worker_settings",
        "TEST_DATABASE_NAME": connection.settings_dict["NAME"],
        "EMAIL_URL": smtp_sink.url,
        "REDIS_URL": redis_url,
        "CACHE_REDIS_URL": redis_url,
        "CACHE_KEY_PREFIX": queue,
        "CELERY_TEST_QUEUE": queue,
        "STRIPE_SECRET_KEY": stripe_server.api_key,
        "STRIPE_WEBHOOK_SECRET": stripe_server.webhook_secret,
        "STRIPE_API_BASE": stripe_server.url,
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
        **s3_server.storage_environment(s3_bucket),
    }

    def environment(name: str) -> tuple[Path, dict[str, str]]:
        folder = tmp_path / name
        (folder / "private").mkdir(parents=True)
        return folder, {
            **{key: value for key, value in os.environ.items() if key != "EMAIL_BACKEND"},
            **shared,
            "PRIVATE_MEDIA_ROOT": str(folder / "private"),
            "CATALOGUE_VERSION_DIR": str(folder / "var"),
        }

    started: dict = {}
    worker_folder, worker_environment = environment("worker")
    with running_worker(
        database_name=shared["TEST_DATABASE_NAME"], email_url=smtp_sink.url,
        redis_url=redis_url, queue=queue, log_path=worker_folder / "worker.log",
        extra_env={k: v for k, v in worker_environment.items() if k in shared
                   or k in ("PRIVATE_MEDIA_ROOT", "CATALOGUE_VERSION_DIR")},
        cwd=worker_folder,
    ) as worker:
        try:
            for name in ("web-a", "web-b"):
                folder, env = environment(name)
                started[name] = WebHost(name, folder, env)
            started.update(worker=worker, environment=environment, folders=tmp_path)
            yield started
        finally:
            for host in started.values():
                if isinstance(host, WebHost):
                    host.stop()
    for name in ("worker", "web-a", "web-b"):
        leftovers = [p for p in (tmp_path / name / "private").rglob("*") if p.is_file()]
        assert leftovers == [], f"{name} wrote private files to its own disk: {leftovers}"


def test_pay_through_web_a_stamp_on_the_worker_download_through_web_b(
    hosts, stripe_server, smtp_sink, s3_server, s3_bucket, settings
):
    web_a, web_b = hosts["web-a"], hosts["web-b"]
    settings.STRIPE_SECRET_KEY = stripe_server.api_key
    settings.STRIPE_API_BASE = stripe_server.url
    # given: a card order at the checkout (its master uploaded to the bucket)
    order, event = paid_at_stripe(stripe_server, full_name="李伟")

    # when: Stripe tells web A
    status, body = stripe_server.post_event(event, url=f"{web_a.url}/stripe/webhook/")
    assert status == 200, body + web_a.log()

    # then: the worker stamps and mails; the link works through web B
    [received] = smtp_sink.wait_for(1, timeout=60)
    wait_for_status(order, OrderStatus.DELIVERED, timeout=30)
    [path] = re.findall(r"https?://[^/\s]+(/downloads/[\w-]+/)", received.text_body())
    answer = web_b.get(path)
    assert answer.status == 302, web_b.log()
    location = answer.getheader("Location")
    assert location.startswith(f"{s3_server.endpoint_url}/{s3_bucket}/stamped/{order.number}/")
    with urllib.request.urlopen(location, timeout=30) as bucket_answer:
        body = bucket_answer.read()
    assert body.startswith(b"%PDF-")
    assert "李伟" in "".join(pdf_text(body)[-1].split())
    assert Order.objects.get(pk=order.pk).status == OrderStatus.DELIVERED


def test_a_catalogue_edit_beside_web_b_shows_at_once_on_web_a(hosts, tmp_path):
    web_a = hosts["web-a"]
    # given: a report page web A has served (and cached in Redis)
    report = make_report(product_code="7700101", title_en="Tidal Energy Market")
    detail = f"/en/reports/{report.product_code}/{report.slug}/"
    assert "Tidal Energy Market" in web_a.get(detail).body.decode()
    assert "Tidal Energy Market" in web_a.get(detail).body.decode()

    # when: a feed import on host B retitles it
    folder, environment = hosts["environment"]("import-b")
    feed = folder / "feed.json"
    feed.write_text(json.dumps({"reports": [
        {"product_code": "7700101", "translations": {"en": {"title": "Tidal Stream Energy Market"}}},
    ]}))
    finished = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "import_reports", str(feed)],
        cwd=folder, env=environment, capture_output=True, text=True, timeout=120,
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr

    # then: web A's next request shows the new title
    page = web_a.get(detail).body.decode()
    assert "Tidal Stream Energy Market" in page
    assert urlsplit(web_a.url).hostname == "127.0.0.1"
