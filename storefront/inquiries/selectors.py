"""Reads of the inquiry queue for other apps (the admin dashboard)."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from storefront.inquiries.models import AWAITING_SALES, Inquiry


@dataclass(frozen=True)
class InquiryWorkload:
    open: int  # new or open: sales' move
    overdue: int  # of those, older than INQUIRY_OVERDUE_HOURS


def inquiry_workload(now=None) -> InquiryWorkload:
    """Inquiries waiting for sales, in one query (the same rule as ``Inquiry.objects.overdue``)."""
    now = now or timezone.now()
    waiting = Q(status__in=AWAITING_SALES)
    due = now - timedelta(hours=settings.INQUIRY_OVERDUE_HOURS)
    counts = Inquiry.objects.aggregate(
        open=Count("pk", filter=waiting),
        overdue=Count("pk", filter=waiting & Q(created_at__lte=due)),
    )
    return InquiryWorkload(**counts)
