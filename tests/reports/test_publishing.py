"""A report goes draft → scheduled → published → archived, by the rules of
reports.services, and buyers' cached pages follow every step at once."""

import re
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.admin import site
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from reports import services, tasks
from reports.models import DeliveryMode, Report, ReportStatus
from tests.factories import make_report, minimal_pdf
from tests.reports.test_admin import ADD, change_url, post_data

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:reports_report_changelist")
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
D, S, P, A = (
    ReportStatus.DRAFT,
    ReportStatus.SCHEDULED,
    ReportStatus.PUBLISHED,
    ReportStatus.ARCHIVED,
)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def buyer():
    """An anonymous visitor: gets the whole-page cache."""
    return Client()


def detail_url(report, language="en"):
    return f"/{language}/reports/{report.product_code}/{report.slug}/"


def status_of(report):
    return Report.objects.values_list("status", flat=True).get(pk=report.pk)


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def form_with(client, report, **changes):
    """The change form's POST data as rendered, with some fields changed."""
    data = post_data(client.get(change_url(report)))
    data.update(changes)
    return data


def split(moment):
    """The admin's two inputs for a date and time."""
    moment = timezone.localtime(moment)
    return {
        "publish_at_0": moment.strftime("%Y-%m-%d"),
        "publish_at_1": moment.strftime("%H:%M:%S"),
    }


def run_action(client, action, *reports):
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [str(report.pk) for report in reports]},
        follow=True,
    )


# --- The transition map -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "new", "allowed"),
    [
        (D, S, True), (D, P, True), (D, A, False),
        (S, D, True), (S, P, True), (S, A, False),
        (P, A, True), (P, D, False), (P, S, False),
        (A, D, True), (A, P, True), (A, S, False),
        (P, P, True), (None, D, True), (None, P, True), (None, A, False),
    ],
)  # fmt: skip
def test_status_transitions(current, new, allowed):
    if allowed:
        services.check_transition(current, new)
    else:
        with pytest.raises(services.PublicationError):
            services.check_transition(current, new)


# --- Services ------------------------------------------------------------------------------


def test_publish_now_sets_the_time_and_is_idempotent(clock):
    draft = make_report(status=D)

    report = services.publish_now(report_id=draft.pk)
    clock.shift(timedelta(minutes=5))
    again = services.publish_now(report_id=draft.pk)

    assert (report.status, report.publish_at) == (P, START)
    assert again.publish_at == START
    assert Report.objects.published().filter(pk=draft.pk).exists()


def test_publish_now_brings_a_future_time_forward(clock):
    scheduled = make_report(status=S, publish_at=START + timedelta(days=2))

    report = services.publish_now(report_id=scheduled.pk)

    assert (report.status, report.publish_at) == (P, START)


@pytest.mark.parametrize(
    ("factory_args", "problem"),
    [
        ({"title_en": None, "title_zh": "无人机市场"}, "needs an English title"),
        ({"licence_prices": []}, "needs at least one licence option"),
    ],
)
def test_an_incomplete_report_is_not_published(factory_args, problem):
    draft = make_report(status=D, **factory_args)

    with pytest.raises(services.PublicationError) as raised:
        services.publish_now(report_id=draft.pk)

    assert problem in str(raised.value)
    assert status_of(draft) == D


def test_archive_withdraws_a_published_report_and_refuses_a_draft():
    published, draft = make_report(), make_report(status=D)

    services.archive_report(report_id=published.pk)
    with pytest.raises(services.PublicationError):
        services.archive_report(report_id=draft.pk)

    assert (status_of(published), status_of(draft)) == (A, D)
    assert not Report.objects.published().filter(pk=published.pk).exists()


# --- The change form -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "offered"),
    [(D, {D, S, P}), (S, {S, D, P}), (P, {P, A}), (A, {A, D, P})],
)
def test_the_form_offers_only_the_allowed_next_statuses(admin_client, status, offered):
    publish_at = timezone.now() + timedelta(days=1) if status == S else None
    report = make_report(status=status, publish_at=publish_at)

    response = admin_client.get(change_url(report))

    field = response.context["adminform"].form.fields["status"]
    assert {value for value, _label in field.choices} == offered
    assert "a published report can only be archived" in response.content.decode()  # the help


def test_a_new_report_cannot_start_archived(admin_client):
    field = admin_client.get(ADD).context["adminform"].form.fields["status"]
    assert {value for value, _label in field.choices} == {D, S, P}


def test_a_published_report_cannot_go_back_to_draft(admin_client):
    report = make_report()

    response = admin_client.post(change_url(report), form_with(admin_client, report, status=D))

    assert response.status_code == 200
    assert "status" in response.context["adminform"].form.errors
    assert status_of(report) == P


def test_publishing_in_the_form_sets_the_publish_time_to_now(admin_client, clock):
    draft = make_report(status=D)

    response = admin_client.post(change_url(draft), form_with(admin_client, draft, status=P))

    assert response.status_code == 302, response.context and response.context["errors"]
    draft.refresh_from_db()
    assert (draft.status, draft.publish_at) == (P, START)


@pytest.mark.parametrize(
    ("publish_at", "error"),
    [
        (None, "needs a publish time in the future"),
        (START - timedelta(minutes=1), "needs a publish time in the future"),
    ],
)
def test_scheduling_needs_a_future_time(admin_client, clock, publish_at, error):
    draft = make_report(status=D)
    data = form_with(admin_client, draft, status=S)
    data.update(split(publish_at) if publish_at else {"publish_at_0": "", "publish_at_1": ""})

    response = admin_client.post(change_url(draft), data)

    assert response.status_code == 200
    assert error in str(response.context["adminform"].form.errors["publish_at"])
    assert status_of(draft) == D


def test_scheduling_with_a_future_time_is_saved(admin_client, clock):
    draft = make_report(status=D)
    later = START + timedelta(days=1, hours=3)
    data = form_with(admin_client, draft, status=S)
    data.update(split(later))

    response = admin_client.post(change_url(draft), data)

    assert response.status_code == 302, response.context and response.context["errors"]
    draft.refresh_from_db()
    assert (draft.status, draft.publish_at) == (S, later)


def test_publishing_with_a_future_time_asks_to_schedule_instead(admin_client, clock):
    draft = make_report(status=D)
    data = form_with(admin_client, draft, status=P)
    data.update(split(START + timedelta(days=1)))

    response = admin_client.post(change_url(draft), data)

    assert response.status_code == 200
    assert "choose “Scheduled”" in str(response.context["adminform"].form.errors["publish_at"])
    assert status_of(draft) == D


def test_a_published_report_cannot_be_hidden_by_moving_its_time_ahead(admin_client, clock):
    report = make_report(publish_at=START - timedelta(days=1))
    data = form_with(admin_client, report)
    data.update(split(START + timedelta(days=1)))

    response = admin_client.post(change_url(report), data)

    assert response.status_code == 200
    assert "publish_at" in response.context["adminform"].form.errors
    report.refresh_from_db()
    assert report.publish_at == START - timedelta(days=1)


@pytest.mark.parametrize("status", [S, P])
def test_publishing_needs_an_english_title(admin_client, clock, status):
    draft = make_report(status=D, title_en=None, title_zh="无人机市场")
    url = change_url(draft) + "?language=zh-hans"
    data = post_data(admin_client.get(url))
    data["status"] = status
    data.update(split(START + timedelta(days=1)) if status == S else {})

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert "needs an English title" in str(response.context["adminform"].form.errors["status"])
    assert status_of(draft) == D


def test_publishing_needs_a_licence_option_even_when_the_last_is_deleted_in_the_form(
    admin_client,
):
    draft = make_report(status=D, licence_prices=["3939"])
    data = form_with(admin_client, draft, status=P)
    data["license_options-0-DELETE"] = "on"

    response = admin_client.post(change_url(draft), data)

    assert response.status_code == 200
    assert "needs at least one licence option" in response.content.decode()
    assert status_of(draft) == D
    assert draft.license_options.count() == 1


def test_a_draft_may_be_saved_incomplete(admin_client):
    draft = make_report(status=D, licence_prices=[])

    response = admin_client.post(
        change_url(draft), form_with(admin_client, draft, title="Work In Progress Market")
    )

    assert response.status_code == 302


def test_the_change_form_links_to_the_preview_in_the_tab_language(admin_client):
    draft = make_report(status=D, product_code="PRE-1")
    with override("zh-hans"):
        url = reverse("reports:preview", kwargs={"product_code": "PRE-1"})

    html = admin_client.get(change_url(draft) + "?language=zh-hans").content.decode()

    assert url.startswith("/zh-hans/")
    assert f'href="{url}"' in html


def test_view_on_site_opens_the_preview_until_the_report_is_visible(admin_client, clock):
    draft = make_report(status=D, product_code="PRE-2")
    page = admin_client.get(change_url(draft)).content.decode()
    assert re.search(r'<a href="/en/reports/preview/PRE-2/" class="viewsitelink"', page)
    admin = site._registry[Report]
    draft.set_current_language("zh-hans")
    assert admin.view_on_site(draft) == "/zh-hans/reports/preview/PRE-2/"
    Report.objects.filter(pk=draft.pk).update(status=P, publish_at=START - timedelta(hours=1))
    draft.refresh_from_db()
    draft.set_current_language("en")
    assert admin.view_on_site(draft) == f"/en/reports/PRE-2/{draft.slug}/"


# --- Admin actions ---------------------------------------------------------------------------


def test_publish_now_action_publishes_complete_reports_and_names_the_others(admin_client, clock):
    ready = make_report(status=D, product_code="READY-1")
    scheduled = make_report(status=S, product_code="SCHED-1", publish_at=START + timedelta(days=3))
    incomplete = make_report(status=D, product_code="EMPTY-1", licence_prices=[])

    response = run_action(admin_client, "publish_selected_now", ready, scheduled, incomplete)

    assert response.status_code == 200
    assert (status_of(ready), status_of(scheduled), status_of(incomplete)) == (P, P, D)
    shown = messages_of(response)
    assert "2 reports are published." in shown
    assert any(
        text.startswith("EMPTY-1 was not published:") and "licence option" in text
        for text in shown
    )


def test_archive_action(admin_client):
    published, draft = make_report(product_code="PUB-1"), make_report(status=D, product_code="DR-1")

    response = run_action(admin_client, "archive_selected", published, draft)

    assert (status_of(published), status_of(draft)) == (A, D)
    shown = messages_of(response)
    assert "1 report is archived." in shown
    assert any(text.startswith("DR-1 was not archived:") for text in shown)


NEEDS_MASTER = "needs its master PDF before it can be scheduled or published"


def test_publish_now_action_refuses_a_report_with_neither_a_master_nor_delivery_on_order(
    admin_client, clock
):
    # given: three drafts, one with nothing a buyer could receive
    bare = make_report(status=D, product_code="BARE-1", master_pdf=None)
    on_order = make_report(
        status=D, product_code="ORDER-1", master_pdf=None,
        delivery_mode=DeliveryMode.ON_ORDER, delivery_days=2,
    )  # fmt: skip
    complete = make_report(status=D, product_code="FULL-1", master_pdf=minimal_pdf("Master"))

    # when
    response = run_action(admin_client, "publish_selected_now", bare, on_order, complete)

    # then
    assert (status_of(bare), status_of(on_order), status_of(complete)) == (D, P, P)
    shown = messages_of(response)
    assert "2 reports are published." in shown
    refused = [text for text in shown if text.startswith("BARE-1 was not published:")]
    assert len(refused) == 1 and NEEDS_MASTER in refused[0]


def test_publish_now_service_refuses_a_report_without_anything_to_deliver():
    draft = make_report(status=D, master_pdf=None)

    with pytest.raises(services.PublicationError) as raised:
        services.publish_now(report_id=draft.pk)

    assert NEEDS_MASTER in str(raised.value)
    assert status_of(draft) == D


@pytest.mark.parametrize("status", [S, P])
def test_the_form_refuses_to_schedule_or_publish_without_a_master_or_delivery_on_order(
    admin_client, clock, status
):
    # given
    draft = make_report(status=D, master_pdf=None)
    data = form_with(admin_client, draft, status=status)
    data.update(split(START + timedelta(days=1)) if status == S else {})

    # when
    response = admin_client.post(change_url(draft), data)

    # then
    assert response.status_code == 200
    assert NEEDS_MASTER in str(response.context["adminform"].form.errors["status"])
    assert status_of(draft) == D


def test_the_form_publishes_a_report_marked_delivered_on_order(admin_client, clock):
    draft = make_report(status=D, master_pdf=None)
    data = form_with(admin_client, draft, status=P, delivery_mode="on_order", delivery_days="3")

    response = admin_client.post(change_url(draft), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    report = Report.objects.get(pk=draft.pk)
    assert (report.status, report.delivery_mode, report.delivery_days) == (P, "on_order", 3)


def test_delivered_on_order_needs_a_promised_time(admin_client, clock):
    draft = make_report(status=D, master_pdf=None)
    data = form_with(admin_client, draft, status=P, delivery_mode="on_order", delivery_days="0")

    response = admin_client.post(change_url(draft), data)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "at least one business day" in str(errors["delivery_days"])
    assert status_of(draft) == D


def test_the_master_of_a_published_report_cannot_be_cleared_unless_delivered_on_order(
    admin_client,
):
    report = make_report(status=P)
    data = form_with(admin_client, report)
    data["master_pdf-clear"] = "on"

    response = admin_client.post(change_url(report), data)

    assert response.status_code == 200
    assert NEEDS_MASTER in str(response.context["adminform"].form.errors["status"])
    assert Report.objects.get(pk=report.pk).master_pdf


def test_a_draft_without_a_master_pdf_may_be_saved(admin_client):
    draft = make_report(status=D, product_code="DRAFT-2", master_pdf=None)

    response = admin_client.post(
        change_url(draft), form_with(admin_client, draft, title="Work In Progress Market")
    )

    assert response.status_code == 302


def test_the_report_list_shows_which_reports_have_no_master(admin_client):
    make_report(product_code="HAS-1")
    make_report(status=D, product_code="NONE-1", master_pdf=None)
    make_report(
        status=D, product_code="WAIT-1", master_pdf=None,
        delivery_mode=DeliveryMode.ON_ORDER, delivery_days=2,
    )  # fmt: skip

    listed = admin_client.get(CHANGELIST + "?master=no").content.decode()
    waiting = admin_client.get(CHANGELIST + "?master=on_order").content.decode()

    assert "NONE-1" in listed and "HAS-1" not in listed and "WAIT-1" not in listed
    assert '<strong class="no-master">no master</strong>' in listed
    assert "WAIT-1" in waiting and "no master: on order, 2 business days" in waiting


# --- The periodic task -----------------------------------------------------------------------


def test_publish_due_reports_task_publishes_what_is_due_once(clock):
    due = make_report(status=S, publish_at=START - timedelta(seconds=1))
    later = make_report(status=S, publish_at=START + timedelta(minutes=10))
    draft = make_report(status=D)
    version_before = _catalogue_version()

    assert tasks.publish_due_reports.delay().get() == 1
    assert tasks.publish_due_reports.delay().get() == 0  # idempotent

    assert (status_of(due), status_of(later), status_of(draft)) == (P, S, D)
    assert _catalogue_version() != version_before
    clock.shift(timedelta(minutes=10))
    assert tasks.publish_due_reports.delay().get() == 1
    assert status_of(later) == P


def test_publish_due_reports_is_on_the_beat_every_minute():
    entries = [
        entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "reports.tasks.publish_due_reports"
    ]
    assert [entry["schedule"] for entry in entries] == [60]
    assert tasks.publish_due_reports.acks_late


@pytest.mark.django_db(transaction=True)
def test_publish_due_reports_through_a_real_worker(celery_worker):
    due = make_report(status=S, publish_at=timezone.now() - timedelta(minutes=1))

    tasks.publish_due_reports.delay()

    deadline = time.monotonic() + 15
    while status_of(due) != P and time.monotonic() < deadline:
        time.sleep(0.1)
    assert status_of(due) == P


def _catalogue_version():
    from django.core.cache import cache

    from reports.page_cache import VERSION_KEY

    return cache.get(VERSION_KEY)


# --- Buyers see each step at once, cached pages included ---------------------------------------


def test_a_due_scheduled_report_is_listed_without_the_task(buyer):
    with time_machine.travel(START, tick=False) as traveller:
        report = make_report(
            product_code="SOON-1",
            title_en="Scheduled Soon Market",
            status=S,
            publish_at=START + timedelta(minutes=5),
        )
        assert "Scheduled Soon Market" not in buyer.get("/en/reports/").content.decode()
        assert buyer.get(detail_url(report)).status_code == 404
        assert buyer.get(detail_url(report, "zh-hans")).status_code == 404

        traveller.shift(timedelta(minutes=5, seconds=1))

        assert "Scheduled Soon Market" in buyer.get("/en/reports/").content.decode()
        assert buyer.get(detail_url(report)).status_code == 200
        assert buyer.get(detail_url(report, "zh-hans")).status_code == 200
        assert status_of(report) == S  # no task ran


def test_cached_pages_show_a_report_published_by_the_admin_action(
    admin_client, buyer, django_capture_on_commit_callbacks
):
    draft = make_report(status=D, product_code="NEW-1", title_en="Freshly Published Market")
    make_report(title_en="Already There Market")
    assert "Already There Market" in buyer.get("/en/reports/").content.decode()  # cached now
    assert buyer.get(detail_url(draft)).status_code == 404

    with django_capture_on_commit_callbacks(execute=True):
        run_action(admin_client, "publish_selected_now", draft)

    assert "Freshly Published Market" in buyer.get("/en/reports/").content.decode()
    assert buyer.get(detail_url(draft)).status_code == 200


def test_cached_pages_drop_a_report_archived_by_the_admin_action(
    admin_client, buyer, django_capture_on_commit_callbacks
):
    report = make_report(title_en="Soon Archived Market")
    assert "Soon Archived Market" in buyer.get("/en/reports/").content.decode()
    assert buyer.get(detail_url(report)).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        run_action(admin_client, "archive_selected", report)

    assert "Soon Archived Market" not in buyer.get("/en/reports/").content.decode()
    assert buyer.get(detail_url(report)).status_code == 404


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_cached_pages_show_a_title_edited_in_the_admin(
    admin_client, buyer, django_capture_on_commit_callbacks, language
):
    report = make_report(title_en="Old Title Market", title_zh="旧标题市场")
    old, new = {"en": ("Old Title Market", "New Title Market"), "zh-hans": ("旧标题市场", "新标题市场")}[
        language
    ]
    list_url = f"/{language}/reports/"
    assert old in buyer.get(list_url).content.decode()
    assert old in buyer.get(detail_url(report, language)).content.decode()
    url = change_url(report) + f"?language={language}"
    data = post_data(admin_client.get(url))
    data["title"] = new

    with django_capture_on_commit_callbacks(execute=True):
        assert admin_client.post(url, data).status_code == 302

    assert new in buyer.get(list_url).content.decode()
    page = buyer.get(detail_url(report, language)).content.decode()
    assert new in page and old not in page


def test_cached_pages_show_a_scheduled_report_when_its_time_passes(buyer):
    with time_machine.travel(START, tick=False) as traveller:
        make_report(title_en="Visible All Along Market")
        report = make_report(
            title_en="On Time Market", status=S, publish_at=START + timedelta(seconds=90)
        )
        assert "On Time Market" not in buyer.get("/en/reports/").content.decode()
        assert buyer.get(detail_url(report)).status_code == 404
        assert "Visible All Along Market" in buyer.get("/en/reports/").content.decode()  # cached

        traveller.shift(timedelta(seconds=91))

        assert "On Time Market" in buyer.get("/en/reports/").content.decode()
        assert "On Time Market" in buyer.get(detail_url(report)).content.decode()
