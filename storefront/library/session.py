"""The address a browser has proven, kept in the server-side session.

The session cookie carries only the session's key: the address itself never
leaves the server, signed or not.
"""

from storefront.library.services import normalise_email

VERIFIED_KEY = "library_email"
PENDING_KEY = "library_pending_email"  # mailed a code, not yet typed


def verified_email(request) -> str | None:
    return request.session.get(VERIFIED_KEY)


def mark_pending(request, email: str) -> None:
    request.session[PENDING_KEY] = normalise_email(email)


def pending_email(request) -> str | None:
    return request.session.get(PENDING_KEY)


def mark_verified(request, email: str) -> None:
    # A new session key at the moment of proof, so a key planted before it
    # (session fixation) never gains access. The cart and a staff sign-in stay.
    request.session.cycle_key()
    request.session.pop(PENDING_KEY, None)
    request.session[VERIFIED_KEY] = normalise_email(email)


def sign_out(request) -> None:
    """Forget the address only: the cart and a staff member's sign-in are not ours."""
    request.session.pop(VERIFIED_KEY, None)
    request.session.pop(PENDING_KEY, None)
    request.session.cycle_key()
