"""Masters, samples and stamped copies in an S3 bucket (SeaweedFS from tests/s3_server.py).

The same paths as test_delivery.py and test_delivery_worker.py, with the private
storage a real bucket reached through django-storages and boto3: nothing may need a
local path, downloads are redirects to presigned URLs, the bucket refuses anyone
without a signature.
"""

import io
import re
import time
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pikepdf
import pytest
from django.core.management import call_command
from django.test import Client

from reports.models import Report
from storefront.delivery import services
from storefront.delivery.models import DownloadGrant, StampedCopy
from storefront.orders.models import Order, OrderStatus
from tests.celery_worker import postgresql_or_skip, redis_url_or_skip, running_worker
from tests.delivery.test_delivery import master_pdf, paid_order, pdf_text
from tests.delivery.test_delivery_worker import paid_at_stripe, post_webhook, wait_for_status
from tests.factories import make_report, minimal_pdf


def bucket_keys(s3_server, bucket) -> set[str]:
    listing = s3_server.client().list_objects_v2(Bucket=bucket)
    return {entry["Key"] for entry in listing.get("Contents", [])}


def fetch(url: str):
    with urllib.request.urlopen(url, timeout=20) as answer:
        return answer.status, dict(answer.headers), answer.read()


@pytest.fixture
def shop_stripe(stripe_server, settings):
    settings.STRIPE_SECRET_KEY = stripe_server.api_key
    settings.STRIPE_WEBHOOK_SECRET = stripe_server.webhook_secret
    settings.STRIPE_API_BASE = stripe_server.url
    settings.SITE_URL = "http://testserver"
    return stripe_server


# --- Files in the bucket (eager tasks) ----------------------------------------------


@pytest.mark.django_db
def test_master_sample_and_stamped_copy_live_in_the_bucket(s3_server, s3_bucket, settings):
    # given: a report whose files were saved through the shop's storage
    report = make_report(master_pdf=master_pdf(3), sample_pdf=minimal_pdf("Sample"))
    order = paid_order(full_name="Ann Lee", pages=3)

    # when
    services.deliver_order(order_id=order.pk)

    # then: every file is an object in the bucket, none on the local disk
    copy = StampedCopy.objects.get(line__order=order)
    keys = bucket_keys(s3_server, s3_bucket)
    assert report.master_pdf.name in keys
    assert report.sample_pdf.name in keys
    assert copy.file.name in keys
    assert copy.file.name.startswith(f"stamped/{order.number}/")
    assert not (Path(settings.PRIVATE_MEDIA_ROOT) / "stamped" / order.number).exists()
    stored = s3_server.client().get_object(Bucket=s3_bucket, Key=copy.file.name)["Body"].read()
    assert len(stored) == copy.size
    with pikepdf.Pdf.open(io.BytesIO(stored)) as pdf:
        assert len(pdf.pages) == copy.pages == 4  # the cover and three pages
    assert "Ann Lee" in " ".join(pdf_text(stored)[-1].split())


@pytest.mark.django_db
def test_the_bucket_refuses_an_unsigned_get(s3_server, s3_bucket):
    report = make_report(master_pdf=minimal_pdf("Master"))

    assert s3_server.unsigned_get(s3_bucket, report.master_pdf.name) == 403


@pytest.mark.django_db
def test_download_counts_the_grant_then_redirects_to_a_presigned_url(s3_server, s3_bucket):
    # given
    order = paid_order(full_name="李伟", language="zh-hans")
    services.deliver_order(order_id=order.pk)
    grant = DownloadGrant.objects.get(copy__line__order=order)
    left = grant.downloads_left

    # when
    response = Client().get(f"/downloads/{grant.token}/")

    # then: counted, then sent to the bucket with a signed, short-lived URL
    assert response.status_code == 302
    assert {"private", "no-store"} <= {part.strip() for part in response["Cache-Control"].split(",")}
    grant.refresh_from_db()
    assert grant.downloads_left == left - 1
    location = response["Location"]
    assert location.startswith(s3_server.endpoint_url + f"/{s3_bucket}/stamped/")
    query = unquote(urlsplit(location).query)
    assert "X-Amz-Signature=" in query and "X-Amz-Expires=300" in query
    status, headers, body = fetch(location)
    assert status == 200
    line = order.lines.get()
    disposition = headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="')
    assert unquote(disposition.split("filename*=UTF-8''", 1)[1]) == (
        f"{line.product_code} {line.title}.pdf"
    )
    assert headers["Content-Type"] == "application/pdf"
    assert body.startswith(b"%PDF-")
    assert "李伟" in "".join(pdf_text(body)[-1].split())
    # Without the signature the same object is refused.
    assert s3_server.unsigned_get(s3_bucket, grant.copy.file.name) == 403


@pytest.mark.django_db
def test_an_exhausted_grant_gets_no_url(s3_server, s3_bucket):
    order = paid_order()
    services.deliver_order(order_id=order.pk)
    grant = DownloadGrant.objects.get(copy__line__order=order)
    DownloadGrant.objects.filter(pk=grant.pk).update(downloads_left=0)

    response = Client().get(f"/downloads/{grant.token}/")

    assert response.status_code == 403
    assert "Location" not in response


# --- Health ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_healthz_reports_the_bucket(s3_bucket):
    body = Client().get("/healthz").json()

    assert body["checks"]["storage"] == "ok"
    assert body["latency_ms"]["storage"] >= 0


@pytest.mark.django_db
def test_healthz_reports_a_bucket_that_does_not_answer(s3_server, settings):
    # given: the shop's bucket settings, at a port where nothing listens
    options = s3_server.storage_options("shop-missing")
    options["OPTIONS"]["endpoint_url"] = "http://127.0.0.1:1"
    settings.STORAGES = {**settings.STORAGES, "private": options}

    # when
    started = time.monotonic()
    response = Client().get("/healthz")

    # then: degraded, not down, and answered quickly
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["checks"]["storage"] == "error"
    assert time.monotonic() - started < 10


@pytest.mark.django_db
def test_healthz_reports_wrong_credentials(s3_server, s3_bucket, settings):
    options = s3_server.storage_options(s3_bucket)
    options["OPTIONS"]["secret_key"] = "not-the-secret"
    settings.STORAGES = {**settings.STORAGES, "private": options}

    assert Client().get("/healthz").json()["checks"]["storage"] == "error"


# --- Writers: the feed import and seed_demo ---------------------------------------------


@pytest.mark.django_db
def test_feed_import_checks_and_stores_the_master_in_the_bucket(s3_server, s3_bucket, tmp_path):
    from tests.factories import make_category
    from tests.reports.test_import import csv_row, import_reports, write_csv

    make_category(slug="medical-devices", name_en="Medical Devices", name_zh="医疗器械")
    (tmp_path / "pdfs").mkdir()
    (tmp_path / "pdfs" / "master.pdf").write_bytes(minimal_pdf("Master"))
    feed = write_csv(tmp_path / "feed.csv", [csv_row("S3-1", master_pdf="pdfs/master.pdf")])

    run = import_reports(feed)

    assert run.status == 0, run
    report = Report.objects.get(product_code="S3-1")
    assert report.pages == 1
    assert report.master_pdf.name in bucket_keys(s3_server, s3_bucket)
    assert "1 unchanged" in import_reports(feed).stdout


@pytest.mark.django_db
def test_admin_upload_check_reads_a_master_from_the_bucket(s3_bucket):
    from reports.pdf_files import validate_report_pdf

    report = make_report(master_pdf=master_pdf(5))
    with report.master_pdf.open("rb") as stored:
        assert validate_report_pdf(stored) == 5


@pytest.mark.django_db
def test_seed_demo_writes_its_pdfs_to_the_bucket(s3_server, s3_bucket):
    call_command("seed_demo", "--workers", "1", stdout=io.StringIO())

    keys = bucket_keys(s3_server, s3_bucket)
    cme = Report.objects.get(product_code="1994249")
    assert cme.master_pdf.name in keys and cme.sample_pdf.name in keys
    assert all(
        name in keys
        for name in Report.objects.exclude(master_pdf="").values_list("master_pdf", flat=True)
    )
    # Run again: every file is found in the bucket and kept.
    out = io.StringIO()
    call_command("seed_demo", "--workers", "1", stdout=out)
    assert bucket_keys(s3_server, s3_bucket) == keys


# --- A real worker on the bucket -----------------------------------------------------


@pytest.fixture
def bucket_worker(s3_server, s3_bucket, real_broker, smtp_sink, tmp_path, django_db_blocker):
    """A worker of this test's own queue whose private storage is the test's bucket and
    whose local folder is empty: it can only find the master in the bucket."""
    from django.db import connection

    redis_url = redis_url_or_skip()
    postgresql_or_skip()
    queue = f"storefront-bucket-{uuid.uuid4().hex[:10]}"
    saved = real_broker.conf.task_default_queue
    empty = tmp_path / "worker-private"
    empty.mkdir()
    with running_worker(
        database_name=connection.settings_dict["NAME"],
        email_url=smtp_sink.url,
        redis_url=redis_url,
        queue=queue,
        log_path=tmp_path / "worker.log",
        extra_env={**s3_server.storage_environment(s3_bucket), "PRIVATE_MEDIA_ROOT": str(empty)},
    ) as worker:
        real_broker.conf.task_default_queue = queue
        try:
            yield worker
        finally:
            real_broker.conf.task_default_queue = saved
    assert not any(empty.iterdir()), "the worker wrote to its local folder"


@pytest.mark.django_db(transaction=True)
def test_paid_webhook_to_a_worker_on_the_bucket_mails_a_working_link(
    s3_server, s3_bucket, bucket_worker, smtp_sink, shop_stripe
):
    # given
    order, event = paid_at_stripe(shop_stripe)

    # when
    assert post_webhook(shop_stripe, event).status_code == 200

    # then: the worker stamped from the bucket into the bucket, and the mailed link works
    [received] = smtp_sink.wait_for(1, timeout=30)
    wait_for_status(order, OrderStatus.DELIVERED)
    copy = StampedCopy.objects.get(line__order=order)
    assert copy.file.name in bucket_keys(s3_server, s3_bucket)
    [path] = re.findall(r"http://testserver(/downloads/[\w-]+/)", received.text_body())
    response = Client().get(path)
    assert response.status_code == 302
    status, _headers, body = fetch(response["Location"])
    assert status == 200
    assert "李伟" in "".join(pdf_text(body)[-1].split())
    assert Order.objects.get(pk=order.pk).status == OrderStatus.DELIVERED


@pytest.mark.django_db
def test_a_sample_link_redirects_to_the_bucket(s3_server, s3_bucket):
    from django.core import signing
    from django.urls import reverse

    from storefront.inquiries.services import SAMPLE_LINK_SALT

    # given: a signed sample link (as staff replies carry them)
    report = make_report(sample_pdf=minimal_pdf("Sample"))
    token = signing.TimestampSigner(salt=SAMPLE_LINK_SALT).sign_object(
        {"report": report.pk, "inquiry": 0}
    )

    # when
    response = Client().get(reverse("inquiries:sample", kwargs={"token": token}))

    # then
    assert response.status_code == 302
    status, headers, body = fetch(response["Location"])
    assert status == 200 and body == minimal_pdf("Sample")
    assert f"{report.product_code}-sample.pdf" in headers["Content-Disposition"]

