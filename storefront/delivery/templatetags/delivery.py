"""{% order_downloads order as downloads %}: the download links of an order, for the
order page that orders renders and delivery fills (orders does not know delivery)."""

from django import template
from django.db.models import Prefetch, prefetch_related_objects

from storefront.delivery.models import DownloadGrant

register = template.Library()


@register.simple_tag
def order_downloads(order) -> list[dict]:
    """Each line of the order with its newest usable link (None when it has none left).

    Reads the lines (and their stamped copies) as the order page fetched them, and
    the usable links of every line in one query.
    """
    lines = list(order.lines.all())
    prefetch_related_objects(
        lines, Prefetch("copy__grants", queryset=DownloadGrant.objects.usable())
    )
    rows = []
    for line in lines:
        copy = getattr(line, "copy", None)  # no copy yet while delivery runs
        grants = list(copy.grants.all()) if copy else []
        rows.append({"line": line, "grant": max(grants, key=lambda g: g.expires_at, default=None)})
    return rows
