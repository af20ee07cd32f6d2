"""Sales record bank payments, cancel and resend pro-formas from the order's admin page."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from storefront.orders import services, settlement
from storefront.orders.cart import CartLine
from storefront.orders.models import OrderStatus, PaymentMethod
from tests.factories import make_report

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/orders/order/"


def place(payment_method=PaymentMethod.INVOICE, reports=1):
    lines = []
    for _ in range(reports):
        report = make_report()
        lines.append(CartLine(report.license_options.order_by("price").first()))
    return services.place_order(
        lines=lines,
        buyer=services.Buyer(
            email="buyer@example.com", full_name="Ann Lee", company="Acme Ltd", country="UK"
        ),
        language="en",
        payment_method=payment_method,
    )


@pytest.fixture
def sales(client):
    user = User.objects.create_user("sam", "sam@example.com", "pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Sales"))
    client.force_login(user)
    return user


def test_two_partial_payments_add_up_and_the_second_marks_the_order_paid(sales):
    # given an invoice order
    order = place()
    first = (order.total / 2).quantize(Decimal("0.01"))
    # when sales record it in two parts
    settlement.record_bank_payment(
        order_id=order.pk, amount=first, received_on=timezone.localdate(), reference="T-1",
        actor=sales,
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_INVOICE
    settlement.record_bank_payment(
        order_id=order.pk, amount=order.total - first, received_on=timezone.localdate(),
        reference="T-2", actor=sales,
    )
    # then the order is paid, and the history names the staff member at every step
    order.refresh_from_db()
    assert order.status in (OrderStatus.PAID, OrderStatus.DELIVERED)
    rows = list(order.status_changes.filter(actor=sales))
    assert [row.source for row in rows[:3]] == ["bank payment", "bank payment", "bank payment"]
    assert rows[2].to_status == OrderStatus.PAID
    assert "T-1" in rows[0].note and "outstanding" in rows[0].note
    assert str(rows[2]) == "Awaiting invoice payment → Paid"


@pytest.mark.parametrize(
    ("amount", "days_ahead", "reference", "message"),
    [
        ("0", 0, "T", "positive amount"),
        ("10.001", 0, "T", "minor unit"),
        ("999999", 0, "T", "more than"),
        ("10", 0, " ", "reference"),
        ("10", 3, "T", "future"),
    ],
)
def test_a_bad_payment_is_refused_and_nothing_is_recorded(sales, amount, days_ahead, reference, message):
    order = place()
    with pytest.raises(services.OrderError, match=message):
        settlement.record_bank_payment(
            order_id=order.pk, amount=Decimal(amount),
            received_on=timezone.localdate() + timedelta(days=days_ahead),
            reference=reference, actor=sales,
        )
    assert not order.bank_payments.exists()
    assert order.status_changes.count() == 1


def test_a_card_order_takes_no_bank_payment(sales):
    order = place(PaymentMethod.CARD)
    with pytest.raises(services.OrderError):
        settlement.record_bank_payment(
            order_id=order.pk, amount=Decimal("1"), received_on=date.today(), reference="T",
            actor=sales,
        )


def test_the_order_page_records_a_payment_and_shows_money_for_people(client, sales):
    order = place()
    page = client.get(f"{CHANGELIST}{order.pk}/change/").content.decode()
    assert "Record a bank payment" in page and "Resend pro-forma" in page
    assert "Cancel order" in page
    assert order.display_total_exact in page  # "USD 4,949.00"
    assert "→ awaiting_invoice" not in page

    response = client.post(
        f"{CHANGELIST}{order.pk}/bank-payment/",
        {"amount": "100", "received_on": timezone.localdate().isoformat(), "reference": "BANK-7"},
        follow=True,
    )

    page = response.content.decode()
    assert "Recorded USD 100.00." in page
    assert "still owed" in page
    assert "BANK-7" in page and "sam" in page


def test_the_payment_form_explains_bad_input(client, sales):
    order = place()
    response = client.post(
        f"{CHANGELIST}{order.pk}/bank-payment/",
        {"amount": "12.345", "received_on": "soon", "reference": ""},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "2 decimal places" in page
    assert "Enter a valid date." in page
    assert not order.bank_payments.exists()


def test_cancel_asks_first_then_cancels_with_the_reason_in_the_history(client, sales):
    order = place()
    url = f"{CHANGELIST}{order.pk}/cancel/"
    assert "Yes, cancel the order" in client.get(url).content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_INVOICE

    client.post(url, {"reason": "Buyer withdrew"})

    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    last = order.status_changes.last()
    assert (last.actor, last.note) == (sales, "Buyer withdrew")


def test_an_order_with_a_bank_payment_cannot_be_cancelled(client, sales):
    order = place()
    settlement.record_bank_payment(
        order_id=order.pk, amount=Decimal("1"), received_on=date.today(), reference="T", actor=sales
    )
    client.post(f"{CHANGELIST}{order.pk}/cancel/")
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_INVOICE


def test_resend_proforma_mails_it_again_and_records_who(client, sales, django_capture_on_commit_callbacks):
    order = place()
    with django_capture_on_commit_callbacks(execute=True):
        pass
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{CHANGELIST}{order.pk}/resend-proforma/")
    assert len(mail.outbox) == 1
    assert order.number in mail.outbox[0].subject
    assert order.status_changes.last().actor == sales


def test_staff_without_the_sales_permission_cannot_record_payments(client):
    order = place()
    user = User.objects.create_user("eve", "eve@example.com", "pw", is_staff=True)
    client.force_login(user)
    assert client.get(f"{CHANGELIST}{order.pk}/bank-payment/").status_code == 403
    assert client.post(f"{CHANGELIST}{order.pk}/resend-proforma/").status_code == 403
    assert client.post(f"{CHANGELIST}{order.pk}/cancel/").status_code == 403


@pytest.mark.parametrize("reports", [1, 6])
def test_the_order_page_keeps_a_fixed_query_count(client, sales, reports):
    order = place(reports=reports)
    for amount in ("1", "2"):
        settlement.record_bank_payment(
            order_id=order.pk, amount=Decimal(amount), received_on=date.today(), reference="T",
            actor=sales,
        )
    client.get(f"{CHANGELIST}{order.pk}/change/")  # warm the session and permission caches
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"{CHANGELIST}{order.pk}/change/").status_code == 200
    assert len(queries) == QUERIES_ORDER_PAGE


QUERIES_ORDER_PAGE = 16  # the same with one line or six


def test_line_titles_follow_the_staff_members_language(client, sales):
    order = place()
    report = order.lines.get().report
    report.set_current_language("zh-hans")
    report.title = "继续医学教育市场"
    report.save()
    page = client.get(f"/admin/orders/order/{order.pk}/change/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "继续医学教育市场" in page.content.decode()
