"""Named seats delivered: one stamped copy, link and invitation per holder (eager paths).

The same path through a real worker is in test_seat_delivery_worker.py.
"""

import re

import pytest
from django.core import mail
from django.test import Client

from reports.models import LicenseType
from storefront.delivery import services
from storefront.delivery.models import DownloadGrant, StampedCopy
from storefront.orders import seats as seat_services
from storefront.orders import services as order_services
from storefront.orders.cart import CartLine
from storefront.orders.models import Order, OrderStatus, PaymentMethod, Seat, SeatChange
from storefront.orders.seats import Holder
from tests.delivery.test_delivery import master_pdf, pdf_text
from tests.factories import make_report

pytestmark = pytest.mark.django_db

FIVE = [
    Holder(name="Ann Lee", email="ann@example.com"),
    Holder(name="Bo Chen", email="bo@example.com"),
    Holder(name="Carla Díaz", email="carla@example.com"),
    Holder(name="王芳", email="wang.fang@example.cn"),
    Holder(name="Dev Patel", email="dev@example.com"),
]


def seat_order(*, holders=(), language="en", license_type=LicenseType.MULTI_USER, site="",
               paid=True, pages=3):
    """A card order of one report under ``license_type``, seats named at checkout."""
    report = make_report(master_pdf=master_pdf(pages), licence_prices={license_type: "4249"})
    order = order_services.place_order(
        lines=[CartLine(report.license_options.get())],
        buyer=order_services.Buyer(
            email="buyer@example.com", full_name="Maria Buyer", company="Acme Medical Ltd",
            country="UK", site=site,
        ),  # fmt: skip
        language=language,
        payment_method=PaymentMethod.CARD,
        seat_holders={report.pk: list(holders)} if holders else None,
    )
    if paid:
        order_services.mark_order_paid(order_id=order.pk, source="test")
    return Order.objects.get(pk=order.pk)


def flat(text: str) -> str:
    return "".join(text.split())


def links_in(message) -> list[str]:
    return re.findall(r"/downloads/([\w-]+)/", message.body)


def download_bytes(token: str) -> bytes:
    response = Client().get(f"/downloads/{token}/")
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_five_seat_holders_get_five_own_copies_and_five_invitations():
    # given a five-seat licence with every seat named at checkout
    order = seat_order(holders=FIVE)

    # when it is delivered (twice: a retried task changes nothing)
    services.deliver_order(order_id=order.pk)
    services.deliver_order(order_id=order.pk)

    # then the buyer keeps their copy and each holder has their own, named on every page
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    seat_copies = StampedCopy.objects.filter(seat__order=order)
    assert seat_copies.count() == 5
    assert StampedCopy.objects.filter(line__order=order).count() == 1
    buyer_mail, *invitations = mail.outbox
    assert buyer_mail.to == ["buyer@example.com"]
    assert sorted(message.to[0] for message in invitations) == sorted(h.email for h in FIVE)
    files = set()
    for holder in FIVE:
        [message] = [m for m in invitations if m.to == [holder.email]]
        [token] = links_in(message)
        grant = DownloadGrant.objects.select_related("copy__seat").get(token=token)
        assert grant.copy.seat.holder_email == holder.email  # their own link, nobody else's
        assert token not in buyer_mail.body
        data = download_bytes(token)
        files.add(data)
        stamped_pages = pdf_text(data)[-3:]
        for page in stamped_pages:
            assert flat(holder.name) in flat(page)
            assert grant.copy.licence_id in flat(page)
            assert "Acme" in page
        others = [h for h in FIVE if h is not holder]
        assert not any(flat(other.name) in flat("".join(stamped_pages)) for other in others)
    assert len(files) == 5
    assert len(set(seat_copies.values_list("licence_id", flat=True))) == 5
    assert Seat.objects.filter(order=order, invited_at__isnull=False).count() == 5


def test_a_sixth_seat_on_a_five_seat_licence_is_refused_with_a_clear_message():
    order = seat_order(holders=FIVE)
    line = order.lines.get()

    with pytest.raises(seat_services.SeatError) as refused:
        seat_services.name_seat(
            order_id=order.pk, line_id=line.pk, holder=Holder(name="Sixth", email="six@example.com"),
            source="buyer",
        )  # fmt: skip

    assert "All 5 named seats" in str(refused.value)
    assert "Reassign a seat instead" in str(refused.value)
    assert Seat.objects.filter(line=line).count() == 5


def test_six_holders_at_checkout_save_no_order():
    with pytest.raises(seat_services.SeatError):
        seat_order(holders=[*FIVE, Holder(name="Sixth", email="six@example.com")], paid=False)
    assert Order.objects.count() == 0
    assert Seat.objects.count() == 0


def test_reassigning_a_seat_delivers_the_new_holder_then_ends_the_old_links(
    django_capture_on_commit_callbacks,
):
    # given a delivered order whose seat 1 is held by Ann
    order = seat_order(holders=FIVE[:2])
    services.deliver_order(order_id=order.pk)
    seat = Seat.objects.get(order=order, number=1)
    old_grant = DownloadGrant.objects.get(copy__seat=seat)
    mail.outbox.clear()

    # when the buyer gives it to Eve, and the delivery has not run yet
    with django_capture_on_commit_callbacks(execute=False) as queued:
        seat_services.reassign_seat(
            seat_id=seat.pk, holder=Holder(name="Eve Park", email="eve@example.com"), source="buyer"
        )
    # then Ann's link still works until Eve's copy is delivered
    assert Client().get(f"/downloads/{old_grant.token}/").status_code == 200

    # when the queued delivery runs (eagerly)
    for callback in queued:
        callback()

    # then Eve has her own copy and link, Ann's link has ended, the buyer got no mail
    [message] = mail.outbox
    assert message.to == ["eve@example.com"]
    [token] = links_in(message)
    assert all(flat("Eve Park") in flat(page) for page in pdf_text(download_bytes(token))[-3:])
    old_grant.refresh_from_db()
    assert old_grant.revoked_at is not None
    assert Client().get(f"/downloads/{old_grant.token}/").status_code == 410
    [named, changed] = SeatChange.objects.filter(seat=seat)
    assert (named.source, named.from_email, named.to_email) == ("checkout", "", "ann@example.com")
    assert (changed.source, changed.from_name, changed.from_email, changed.to_email) == (
        "buyer", "Ann Lee", "ann@example.com", "eve@example.com"
    )
    assert Order.objects.get(pk=order.pk).status == OrderStatus.DELIVERED


def test_a_seat_is_reassigned_at_most_the_set_number_of_times(
    settings, django_capture_on_commit_callbacks
):
    # given a delivered seat and a limit of two changes
    settings.SEAT_REASSIGNMENT_LIMIT = 2
    order = seat_order(holders=FIVE[:1])
    services.deliver_order(order_id=order.pk)
    seat = Seat.objects.get(order=order)

    # when it is given on twice (each new holder delivered), then a third time
    for name in ("B", "C"):
        with django_capture_on_commit_callbacks(execute=True):
            seat_services.reassign_seat(
                seat_id=seat.pk, holder=Holder(name=name, email=f"{name.lower()}@example.com"),
                source="buyer",
            )  # fmt: skip
    with pytest.raises(seat_services.SeatError) as refused:
        seat_services.reassign_seat(
            seat_id=seat.pk, holder=Holder(name="D", email="d@example.com"), source="buyer"
        )

    # then the third is refused with the reason, and the log shows every holder
    assert "reassigned 2 times" in str(refused.value)
    seat.refresh_from_db()
    assert (seat.holder_email, seat.reassignments, seat.revision) == ("c@example.com", 2, 3)
    assert list(SeatChange.objects.filter(seat=seat).values_list("to_email", flat=True)) == [
        "ann@example.com", "b@example.com", "c@example.com",
    ]  # fmt: skip
    assert DownloadGrant.objects.filter(copy__seat=seat, revoked_at__isnull=True).count() == 1


def test_correcting_a_holder_before_their_copy_is_sent_uses_no_change(settings):
    settings.SEAT_REASSIGNMENT_LIMIT = 1
    order = seat_order(holders=FIVE[:1], paid=False)
    seat = Seat.objects.get(order=order)

    for email in ("ann.lee@example.com", "a.lee@example.com", "lee@example.com"):
        seat_services.reassign_seat(seat_id=seat.pk, holder=Holder(name="Ann Lee", email=email), source="buyer")

    seat.refresh_from_db()
    assert (seat.holder_email, seat.reassignments) == ("lee@example.com", 0)
    assert SeatChange.objects.filter(seat=seat).count() == 4


def test_a_seat_named_after_delivery_is_delivered_without_mailing_the_buyer_again(
    django_capture_on_commit_callbacks,
):
    order = seat_order()
    services.deliver_order(order_id=order.pk)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        seat_services.name_seat(
            order_id=order.pk, line_id=order.lines.get().pk,
            holder=Holder(name="李伟", email="li.wei@example.cn"), source="buyer",
        )  # fmt: skip

    [message] = mail.outbox
    assert message.to == ["li.wei@example.cn"]
    [token] = links_in(message)
    assert all("李伟" in flat(page) for page in pdf_text(download_bytes(token))[-3:])


def test_invitations_are_in_the_orders_language():
    order = seat_order(holders=[Holder(name="王芳", email="wang.fang@example.cn")], language="zh-hans")
    services.deliver_order(order_id=order.pk)

    invitation = next(m for m in mail.outbox if m.to == ["wang.fang@example.cn"])
    assert "授权" in invitation.subject or "许可" in invitation.subject
    assert "王芳" in invitation.body
    assert "下载" in invitation.alternatives[0][0]


@pytest.mark.parametrize(
    "language, site", [("en", "Berlin office"), ("zh-hans", "上海总部")]
)
def test_a_site_licence_stamps_the_company_and_the_site(language, site):
    order = seat_order(license_type=LicenseType.SITE, site=site, language=language)

    services.deliver_order(order_id=order.pk)

    grant = DownloadGrant.objects.get(copy__line__order=order)
    for page in pdf_text(download_bytes(grant.token))[-3:]:
        assert flat(site) in flat(page)
        assert "AcmeMedicalLtd" in flat(page)
    assert not Seat.objects.filter(order=order).exists()


def test_a_multi_user_line_keeps_its_number_of_seats():
    assert LicenseType.MULTI_USER.named_seats == 5
    assert LicenseType.SINGLE_USER.named_seats == LicenseType.SITE.named_seats == 0
    order = seat_order(paid=False)
    assert order.lines.get().seat_limit == 5


def test_ending_access_ends_the_seat_holders_links_too():
    order = seat_order(holders=FIVE[:2])
    services.deliver_order(order_id=order.pk)

    services.end_access(order_id=order.pk, reason="dispute")

    seat_grants = DownloadGrant.objects.filter(copy__seat__order=order)
    assert seat_grants.count() == 2
    assert not seat_grants.filter(revoked_at__isnull=True).exists()
    for grant in seat_grants:
        assert Client().get(f"/downloads/{grant.token}/").status_code == 410
    with pytest.raises(seat_services.SeatError):
        seat_services.reassign_seat(
            seat_id=Seat.objects.filter(order=order).first().pk,
            holder=Holder(name="Eve", email="eve@example.com"), source="buyer",
        )  # fmt: skip


def test_a_failed_seat_stamp_leaves_no_file_and_no_copy(monkeypatch):
    order = seat_order(holders=FIVE[:2])
    storage = StampedCopy._meta.get_field("file").storage
    real_stamp = services.stamp_copy
    calls = []

    def stamp_then_fail_on_the_second_seat(**kwargs):
        if kwargs.get("seat") is not None:
            calls.append(kwargs["seat"].number)
            if len(calls) == 2:
                raise OSError("disk full")
        return real_stamp(**kwargs)

    monkeypatch.setattr(services, "stamp_copy", stamp_then_fail_on_the_second_seat)
    with pytest.raises(OSError):
        services.deliver_order(order_id=order.pk)

    assert StampedCopy.objects.count() == 0
    try:
        files = storage.listdir(f"stamped/{order.number}")[1]
    except FileNotFoundError:
        files = []
    assert files == []  # the buyer's copy and the first seat's were written, then removed
    assert mail.outbox == []
    monkeypatch.undo()
    services.deliver_order(order_id=order.pk)  # the retry delivers everything
    assert StampedCopy.objects.filter(seat__order=order).count() == 2


def test_an_expired_seat_link_is_renewed_to_the_seat_holder(django_capture_on_commit_callbacks):
    import time_machine
    from django.utils import timezone

    order = seat_order(holders=FIVE[:1])
    services.deliver_order(order_id=order.pk)
    old = DownloadGrant.objects.get(copy__seat__order=order)
    mail.outbox.clear()

    with time_machine.travel(old.expires_at + timezone.timedelta(minutes=1)):
        with django_capture_on_commit_callbacks(execute=True):
            response = Client().post(f"/downloads/{old.token}/renew/")

        assert response.status_code == 200
        assert "ann@example.com" in response.content.decode()
        [message] = mail.outbox
        assert message.to == ["ann@example.com"]
        [token] = links_in(message)
        assert token != old.token
        assert Client().get(f"/downloads/{token}/").status_code == 200


def test_a_seat_whose_delivery_was_never_queued_is_delivered_by_the_sweep(
    settings, django_capture_on_commit_callbacks
):
    # given a delivered order, and a seat named while the broker was down (nothing queued)
    order = seat_order()
    services.deliver_order(order_id=order.pk)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False):
        seat_services.name_seat(
            order_id=order.pk, line_id=order.lines.get().pk,
            holder=Holder(name="Ann Lee", email="ann@example.com"), source="buyer",
        )  # fmt: skip

    # when the beat's sweep runs
    from storefront.delivery.tasks import sweep_undelivered_orders_task

    settings.DELIVERY_SWEEP_AFTER_MINUTES = 0
    assert sweep_undelivered_orders_task() == 1

    # then the holder is invited once, and a second sweep finds nothing
    [message] = mail.outbox
    assert message.to == ["ann@example.com"]
    assert sweep_undelivered_orders_task() == 0


def test_a_holder_whose_mail_fails_does_not_hold_back_the_buyers_delivery(monkeypatch):
    # given a paid order with one named seat, and the holder's mail server refusing
    from smtplib import SMTPRecipientsRefused

    from storefront.delivery import seats as seat_delivery

    order = seat_order(holders=FIVE[:1])

    def refuse(order, seat, grant):
        raise SMTPRecipientsRefused({seat.holder_email: (450, b"mailbox busy")})

    monkeypatch.setattr(seat_delivery, "_mail_invitation", refuse)

    # when the delivery runs
    with pytest.raises(SMTPRecipientsRefused):
        services.deliver_order(order_id=order.pk)

    # then the buyer has their copy and the order is delivered; the retry invites the holder
    assert Order.objects.get(pk=order.pk).status == OrderStatus.DELIVERED
    assert [message.to for message in mail.outbox] == [["buyer@example.com"]]
    monkeypatch.undo()
    services.deliver_order(order_id=order.pk)
    assert [message.to for message in mail.outbox] == [["buyer@example.com"], ["ann@example.com"]]


def test_seat_copies_are_stamped_reading_the_same_queries_for_two_holders_or_five():
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from storefront.delivery import seats

    reads = []
    for holders in (FIVE[:2], FIVE):
        order = seat_order(holders=holders)
        with transaction.atomic():
            locked = Order.objects.select_for_update().get(pk=order.pk)
            with CaptureQueriesContext(connection) as queries:
                to_invite = seats.stamp_seat_copies(order=locked, written=[])
        assert len(to_invite) == len(holders)
        assert StampedCopy.objects.filter(seat__order=order).count() == len(holders)
        reads.append(
            [q["sql"].split(" FROM ")[1].split()[0] for q in queries
             if q["sql"].startswith("SELECT")]
        )
    # Each holder's copy is written (its row, its link); what is read is not per holder.
    assert reads[0] == reads[1]
    assert len(reads[0]) <= 5
