"""Rate limits of the contact form, counted in the shared cache (Redis when configured).

Fixed windows: one counter per IP address and one per e-mail address for each
window of INQUIRY_RATE_LIMIT_WINDOW_SECONDS; the cache's atomic incr() makes
concurrent submissions count correctly across processes.
"""

import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)


def _key(scope: str, value: str, window_number: int) -> str:
    # Hashed: keys stay short and the cache holds no addresses in clear.
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return f"inquiries:rate:{scope}:{digest}:{window_number}"


def _count(scope: str, value: str, window: int) -> int:
    key = _key(scope, value, int(time.time()) // window)
    cache.add(key, 0, timeout=window)
    try:
        return cache.incr(key)
    except ValueError:  # the key expired between add() and incr()
        cache.add(key, 1, timeout=window)
        return 1


def allow_submission(*, ip_address: str | None, email: str) -> bool:
    """Count one submission from this IP and e-mail address; False past either limit."""
    window = settings.INQUIRY_RATE_LIMIT_WINDOW_SECONDS
    try:
        if ip_address and _count("ip", ip_address, window) > settings.INQUIRY_RATE_LIMIT_PER_IP:
            return False
        return _count("email", email, window) <= settings.INQUIRY_RATE_LIMIT_PER_EMAIL
    except Exception:
        # The cache is Redis, which is also the broker: when it is down the inquiry
        # must still be saved (the sweep mails it later), so the limit fails open.
        logger.exception("inquiry rate limit unavailable; allowing the submission")
        return True
