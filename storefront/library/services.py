"""Business steps of the library: one-time sign-ins by mail, and fresh links for a buyer."""

import enum
import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext, override

from storefront.delivery import services as delivery_services
from storefront.library.models import SignInRequest, link_digest
from storefront.orders.mail import absolute_url, build_message
from storefront.orders.models import Order
from storefront.queueing import delay_or_leave_to_sweep

logger = logging.getLogger(__name__)


def normalise_email(email: str) -> str:
    # Orders are matched case-insensitively; one spelling keeps the rows comparable.
    return email.strip().lower()


class SignIn(enum.Enum):
    VERIFIED = "verified"
    WRONG_CODE = "wrong_code"  # attempts remain
    NO_CODE = "no_code"  # expired, used, or locked by wrong codes: ask for a new one


def request_sign_in(*, email: str, language: str) -> SignInRequest:
    """Save a one-time sign-in for ``email`` and queue its mail after the commit.

    The same for every address, whether or not it has orders: the page that asked
    learns nothing, and the mailbox's owner signs in to an empty library. A broker
    outage leaves the mail to the sweep (sweep_unmailed_sign_ins).
    """
    sign_in = SignInRequest.objects.create(
        email=normalise_email(email),
        language=language,
        expires_at=timezone.now() + timedelta(minutes=settings.LIBRARY_SIGN_IN_CODE_MINUTES),
    )
    transaction.on_commit(lambda: _queue_mail(sign_in.pk))
    return sign_in


request_sign_in.alters_data = True


def _queue_mail(sign_in_id: int) -> None:
    from storefront.library.tasks import send_sign_in_mail_task  # tasks import this module

    delay_or_leave_to_sweep(send_sign_in_mail_task, sign_in_id)


@transaction.atomic
def send_sign_in_mail(*, sign_in_id: int) -> bool:
    """Mail the link and code in the language of the page that asked; once.

    Nothing is sent for a sign-in already mailed, used or expired (a retried,
    duplicated or late task). SMTP errors propagate for the task to retry.
    """
    sign_in = SignInRequest.objects.select_for_update().filter(pk=sign_in_id).first()
    if sign_in is None or sign_in.mailed_at is not None:
        return False
    if sign_in.used_at is not None or sign_in.expires_at <= timezone.now():
        return False
    with override(sign_in.language):
        subject = gettext("Your sign-in code: %(code)s") % {"code": sign_in.code}
        link = absolute_url(reverse("library:link", kwargs={"token": sign_in.link_token}))
        library_url = absolute_url(reverse("library:home"))
    message = build_message(
        template="library_sign_in",
        subject=subject,
        to=[sign_in.email],
        language=sign_in.language,
        context={
            "code": sign_in.code,
            "link": link,
            "library_url": library_url,
            "minutes": settings.LIBRARY_SIGN_IN_CODE_MINUTES,
        },
    )
    message.send()
    sign_in.mailed_at = timezone.now()
    sign_in.save(update_fields=["mailed_at"])
    return True


send_sign_in_mail.alters_data = True


def sign_in_with_code(*, email: str, code: str) -> SignIn:
    """Check a typed code against the address's usable sign-ins.

    A right code uses up every usable sign-in of the address (one sign-in, one
    proof). A wrong one counts against all of them, so after
    LIBRARY_SIGN_IN_CODE_ATTEMPTS wrong codes none works any more, however many
    mails were asked for.
    """
    code = "".join(code.split())
    with transaction.atomic():
        candidates = list(
            SignInRequest.objects.usable().select_for_update().filter(email=normalise_email(email))
        )
        if not candidates:
            return SignIn.NO_CODE
        # Compare with every candidate (no early exit) so timing tells nothing.
        matched = [c for c in candidates if constant_time_compare(c.code, code)]
        if matched:
            _use_up(normalise_email(email))
            return SignIn.VERIFIED
        SignInRequest.objects.filter(pk__in=[c.pk for c in candidates]).update(
            failed_attempts=F("failed_attempts") + 1
        )
    return SignIn.WRONG_CODE


sign_in_with_code.alters_data = True


def sign_in_with_link(*, token: str) -> str | None:
    """The address a mailed link proves, or None (unknown, expired, used or locked); once."""
    with transaction.atomic():
        sign_in = (
            SignInRequest.objects.usable()
            .select_for_update()
            .filter(link_digest=link_digest(token))
            .first()
        )
        if sign_in is None or not constant_time_compare(sign_in.link_token, token):
            return None
        _use_up(sign_in.email)
        return sign_in.email


sign_in_with_link.alters_data = True


def link_is_usable(*, token: str) -> SignInRequest | None:
    """The sign-in a link belongs to while it still works; reads only."""
    return SignInRequest.objects.usable().filter(link_digest=link_digest(token)).first()


def _use_up(email: str) -> None:
    SignInRequest.objects.usable().filter(email=email).update(used_at=timezone.now())


def unmailed_sign_ins(*, older_than: timedelta):
    """Sign-ins still usable whose mail never went (broker down, worker lost)."""
    return SignInRequest.objects.usable().filter(
        mailed_at__isnull=True, created_at__lte=timezone.now() - older_than
    ).values_list("pk", flat=True)


def delete_old_sign_ins(*, older_than: timedelta) -> int:
    """Forget sign-ins that ended long ago; they prove nothing any more."""
    deleted, _ = SignInRequest.objects.filter(expires_at__lte=timezone.now() - older_than).delete()
    return deleted


# --- Fresh links ---------------------------------------------------------------------


def request_fresh_links(*, email: str, order_number: str) -> str | None:
    """The signed-in buyer asks for fresh links to one of their delivered orders.

    Only an order bought with ``email`` (case-insensitively); the links go to the
    order's own address by the delivery worker, and the old links keep working until
    that mail has gone (delivery.services.request_fresh_links). Returns a
    delivery FreshLinks value, or None when the address has no such order. Raises
    delivery's AccessEnded after a dispute or a full refund.
    """
    order = (
        Order.objects.filter(number=order_number, email__iexact=normalise_email(email))
        .only("pk")
        .first()
    )
    if order is None:
        return None
    return delivery_services.request_fresh_links(
        order_id=order.pk, reason="buyer asked from the library"
    )


request_fresh_links.alters_data = True
