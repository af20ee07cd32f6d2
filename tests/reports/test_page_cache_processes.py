"""The embedded default (no Redis): a catalogue edit made by another process of the
machine (import_reports, seed_catalog, the admin of another worker) shows on the
next request of this one, with the catalogue cache on.

The suite runs with REDIS_URL set, so each test asks a process started without it
which CACHES the embedded default uses, serves pages with that configuration, and
edits the catalogue from a second process on the same database.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import caches as caches_in_use
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from reports.models import Report
from tests.factories import make_report

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db(transaction=True)  # the other process sees our rows


def embedded_environment(version_dir: Path) -> dict:
    """The environment of another process of this machine: no Redis, this test database."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("REDIS_URL", "CACHE_REDIS_URL", "CATALOGUE_CACHE_SECONDS")
    }
    database = connection.settings_dict
    user = database["USER"] or "postgres"
    host = database["HOST"] or "127.0.0.1"
    port = database["PORT"] or "5432"
    password = f":{database['PASSWORD']}" if database["PASSWORD"] else ""
    env["DATABASE_URL"] = f"postgres://{user}{password}@{host}:{port}/{database['NAME']}"
    env["CATALOGUE_VERSION_DIR"] = str(version_dir)
    return env


def manage(env: dict, *args: str) -> str:
    finished = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
    return finished.stdout


@pytest.fixture
def other_process(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the second process reaches this test's database by its PostgreSQL URL")
    return embedded_environment(tmp_path / "catalogue-version")


@pytest.fixture
def embedded_caches(other_process, settings):
    """This process serves with the CACHES a process without REDIS_URL has."""
    printed = manage(
        other_process,
        "shell",
        "-c",
        "import json; from django.conf import settings; "
        "print(json.dumps(settings.CACHES, default=str))",
    )
    caches = json.loads(printed.strip().splitlines()[-1])  # after the shell's banner
    assert "Redis" not in json.dumps(caches)
    settings.CACHES = caches
    settings.CATALOGUE_CACHE_SECONDS = 300
    caches_in_use["default"].clear()  # local memory outlives a test
    return caches


def test_a_feed_imported_by_another_process_shows_on_the_next_request(
    other_process, embedded_caches, tmp_path
):
    # given: a report whose list and detail pages this process has cached
    report = make_report(product_code="7700001", title_en="Tidal Energy Market")
    buyer = Client()
    detail = f"/en/reports/{report.product_code}/{report.slug}/"
    assert "Tidal Energy Market" in buyer.get(detail).content.decode()
    assert "Tidal Energy Market" in buyer.get("/en/reports/").content.decode()
    with CaptureQueriesContext(connection) as queries:  # both served from the cache now
        buyer.get(detail)
        buyer.get("/en/reports/")
    assert len(queries) == 0

    # when: import_reports, in another process, retitles it
    feed = tmp_path / "feed.json"
    feed.write_text(
        json.dumps(
            {
                "reports": [
                    {
                        "product_code": "7700001",
                        "translations": {"en": {"title": "Tidal Stream Energy Market"}},
                    }
                ]
            }
        )
    )
    manage(other_process, "import_reports", str(feed))
    stored = Report.objects.get(pk=report.pk)
    assert stored.safe_translation_getter("title", language_code="en") == "Tidal Stream Energy Market"

    # then: this process shows the new title on its next request of either page
    assert "Tidal Stream Energy Market" in buyer.get(detail).content.decode()
    assert "Tidal Stream Energy Market" in buyer.get("/en/reports/").content.decode()


def test_reports_seeded_by_another_process_are_listed_on_the_next_request(
    other_process, embedded_caches
):
    # given: a cached list of one report
    make_report(product_code="7700002", title_en="Geothermal Heat Market")
    buyer = Client()
    assert "Geothermal Heat Market" in buyer.get("/en/reports/").content.decode()
    listed_before = Report.objects.published().count()

    # when: seed_catalog, in another process, adds reports
    manage(other_process, "seed_catalog", "--reports", "3")

    # then: the next request lists them (the page shows the new count)
    assert Report.objects.published().count() == listed_before + 3
    page = buyer.get("/en/reports/").content.decode()
    seeded = Report.objects.published().exclude(product_code="7700002").first()
    assert escape(seeded.safe_translation_getter("title", language_code="en")) in page


def test_the_embedded_default_keeps_the_catalogue_version_in_a_shared_file(embedded_caches):
    # given / when: the configuration a process without Redis runs with
    version_cache = embedded_caches["catalogue_version"]

    # then: pages stay in the process's memory, the version in a file that never expires
    assert embedded_caches["default"]["BACKEND"].endswith("LocMemCache")
    assert version_cache["BACKEND"].endswith("FileBasedCache")
    assert version_cache["TIMEOUT"] is None
    assert Path(version_cache["LOCATION"]).is_absolute()
