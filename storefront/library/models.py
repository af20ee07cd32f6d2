"""One-time sign-ins to the buyer's library."""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

CODE_DIGITS = 6


def new_nonce() -> str:
    return secrets.token_urlsafe(32)


def link_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SignInRequestQuerySet(models.QuerySet):
    def usable(self, now=None):
        """Not used, not expired, not locked by too many wrong codes."""
        return self.filter(
            used_at__isnull=True,
            expires_at__gt=now or timezone.now(),
            failed_attempts__lt=settings.LIBRARY_SIGN_IN_CODE_ATTEMPTS,
        )


class SignInRequest(models.Model):
    """A sign-in link and code mailed to one address; each works once, for a short time.

    Neither the code nor the link is stored: both are HMACs of ``nonce`` under the
    SECRET_KEY, so a copy of the database (or of the broker, which only sees this
    row's id) signs nobody in, while the mail task can rebuild them for a retry.
    The link's SHA-256 is kept to find the row it belongs to.
    """

    email = models.EmailField(_("email"), db_index=True)  # lower-cased
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    nonce = models.CharField(max_length=64, default=new_nonce, editable=False)
    link_digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    mailed_at = models.DateTimeField(_("mailed"), null=True, blank=True)
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(_("wrong codes"), default=0)

    objects = SignInRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("library sign-in")
        verbose_name_plural = _("library sign-ins")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.email} {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if not self.link_digest:
            self.link_digest = link_digest(self.link_token)
        super().save(*args, **kwargs)

    @property
    def code(self) -> str:
        digest = salted_hmac("library.sign-in.code", self.nonce, algorithm="sha256").hexdigest()
        value = int(digest, 16)
        return f"{value % 10**CODE_DIGITS:0{CODE_DIGITS}d}"

    @property
    def link_token(self) -> str:
        return salted_hmac("library.sign-in.link", self.nonce, algorithm="sha256").hexdigest()
