"""Licensed copies and the links that hand them out."""

import secrets

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reports.storage import private_storage
from storefront.orders.models import Order, OrderLine, Seat


def new_download_token() -> str:
    return secrets.token_urlsafe(32)


def new_licence_id() -> str:
    return f"L-{secrets.token_hex(6).upper()}"


class StampedCopyQuerySet(models.QuerySet):
    def of_order(self, order_id: int):
        """The buyer's copies and the seat holders' copies of an order."""
        return self.filter(Q(line__order_id=order_id) | Q(seat__order_id=order_id))


class StampedCopy(models.Model):
    """The PDF of one order line, stamped with its licence; made once.

    Either the buyer's copy of a line (``line``) or a seat holder's (``seat``, one per
    holder the seat has had: ``seat_revision``), never both.
    """

    line = models.OneToOneField(
        OrderLine,
        verbose_name=_("order line"),
        on_delete=models.CASCADE,
        related_name="copy",
        null=True,
        blank=True,
    )
    seat = models.ForeignKey(
        Seat,
        verbose_name=_("named seat"),
        on_delete=models.CASCADE,
        related_name="copies",
        null=True,
        blank=True,
    )
    seat_revision = models.PositiveIntegerField(_("holder number"), null=True, blank=True)
    licence_id = models.CharField(_("licence id"), max_length=20, unique=True)
    file = models.FileField(_("file"), storage=private_storage, upload_to="stamped/")
    pages = models.PositiveIntegerField(_("pages"))
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = StampedCopyQuerySet.as_manager()

    class Meta:
        verbose_name = _("stamped copy")
        verbose_name_plural = _("stamped copies")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(line__isnull=False, seat__isnull=True, seat_revision__isnull=True)
                    | Q(line__isnull=True, seat__isnull=False, seat_revision__isnull=False)
                ),
                name="stampedcopy_buyer_or_seat",
            ),
            models.UniqueConstraint(
                fields=["seat", "seat_revision"], name="stampedcopy_one_per_seat_holder"
            ),
        ]

    def __str__(self):
        return self.licence_id

    @property
    def order_line(self) -> OrderLine:
        return self.line if self.line_id else self.seat.line

    @property
    def order(self) -> Order:
        return self.line.order if self.line_id else self.seat.order


class DownloadGrantQuerySet(models.QuerySet):
    def of_order(self, order_id: int):
        """Links to the buyer's and the seat holders' copies of an order."""
        return self.filter(Q(copy__line__order_id=order_id) | Q(copy__seat__order_id=order_id))

    def usable(self, now=None):
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=now, downloads_left__gt=0)


class DownloadGrant(models.Model):
    """A link to a stamped copy: unguessable, expiring, counted, revocable."""

    copy = models.ForeignKey(
        StampedCopy, verbose_name=_("stamped copy"), on_delete=models.CASCADE, related_name="grants"
    )
    token = models.CharField(
        _("token"), max_length=64, unique=True, default=new_download_token, editable=False
    )
    expires_at = models.DateTimeField(_("expires"))
    downloads_left = models.PositiveIntegerField(_("downloads left"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoke_reason = models.CharField(_("why revoked"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = DownloadGrantQuerySet.as_manager()

    class Meta:
        verbose_name = _("download link")
        verbose_name_plural = _("download links")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(downloads_left__gte=0), name="downloadgrant_downloads_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.copy} · {self.token[:8]}…"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()


class DownloadLog(models.Model):
    grant = models.ForeignKey(
        DownloadGrant, verbose_name=_("download link"), on_delete=models.CASCADE, related_name="log"
    )
    downloaded_at = models.DateTimeField(_("time"), auto_now_add=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=400, blank=True)

    class Meta:
        verbose_name = _("download")
        verbose_name_plural = _("downloads")
        ordering = ["-downloaded_at", "-id"]

    def __str__(self):
        return f"{self.grant} {self.downloaded_at:%Y-%m-%d %H:%M}"
