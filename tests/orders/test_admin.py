"""Sales staff work orders in the admin through the same services as the shop."""

import pytest
from django.contrib.auth.models import Permission, User

from storefront.orders import services
from storefront.orders.cart import CartLine
from storefront.orders.models import Order, OrderStatus, PaymentMethod
from tests.factories import make_report

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/orders/order/"


def place(payment_method):
    report = make_report()
    option = report.license_options.order_by("price").first()
    return services.place_order(
        lines=[CartLine(option)],
        buyer=services.Buyer(
            email="buyer@example.com", full_name="Ann Lee", company="Acme Ltd", country="UK"
        ),
        language="en",
        payment_method=payment_method,
    )


def staff(*codenames):
    user = User.objects.create_user("sales", "sales@example.com", "pw", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="orders", codename__in=codenames)
    )
    return user


def test_mark_invoice_orders_paid_moves_only_invoice_orders(admin_client):
    invoice = place(PaymentMethod.INVOICE)
    card = place(PaymentMethod.CARD)
    response = admin_client.post(
        CHANGELIST,
        {"action": "mark_invoice_orders_paid", "_selected_action": [invoice.pk, card.pk]},
        follow=True,
    )
    page = response.content.decode()
    assert "1 invoice order marked paid." in page
    assert "1 order skipped" in page
    invoice.refresh_from_db()
    card.refresh_from_db()
    assert invoice.status == OrderStatus.PAID
    assert invoice.status_changes.last().actor.username == "admin"
    assert card.status == OrderStatus.PENDING


def test_staff_without_permission_cannot_mark_paid_or_refund(client):
    order = place(PaymentMethod.INVOICE)
    client.force_login(staff("view_order", "change_order"))
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert "mark_invoice_orders_paid" not in response.content.decode()
    client.post(CHANGELIST, {"action": "mark_invoice_orders_paid", "_selected_action": [order.pk]})
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_INVOICE
    assert client.get(f"{CHANGELIST}{order.pk}/refund/").status_code == 403


def test_sales_with_mark_paid_permission(client):
    order = place(PaymentMethod.INVOICE)
    client.force_login(staff("view_order", "change_order", "mark_invoice_paid"))
    client.post(CHANGELIST, {"action": "mark_invoice_orders_paid", "_selected_action": [order.pk]})
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_order_admin_search_and_detail(admin_client):
    order = place(PaymentMethod.INVOICE)
    for term in (order.number, "buyer@example.com", "Acme"):
        response = admin_client.get(CHANGELIST, {"q": term})
        assert order.number in response.content.decode()
    page = admin_client.get(f"{CHANGELIST}{order.pk}/change/").content.decode()
    assert "awaiting_invoice" in page or "Awaiting invoice payment" in page
    assert "checkout" in page  # the status history row


def test_orders_cannot_be_added_or_deleted_in_the_admin(admin_client):
    order = place(PaymentMethod.CARD)
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403
    admin_client.post(f"{CHANGELIST}{order.pk}/delete/", {"post": "yes"})
    assert Order.objects.filter(pk=order.pk).exists()


def test_refund_of_an_unpaid_order_is_refused_with_a_message(admin_client):
    order = place(PaymentMethod.CARD)
    response = admin_client.post(f"{CHANGELIST}{order.pk}/refund/", {"amount": "10"}, follow=True)
    assert "Only paid orders can be refunded." in response.content.decode()
    response = admin_client.post(f"{CHANGELIST}{order.pk}/refund/", {"amount": "ten"}, follow=True)
    assert "Enter the amount to refund as a number" in response.content.decode()


def test_the_sales_group_marks_invoice_orders_paid_but_cannot_refund(client):
    from django.contrib.auth.models import Group

    order = place(PaymentMethod.INVOICE)
    user = User.objects.create_user("sam", "sam@example.com", "pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Sales"))
    client.force_login(user)
    client.post(CHANGELIST, {"action": "mark_invoice_orders_paid", "_selected_action": [order.pk]})
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert client.get(f"{CHANGELIST}{order.pk}/refund/").status_code == 403


# --- Billing address and VAT id --------------------------------------------------------


def test_the_order_page_in_the_admin_shows_the_billing_address(admin_client):
    order = place(PaymentMethod.INVOICE)
    order.billing_line1, order.billing_postcode, order.billing_city = "1 King's Road", "SW3 4RP", "London"
    order.save()

    page = admin_client.get(f"{CHANGELIST}{order.pk}/change/").content.decode()

    assert "Billing address" in page
    assert 'value="1 King&#x27;s Road"' in page
    assert 'value="SW3 4RP"' in page
    assert '<option value="GB" selected>United Kingdom</option>' in page


def test_staff_cannot_save_an_invalid_vat_id_on_an_order(admin_client):
    from tests.reports.test_admin import post_data

    order = place(PaymentMethod.INVOICE)
    url = f"{CHANGELIST}{order.pk}/change/"
    data = post_data(admin_client.get(url))

    refused = admin_client.post(url, {**data, "vat_id": "GB 123 4567 89"})
    saved = admin_client.post(url, {**data, "vat_id": "GB 980 7806 84"})

    assert refused.status_code == 200  # the form again, with the message
    assert "not a valid VAT / tax ID for United Kingdom" in refused.content.decode()
    assert saved.status_code == 302
    order.refresh_from_db()
    assert order.vat_id == "980780684"
