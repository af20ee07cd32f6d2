"""Where the buyer's questions go until the shop has its own contact forms."""

from urllib.parse import quote

from django.conf import settings


def contact_link(subject: str) -> str:
    """A mail link to the sales inbox with the subject filled in."""
    return f"mailto:{settings.SALES_EMAIL}?subject={quote(str(subject))}"
