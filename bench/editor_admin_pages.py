"""Server time of the editors' admin pages, in-process through Django's test client.

Measures, as a signed-in superuser, the change page of the demo report 1994249 (its
114-line table of contents) in both tabs, the add page and the report list, against a
floor measured in the same run: the admin's password-change page (a bare admin form
through the same middleware). Medians of ``--requests`` requests after a warm-up.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/storefront_editors_bench \\
        .venv/bin/python bench/editor_admin_pages.py [--requests 15] [--reuse-db] [--no-debug]
        [--profile "report change 1994249 (en)"]

The database is migrated and seeded with ``seed_demo --no-pdfs`` plus
``seed_catalog --reports 200`` unless ``--reuse-db`` is given; its name must contain
"bench". ``--profile PAGE`` then profiles ``--requests`` requests of that page with
cProfile and prints the functions with the largest cumulative and own times.
"""

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


FLOOR = "floor: admin password change"


def check_database_url():
    """Exit unless DATABASE_URL names a database whose name contains "bench"."""
    url = os.environ.get("DATABASE_URL", "")
    if "bench" not in url.rsplit("/", 1)[-1]:
        sys.exit("DATABASE_URL must name a database whose name contains 'bench'")


def setup(*, reuse_db, reports=200, debug=None):
    """Django set up for in-process requests; unless ``reuse_db``, the database migrated and
    seeded with the demo catalogue plus ``reports`` synthetic reports. ``debug`` (True or
    False) overrides settings.DEBUG, as Django's test runner does (False also serves static
    URLs from the plain storage, as the tests do); None keeps the settings' value."""
    check_database_url()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "storefront.settings")
    os.environ.pop("REDIS_URL", None)  # local-memory cache, in-process tasks

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test.utils import override_settings, setup_test_environment

    settings.ALLOWED_HOSTS = ["*"]
    if debug is False:
        # The manifest storage needs collectstatic once DEBUG is off; the plain storage
        # (as in tests/settings.py) builds the same URLs without the manifest's lookup.
        # override_settings (not an assignment) so that the storages already made are reset.
        override_settings(
            STORAGES={
                **settings.STORAGES,
                "staticfiles": {
                    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
                },
            }
        ).enable()
    setup_test_environment(debug=debug)
    if not reuse_db:
        call_command("migrate", verbosity=0)
        call_command("seed_demo", "--no-pdfs", verbosity=0)
        call_command("seed_catalog", "--reports", str(reports), "--seed", "2026", verbosity=0)


def measure(client, path, requests, *, warm_up=3):
    """Server times (ms) of ``requests`` GETs of ``path`` after ``warm_up`` ones, then the
    queries and the response of one more: (timings, queries, response)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _warm in range(warm_up):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
    timings = []
    for _round in range(requests):
        start = time.perf_counter()
        client.get(path)
        timings.append((time.perf_counter() - start) * 1000)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    return timings, len(queries), response


def profile(client, path, requests, *, lines=35):
    """cProfile of ``requests`` GETs of ``path`` (after a warm-up), printed twice: by
    cumulative time and by own time."""
    for _warm in range(3):
        client.get(path)
    profiler = cProfile.Profile()
    profiler.enable()
    for _round in range(requests):
        client.get(path)
    profiler.disable()
    for order in ("cumulative", "tottime"):
        pstats.Stats(profiler).strip_dirs().sort_stats(order).print_stats(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=15)
    parser.add_argument("--reuse-db", action="store_true")
    parser.add_argument("--no-debug", action="store_true",
                        help="DEBUG off, as in production (the settings turn it on without "
                             "DJANGO_SECRET_KEY)")
    parser.add_argument("--profile", metavar="PAGE",
                        help="profile this page (a name of the table) instead of timing")
    args = parser.parse_args()
    setup(reuse_db=args.reuse_db, debug=False if args.no_debug else None)
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    from reports.models import Report

    user, _created = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    report = Report.objects.get(product_code="1994249")
    change = reverse("admin:reports_report_change", args=[report.pk])
    pages = {
        FLOOR: reverse("admin:password_change"),
        "report change 1994249 (en)": change,
        "report change 1994249 (zh-hans)": change + "?language=zh-hans",
        "report add": reverse("admin:reports_report_add"),
        "report list": reverse("admin:reports_report_changelist"),
    }
    if args.profile:
        if args.profile not in pages:
            sys.exit(f"--profile: one of {', '.join(repr(name) for name in pages)}")
        profile(client, pages[args.profile], args.requests)
        return
    print(f"TOC entries of 1994249: {report.toc_entries.count()}")
    print(f"load average before: {os.getloadavg()}")
    results = {}
    for name, path in pages.items():
        timings, count, response = measure(client, path, args.requests)
        results[name] = (statistics.median(timings), count, len(response.content))
    floor = results[FLOOR][0]
    print(f"{'page':36} {'median ms':>10} {'× floor':>8} {'queries':>8} {'KB':>7}")
    for name, (median, count, size) in results.items():
        print(f"{name:36} {median:10.1f} {median / floor:8.2f} {count:8d} {size / 1024:7.0f}")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
