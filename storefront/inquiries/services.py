"""Business steps of inquiries: save what the buyer asked, mail it, answer it.

State is committed before any task is queued; every mail step is idempotent (a
"sent" time written under a row lock), so a redelivered or duplicated task
never mails twice.
"""

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, override

from reports.models import LicenseOption, Report
from storefront.inquiries import conversation
from storefront.inquiries.models import (
    AWAITING_SALES,
    Inquiry,
    InquiryKind,
    InquiryReply,
    InquiryStatus,
    ReplyStatus,
)
from storefront.orders import services as order_services
from storefront.orders.cart import CartLine
from storefront.orders.mail import absolute_url, build_message
from storefront.orders.models import Order, PaymentMethod
from storefront.queueing import delay_or_leave_to_sweep

logger = logging.getLogger(__name__)

# Letters and digits that cannot be misread for one another on the phone.
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
SAMPLE_LINK_SALT = "storefront.inquiries.sample-link"


class InquiryError(Exception):
    """A business rule refused the step; the message is safe to show to staff."""


@dataclass(frozen=True)
class Contact:
    """Who asks: the buyer's details as typed in the form."""

    name: str
    email: str
    company: str
    job_title: str
    country: str
    phone: str = ""


def _title_in(report: Report | None, language: str) -> str:
    if report is None:
        return ""
    return report.safe_translation_getter("title", language_code=language, any_language=True) or ""


def _new_reference() -> str:
    suffix = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(4))
    return f"Q-{timezone.now():%y%m%d}-{suffix}"


# --- Submission -------------------------------------------------------------------------


@transaction.atomic
def submit_inquiry(
    *,
    contact: Contact,
    kind: str,
    message: str,
    report: Report | None,
    language: str,
    source_page: str = "",
    ip_address: str | None = None,
) -> Inquiry:
    """Save a new inquiry with a fresh reference; queue its two mails once committed.

    The acknowledgement to the buyer and the notice to sales are queued after
    commit; when the broker is down they stay pending and the sweep sends them.
    """
    inquiry = Inquiry(
        kind=kind,
        report=report,
        report_title=_title_in(report, language),
        name=contact.name,
        email=contact.email,
        company=contact.company,
        job_title=contact.job_title,
        country=contact.country,
        phone=contact.phone,
        message=message,
        consent_given_at=timezone.now(),
        language=language,
        source_page=source_page[:500],
        ip_address=ip_address,
    )
    for _attempt in range(5):
        inquiry.reference = _new_reference()
        try:
            with transaction.atomic():
                inquiry.save()
            break
        except IntegrityError:
            # A random reference collided with an existing one: draw again.
            inquiry.pk = None
            inquiry._state.adding = True
    else:
        raise InquiryError("Could not allocate an inquiry reference.")
    inquiry_id = inquiry.pk
    transaction.on_commit(lambda: queue_inquiry_mails(inquiry_id=inquiry_id))
    return inquiry


def queue_inquiry_mails(*, inquiry_id: int, acknowledgement: bool = True, notice: bool = True):
    """Hand the two mails to Celery; never raises, so the buyer still gets the thank-you page."""
    from storefront.inquiries import tasks

    for wanted, task in (
        (acknowledgement, tasks.send_acknowledgement_task),
        (notice, tasks.send_sales_notice_task),
    ):
        if wanted:
            delay_or_leave_to_sweep(task, inquiry_id)


# --- Mail to the buyer and to sales -------------------------------------------------------


def _one_line(subject: str) -> str:
    # A subject is one line whatever the buyer typed.
    return " ".join(subject.split())


@transaction.atomic
def send_acknowledgement(*, inquiry_id: int) -> bool:
    """Mail the buyer, in their language, that the inquiry arrived and its reference; once.

    Returns False when it was sent before (a retried or duplicated task).
    """
    inquiry = Inquiry.objects.select_for_update().get(pk=inquiry_id)
    if inquiry.acknowledged_at is not None:
        return False
    with override(inquiry.language):
        subject = gettext("We have received your inquiry %(reference)s") % {
            "reference": inquiry.reference
        }
    message = build_message(
        template="inquiry_acknowledgement",
        subject=subject,
        to=[inquiry.email],
        language=inquiry.language,
        context={"inquiry": inquiry, "kind": _kind_label(inquiry)},
    )
    message.send()
    inquiry.acknowledged_at = timezone.now()
    inquiry.save(update_fields=["acknowledged_at", "updated_at"])
    return True


send_acknowledgement.alters_data = True


@transaction.atomic
def send_sales_notice(*, inquiry_id: int) -> bool:
    """Mail SALES_EMAIL a notice with a link to the inquiry in the admin; once.

    Reply-To is the buyer, so a quick answer from the mail client reaches them.
    """
    inquiry = Inquiry.objects.select_for_update().get(pk=inquiry_id)
    if inquiry.sales_notified_at is not None:
        return False
    # Sales staff read the shop's default language, whatever the buyer's.
    language = settings.LANGUAGE_CODE
    with override(language):
        subject = gettext("[%(reference)s] %(kind)s from %(name)s, %(company)s") % {
            "reference": inquiry.reference,
            "kind": _kind_label(inquiry, language),
            "name": inquiry.name,
            "company": inquiry.company,
        }
    message = build_message(
        template="inquiry_sales_notice",
        subject=_one_line(subject),
        to=[settings.SALES_EMAIL],
        language=language,
        context={
            "inquiry": inquiry,
            "kind": _kind_label(inquiry, language),
            "admin_url": absolute_url(
                reverse("admin:inquiries_inquiry_change", args=[inquiry.pk])
            ),
        },
    )
    message.reply_to = [inquiry.email]
    message.send()
    inquiry.sales_notified_at = timezone.now()
    inquiry.save(update_fields=["sales_notified_at", "updated_at"])
    return True


send_sales_notice.alters_data = True


def _kind_label(inquiry: Inquiry, language: str | None = None) -> str:
    with override(language or inquiry.language):
        return str(inquiry.get_kind_display())


def flag_inquiry(inquiry: Inquiry, reason: str) -> Inquiry:
    """Mark an inquiry for staff attention, keeping earlier reasons."""
    inquiry.needs_attention = True
    stamp = timezone.now().strftime("%Y-%m-%d %H:%M")
    inquiry.attention_reason = f"{inquiry.attention_reason}\n[{stamp}] {reason}".strip()
    inquiry.save(update_fields=["needs_attention", "attention_reason", "updated_at"])
    logger.warning("inquiry %s flagged: %s", inquiry.reference, reason)
    return inquiry


flag_inquiry.alters_data = True


@transaction.atomic
def mark_mail_failed(*, inquiry_id: int, reason: str) -> Inquiry:
    """After the last retry: the sweep leaves the inquiry alone and staff see it flagged."""
    inquiry = Inquiry.objects.select_for_update().get(pk=inquiry_id)
    inquiry.mail_failed_at = timezone.now()
    inquiry.save(update_fields=["mail_failed_at", "updated_at"])
    return flag_inquiry(inquiry, f"Mail failed: {reason}")


@transaction.atomic
def retry_mail(*, inquiry_id: int) -> bool:
    """Staff: try the pending mails of a flagged inquiry again. False when nothing is pending."""
    inquiry = Inquiry.objects.select_for_update().get(pk=inquiry_id)
    pending_ack = inquiry.acknowledged_at is None
    pending_notice = inquiry.sales_notified_at is None
    failed_replies = list(
        InquiryReply.objects.filter(inquiry=inquiry, status=ReplyStatus.FAILED).values_list(
            "pk", flat=True
        )
    )
    if not (pending_ack or pending_notice or failed_replies):
        return False
    inquiry.mail_failed_at = None
    inquiry.save(update_fields=["mail_failed_at", "updated_at"])
    InquiryReply.objects.filter(pk__in=failed_replies).update(status=ReplyStatus.QUEUED)
    transaction.on_commit(
        lambda: queue_inquiry_mails(
            inquiry_id=inquiry_id, acknowledgement=pending_ack, notice=pending_notice
        )
    )
    for reply_id in failed_replies:
        transaction.on_commit(lambda reply_id=reply_id: queue_reply_mail(reply_id=reply_id))
    return True


retry_mail.alters_data = True


def inquiries_with_pending_mail(*, older_than: timedelta):
    """(id, acknowledgement pending, notice pending) of inquiries whose mail never went."""
    return Inquiry.objects.mail_pending().filter(
        created_at__lte=timezone.now() - older_than
    ).values_list("pk", "acknowledged_at", "sales_notified_at")


def replies_pending(*, older_than: timedelta):
    return InquiryReply.objects.filter(
        status=ReplyStatus.QUEUED, created_at__lte=timezone.now() - older_than
    ).values_list("pk", flat=True)


# --- Staff work -----------------------------------------------------------------------------


def assign_inquiries(*, inquiry_ids, user) -> int:
    """Give inquiries to a staff user; new ones become open. Returns how many."""
    with transaction.atomic():
        now = timezone.now()
        count = Inquiry.objects.filter(pk__in=inquiry_ids).update(assignee=user, updated_at=now)
        Inquiry.objects.filter(pk__in=inquiry_ids, status=InquiryStatus.NEW).update(
            status=InquiryStatus.OPEN, updated_at=now
        )
    return count


assign_inquiries.alters_data = True


def close_inquiries(*, inquiry_ids) -> int:
    return Inquiry.objects.filter(pk__in=inquiry_ids).exclude(status=InquiryStatus.CLOSED).update(
        status=InquiryStatus.CLOSED, updated_at=timezone.now()
    )


close_inquiries.alters_data = True


@transaction.atomic
def queue_reply(
    *, inquiry_id: int, author, body: str, include_sample_link: bool = False
) -> InquiryReply:
    """Save a staff reply as queued; it is mailed by a task once committed.

    The inquiry moves to answered (unless staff set another status) and is
    assigned to the author when nobody had it.
    """
    inquiry = Inquiry.objects.select_for_update().get(pk=inquiry_id)
    body = (body or "").strip()
    if not body:
        raise InquiryError(gettext("Write the reply before sending it."))
    if include_sample_link:
        check_sample_available(inquiry)
    reply = InquiryReply.objects.create(
        inquiry=inquiry, author=author, body=body, include_sample_link=include_sample_link
    )
    update_fields = ["updated_at"]
    if inquiry.status in AWAITING_SALES:
        inquiry.status = InquiryStatus.ANSWERED
        update_fields.append("status")
    if inquiry.assignee_id is None and author is not None:
        inquiry.assignee = author
        update_fields.append("assignee")
    inquiry.save(update_fields=update_fields)
    reply_id = reply.pk
    transaction.on_commit(lambda: queue_reply_mail(reply_id=reply_id))
    return reply


queue_reply.alters_data = True


def queue_reply_mail(*, reply_id: int) -> None:
    from storefront.inquiries.tasks import send_reply_task

    delay_or_leave_to_sweep(send_reply_task, reply_id)


@transaction.atomic
def send_reply(*, reply_id: int) -> bool:
    """Mail a queued reply to the buyer in their language, Reply-To sales; exactly once.

    The reply's row lock makes a concurrent duplicate wait and then find it sent.
    Returns False when it was sent before.
    """
    reply = InquiryReply.objects.select_for_update().get(pk=reply_id)
    if reply.status == ReplyStatus.SENT:
        return False
    inquiry = Inquiry.objects.select_related("report").get(pk=reply.inquiry_id)
    sample_url = sample_link(inquiry) if reply.include_sample_link else ""
    with override(inquiry.language):
        subject = gettext("Re: your inquiry %(reference)s") % {"reference": inquiry.reference}
    message = build_message(
        template="inquiry_reply",
        subject=subject,
        to=[inquiry.email],
        language=inquiry.language,
        context={
            "inquiry": inquiry,
            "reply": reply,
            "sample_url": sample_url,
            "sample_link_days": settings.INQUIRY_SAMPLE_LINK_DAYS,
        },
    )
    message.reply_to = [conversation.reply_address(inquiry)]
    message.send()
    reply.status = ReplyStatus.SENT
    reply.sent_at = timezone.now()
    reply.failed_at = None
    reply.last_error = ""
    reply.save(update_fields=["status", "sent_at", "failed_at", "last_error"])
    return True


send_reply.alters_data = True


@transaction.atomic
def mark_reply_failed(*, reply_id: int, reason: str) -> InquiryReply:
    """After the last retry: the reply shows as failed and its inquiry is flagged."""
    reply = InquiryReply.objects.select_for_update().get(pk=reply_id)
    if reply.status == ReplyStatus.SENT:
        return reply
    reply.status = ReplyStatus.FAILED
    reply.failed_at = timezone.now()
    reply.last_error = reason[:2000]
    reply.save(update_fields=["status", "failed_at", "last_error"])
    inquiry = Inquiry.objects.select_for_update().get(pk=reply.inquiry_id)
    flag_inquiry(inquiry, f"Reply failed: {reason}")
    return reply


# --- Sample links -----------------------------------------------------------------------------


def check_sample_available(inquiry: Inquiry) -> Report:
    report = inquiry.report
    if report is None or not report.sample_pdf:
        raise InquiryError(gettext("The report of this inquiry has no sample PDF to link to."))
    return report


def sample_link(inquiry: Inquiry) -> str:
    """An absolute, signed link to the report's sample PDF that expires after
    INQUIRY_SAMPLE_LINK_DAYS; in the buyer's language for the page it may show."""
    report = check_sample_available(inquiry)
    token = signing.TimestampSigner(salt=SAMPLE_LINK_SALT).sign_object(
        {"report": report.pk, "inquiry": inquiry.pk}
    )
    with override(inquiry.language):
        return absolute_url(reverse("inquiries:sample", kwargs={"token": token}))


class SampleLinkExpired(Exception):
    pass


def report_for_sample_token(token: str) -> Report | None:
    """The report a sample link is for; None for a forged link, SampleLinkExpired when old."""
    try:
        data = signing.TimestampSigner(salt=SAMPLE_LINK_SALT).unsign_object(
            token, max_age=timedelta(days=settings.INQUIRY_SAMPLE_LINK_DAYS)
        )
    except signing.SignatureExpired as error:
        raise SampleLinkExpired from error
    except signing.BadSignature:
        return None
    report = Report.objects.filter(pk=data.get("report")).first()
    if report is None or not report.sample_pdf:
        return None
    return report


# --- Quotations --------------------------------------------------------------------------------


@transaction.atomic
def create_quote_order(*, inquiry_id: int, license_option_id: int, actor) -> Order:
    """Turn a quotation request into an invoice order for one licence of its report.

    The order mails the buyer its pro-forma invoice itself (orders.place_order);
    the inquiry waits on the customer and links to the order. Once per inquiry.
    """
    inquiry = Inquiry.objects.select_for_update().get(pk=inquiry_id)
    if inquiry.kind != InquiryKind.QUOTATION:
        raise InquiryError(gettext("Only quotation requests can become invoice orders."))
    if inquiry.order_id is not None:
        raise InquiryError(gettext("This inquiry already has an invoice order."))
    option = (
        LicenseOption.objects.select_related("report")
        .filter(pk=license_option_id, report_id=inquiry.report_id)
        .first()
    )
    if option is None:
        raise InquiryError(gettext("Choose a licence of the inquiry's report."))
    order = order_services.place_order(
        lines=[CartLine(option)],
        buyer=order_services.Buyer(
            email=inquiry.email,
            full_name=inquiry.name,
            company=inquiry.company,
            country=inquiry.country,
        ),
        language=inquiry.language,
        payment_method=PaymentMethod.INVOICE,
    )
    inquiry.order = order
    inquiry.status = InquiryStatus.WAITING
    fields = ["order", "status", "updated_at"]
    if inquiry.assignee_id is None and actor is not None:
        inquiry.assignee = actor
        fields.append("assignee")
    inquiry.save(update_fields=fields)
    return order


create_quote_order.alters_data = True
