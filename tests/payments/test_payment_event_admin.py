"""The payment events Sales may read never show the link to a buyer's order page."""

import json

import pytest

from tests.orders.test_admin_access import staff_user
from tests.payments.test_stripe_checkout import pay_order

pytestmark = pytest.mark.django_db


def test_payment_event_payloads_hide_the_order_page_link_from_sales(
    client, stripe, card_order
):
    # given a paid card order whose Checkout Session event holds the success URL
    order, _session_id = pay_order(client, stripe, card_order)
    event = order.payment_events.get(event_type="checkout.session.completed")
    assert order.public_token in json.dumps(event.payload)
    url = f"/admin/payments/paymentevent/{event.pk}/change/"

    # when Sales opens the event, then the token is not on the page
    client.force_login(staff_user("sam", group="Sales"))
    response = client.get(url)
    assert response.status_code == 200
    assert event.event_id in response.content.decode()
    assert order.public_token not in response.content.decode()

    # staff with the permission see the payload as received
    client.force_login(staff_user("mia", permissions=["payments.view_paymentevent",
                                                      "orders.manage_downloads"]))
    assert order.public_token in client.get(url).content.decode()
