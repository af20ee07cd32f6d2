"""Rate limits of the forms that make the shop send mail or call Stripe (the contact
form, checkout), counted in the shared cache (Redis when configured).

Fixed windows: one counter per IP address and one per e-mail address for each window;
the cache's atomic incr() makes concurrent submissions count correctly across
processes.
"""

import hashlib
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RateLimit:
    """One throttled action. Its limits are read from the settings
    <setting_prefix>_PER_IP, _PER_EMAIL and _WINDOW_SECONDS at each call."""

    name: str  # the cache key's namespace
    setting_prefix: str

    def setting(self, suffix: str) -> int:
        return getattr(settings, f"{self.setting_prefix}_{suffix}")


def client_ip(request) -> str | None:
    # The socket's address; behind a proxy, set it from the proxy's header in the
    # proxy or a middleware you trust, never from a header the client controls.
    return request.META.get("REMOTE_ADDR") or None


def _key(limit: RateLimit, scope: str, value: str, window_number: int) -> str:
    # Hashed: keys stay short and the cache holds no addresses in clear.
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return f"{limit.name}:rate:{scope}:{digest}:{window_number}"


def _count(limit: RateLimit, scope: str, value: str, window: int) -> int:
    key = _key(limit, scope, value, int(time.time()) // window)
    cache.add(key, 0, timeout=window)
    try:
        return cache.incr(key)
    except ValueError:  # the key expired between add() and incr()
        cache.add(key, 1, timeout=window)
        return 1


def _mailbox(email: str) -> str:
    # victim+1@example.com and victim+2@example.com reach the same mailbox: count them as one.
    local, at, domain = email.strip().lower().rpartition("@")
    return f"{local.split('+')[0]}{at}{domain}" if at else domain


def allow(limit: RateLimit, *, ip_address: str | None, email: str) -> bool:
    """Count one submission from this IP and e-mail address; False past either limit."""
    window = limit.setting("WINDOW_SECONDS")
    try:
        if ip_address and _count(limit, "ip", ip_address, window) > limit.setting("PER_IP"):
            return False
        return _count(limit, "email", _mailbox(email), window) <= limit.setting("PER_EMAIL")
    except Exception:
        # The cache is Redis, which is also the broker: when it is down the buyer's
        # inquiry or order must still be taken (the sweeps mail it later), so the
        # limit fails open.
        logger.exception("%s rate limit unavailable; allowing the submission", limit.name)
        return True
