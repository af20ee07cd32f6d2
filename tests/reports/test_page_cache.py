"""Catalogue content is rendered once per catalogue version and shared safely."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reports import page_cache, services
from reports.models import Report, ReportStatus
from tests.factories import make_report

pytestmark = pytest.mark.django_db


def detail_url(report, language="en"):
    return f"/{language}/reports/{report.product_code}/{report.slug}/"


def queries_for(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


@pytest.mark.parametrize("url", ["/en/", "/en/reports/", "/zh-hans/reports/?q=市场", "detail"])
def test_a_warm_page_needs_no_query(client, url):
    report = make_report(product_code="1994249")
    url = detail_url(report) if url == "detail" else url
    cold, _ = queries_for(client, url)
    warm, _ = queries_for(client, url)
    assert cold > 0
    assert warm == 0


def test_languages_are_cached_apart(client):
    report = make_report(title_en="Solar Inverter Market", title_zh="太阳能逆变器市场")
    client.get(detail_url(report))
    page = client.get(detail_url(report, "zh-hans")).content.decode()
    assert "太阳能逆变器市场" in page
    assert 'lang="zh-hans"' in page


def test_each_buyer_gets_their_own_csrf_token_from_shared_content():
    report = make_report()
    first, second = Client(), Client()
    first_page = first.get(detail_url(report)).content.decode()
    second_page = second.get(detail_url(report)).content.decode()

    assert page_cache.CSRF_PLACEHOLDER not in first_page + second_page
    first_token = first_page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    second_token = second_page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    assert first_token != second_token
    # The token in the cached page works for the buyer it was served to.
    strict = Client(enforce_csrf_checks=True)
    page = strict.get(detail_url(report)).content.decode()
    token = page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    option = report.license_options.first()
    response = strict.post(
        "/en/cart/add/", {"license_option": option.pk, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302


def test_an_edit_shows_at_once(client):
    report = make_report(title_en="Old Title Market")
    assert "Old Title Market" in client.get(detail_url(report)).content.decode()

    report.set_current_language("en")
    report.title = "New Title Market"
    report.save()
    services.refresh_listing(report_id=report.pk)  # what the admin does after a save

    assert "New Title Market" in client.get(detail_url(report)).content.decode()
    assert "New Title Market" in client.get("/en/reports/").content.decode()


def test_unpublishing_removes_the_page_at_once(client):
    report = make_report()
    assert client.get(detail_url(report)).status_code == 200
    Report.objects.filter(pk=report.pk).update(status=ReportStatus.ARCHIVED)
    services.catalogue_changed()
    assert client.get(detail_url(report)).status_code == 404


def test_a_scheduled_report_appears_on_time_without_an_edit(client):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        make_report(product_code="NOW-1", title_en="Visible Now Market")
        make_report(
            product_code="SOON-1",
            title_en="Scheduled Soon Market",
            status=ReportStatus.SCHEDULED,
            publish_at=timezone.now() + timedelta(seconds=90),
        )
        page = client.get("/en/reports/").content.decode()
        assert "Visible Now Market" in page and "Scheduled Soon Market" not in page

        traveller.shift(timedelta(seconds=120))
        page = client.get("/en/reports/").content.decode()
        assert "Scheduled Soon Market" in page


def test_junk_parameters_share_the_cached_entry(client):
    make_report()
    client.get("/en/reports/")
    warm, _ = queries_for(client, "/en/reports/?utm_source=mail&ref=abc")
    assert warm == 0


def test_cache_can_be_switched_off(client, settings):
    settings.CATALOGUE_CACHE_SECONDS = 0
    settings.CATALOGUE_MEMO_ENTRIES = 0
    make_report()
    first, _ = queries_for(client, "/en/reports/")
    second, _ = queries_for(client, "/en/reports/")
    assert first == second > 0


def test_without_the_page_cache_pages_still_reuse_their_parts_until_an_edit(client, settings):
    # given pages rebuilt on every request, their parts kept per catalogue version
    settings.CATALOGUE_CACHE_SECONDS = 0
    make_report()
    # when the list is asked twice, then again after an edit
    first, _ = queries_for(client, "/en/reports/")
    second, _ = queries_for(client, "/en/reports/")
    make_report()  # an edit: a new catalogue version
    after_edit, _ = queries_for(client, "/en/reports/")
    # then the sidebar and the count are read once per version, the cards every time
    assert 0 < second < first
    assert after_edit == first


def test_a_visitor_with_a_cart_gets_a_personal_shell_around_cached_content(client):
    report = make_report(product_code="CART-1")
    client.get(detail_url(report))  # warms the shared entries
    client.post("/en/cart/add/", {"license_option": report.license_options.first().pk})
    page = client.get(detail_url(report)).content.decode()
    assert '<span class="cart-count">1</span>' in page
    anonymous = Client().get(detail_url(report)).content.decode()
    assert "cart-count" not in anonymous


def test_pages_without_a_form_set_no_csrf_cookie(client):
    report = make_report()
    for _ in range(2):  # cold, then from the cache
        assert "csrftoken" not in client.get("/en/reports/").cookies
        assert "csrftoken" in Client().get(detail_url(report)).cookies


def test_a_lost_catalogue_version_starts_again_above_every_number_used_before(settings):
    # A page kept in a process's memory under an old number must never match again.
    from django.core.cache import cache, caches

    # given: a catalogue edited a few times
    store = caches["catalogue_version"] if "catalogue_version" in settings.CACHES else cache
    make_report()
    for _ in range(3):
        services.catalogue_changed()
    before = store.get(page_cache.VERSION_KEY)

    # when: the version is lost (a flushed cache, a deleted version file), then an edit
    store.delete(page_cache.VERSION_KEY)
    services.catalogue_changed()

    # then
    assert store.get(page_cache.VERSION_KEY) > before
