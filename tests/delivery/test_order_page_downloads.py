"""The order page's download links come from delivery ({% order_downloads %}): orders
renders the page and never reads delivery's links itself."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from storefront.delivery import services
from storefront.delivery.models import DownloadGrant
from tests.delivery.test_delivery import paid_order

pytestmark = pytest.mark.django_db


def delivered_order(lines):
    order = paid_order(lines=lines, pages=1)
    services.deliver_order(order_id=order.pk)
    return order


def test_delivered_order_page_links_each_line_to_its_newest_usable_link(client):
    # given: a delivered order of two reports; the first line's link was renewed (the
    # old one expired), the second line's only link was revoked
    order = delivered_order(lines=2)
    first, second = order.lines.order_by("pk")
    old = DownloadGrant.objects.get(copy__line=first)
    DownloadGrant.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(days=1))
    fresh = services.new_grant(old.copy)
    DownloadGrant.objects.filter(copy__line=second).update(revoked_at=timezone.now())

    # when: the buyer opens the order page
    response = client.get(order.get_absolute_url())

    # then: the first line links to its fresh link only, the second says it has none
    page = response.content.decode()
    assert response.status_code == 200
    assert f"/downloads/{fresh.token}/" in page
    assert f"/downloads/{old.token}/" not in page
    assert page.count('href="/downloads/') == 1
    assert "This link is no longer available" in page


def test_delivered_order_page_runs_the_same_queries_for_one_line_or_four(client):
    # given: a delivered order of one report and one of four
    small, large = delivered_order(lines=1), delivered_order(lines=4)

    # when: the buyer opens each order page
    counts = []
    for order in (small, large):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(order.get_absolute_url())
        assert response.status_code == 200
        assert response.content.decode().count('href="/downloads/') == order.lines.count()
        counts.append(len(queries))

    # then: the links of every line cost one query, not one per line
    assert counts[0] == counts[1]
