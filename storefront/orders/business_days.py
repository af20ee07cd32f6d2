"""Business days (Monday to Friday) for the delivery times promised to buyers."""

from datetime import datetime, timedelta

from django.utils import timezone

SATURDAY = 5


def add_business_days(start: datetime, days: int) -> datetime:
    """The moment ``days`` business days after ``start``, at the same local time.

    Weekends are skipped (public holidays are not known to the shop): paid on a
    Friday at 15:00 with two business days promised, due on Tuesday at 15:00;
    paid on a Saturday, due on Tuesday too. Counted in the shop's time zone.
    """
    moment = timezone.localtime(start)
    left = days
    while left > 0:
        moment += timedelta(days=1)
        if moment.weekday() < SATURDAY:
            left -= 1
    return moment  # zoneinfo arithmetic keeps the wall-clock time across DST changes
