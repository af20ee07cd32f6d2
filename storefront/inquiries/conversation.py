"""The conversation of an inquiry: the buyer's message, staff replies, internal notes
and the buyer's e-mail answers, as one thread; and the steps that add to it.

Buyers answer a reply by e-mail. With ``INQUIRY_REPLY_ADDRESS`` set, each reply's
Reply-To is that address tagged with the inquiry's unguessable token
(``replies+<token>@shop.example``); the mail provider posts what arrives there to the
shop's inbound webhook (django-anymail verifies the provider's signature), and
``record_inbound`` files it under its inquiry, once per Message-ID.
"""

import logging
import re
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from storefront.inquiries.models import (
    AWAITING_SALES,
    InboundMessage,
    Inquiry,
    InquiryNote,
    InquiryStatus,
    ReplyStatus,
    ReplyTemplate,
    staff_name,
)

logger = logging.getLogger(__name__)

# An inquiry's reference, as the reply mails' subjects carry it ("Q-261203-K7PX").
REFERENCE_IN_SUBJECT = re.compile(r"\b(Q-\d{6}-[A-Z0-9]{4})\b", re.IGNORECASE)
MAX_BODY = 100_000


class ConversationError(ValueError):
    """A step the conversation refuses, with a message for staff."""


# --- The thread ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ThreadItem:
    kind: str  # "buyer", "reply", "note" or "inbound"
    author: str
    when: datetime
    body: str
    state: str = ""  # a reply's delivery state, an inbound mail's warning


def thread(inquiry: Inquiry) -> list[ThreadItem]:
    """Everything said about the inquiry, oldest first (three queries)."""
    items = [ThreadItem("buyer", inquiry.name, inquiry.created_at, inquiry.message)]
    for reply in inquiry.replies.select_related("author"):
        state = reply.get_status_display()
        if reply.last_error and reply.status != ReplyStatus.SENT:
            state = f"{state}: {reply.last_error}"
        items.append(
            ThreadItem("reply", staff_name(reply.author), reply.sent_at or reply.created_at,
                       reply.body, state)
        )
    for note in inquiry.notes.select_related("author"):
        items.append(ThreadItem("note", staff_name(note.author), note.created_at, note.body))
    for message in inquiry.inbound_messages.all():
        warning = gettext("from another address: %(address)s") % {
            "address": message.from_email
        } if message.from_other_address else ""
        items.append(
            ThreadItem("inbound", message.from_email, message.received_at, message.body, warning)
        )
    return sorted(items, key=lambda item: item.when)


# --- Notes and templates ------------------------------------------------------------------


def add_note(*, inquiry_id: int, author, body: str) -> InquiryNote:
    body = (body or "").strip()
    if not body:
        raise ConversationError(gettext("Write the note before saving it."))
    return InquiryNote.objects.create(inquiry_id=inquiry_id, author=author, body=body)


def templates_for(inquiry: Inquiry) -> list[ReplyTemplate]:
    """The reply templates for this kind of inquiry (or any kind), in the buyer's language."""
    return list(
        ReplyTemplate.objects.filter(language=inquiry.language, kind__in=[inquiry.kind, ""])
    )


class _Placeholders(dict):
    def __missing__(self, key):
        return "{" + key + "}"  # an unknown placeholder stays as typed


def fill_template(template: ReplyTemplate, inquiry: Inquiry) -> str:
    values = _Placeholders(
        name=inquiry.name, reference=inquiry.reference, report=inquiry.report_title or ""
    )
    return template.body.format_map(values)


# --- Replies by e-mail --------------------------------------------------------------------


def reply_address(inquiry: Inquiry) -> str:
    """The Reply-To of staff replies: tagged with the inquiry's token, or sales."""
    address = settings.INQUIRY_REPLY_ADDRESS
    if not address:
        return settings.SALES_EMAIL
    local, _, domain = address.partition("@")
    return f"{local}+{inquiry.public_token}@{domain}"


def _inquiry_for(recipients: list[str], subject: str) -> Inquiry | None:
    configured = settings.INQUIRY_REPLY_ADDRESS
    if configured:
        local, _, domain = configured.lower().partition("@")
        pattern = re.compile(rf"^{re.escape(local)}\+([\w-]+)@{re.escape(domain)}$")
        for recipient in recipients:
            match = pattern.match((recipient or "").strip().lower())
            if match:
                found = Inquiry.objects.filter(public_token__iexact=match.group(1)).first()
                if found:
                    return found
    match = REFERENCE_IN_SUBJECT.search(subject or "")
    if match:
        return Inquiry.objects.filter(reference__iexact=match.group(1)).first()
    return None


@transaction.atomic
def record_inbound(
    *, message_id: str, from_email: str, recipients: list[str], subject: str, body: str
) -> InboundMessage | None:
    """File a buyer's e-mail under its inquiry; the inquiry is sales' move again.

    Idempotent on the Message-ID (providers retry webhooks): a second delivery
    returns None and changes nothing. A message that matches no inquiry is kept
    without one, never dropped.
    """
    message_id = (message_id or "").strip()[:255]
    if not message_id:
        raise ConversationError("An inbound message without a Message-ID cannot be deduplicated.")
    if InboundMessage.objects.filter(message_id=message_id).exists():
        return None
    inquiry = _inquiry_for(recipients, subject)
    if inquiry is not None:
        inquiry = Inquiry.objects.select_for_update().get(pk=inquiry.pk)
    from_email = (from_email or "").strip()[:254]
    try:
        with transaction.atomic():
            message = InboundMessage.objects.create(
                inquiry=inquiry,
                message_id=message_id,
                from_email=from_email,
                to=", ".join(recipients)[:254],
                subject=(subject or "")[:300],
                body=(body or "").strip()[:MAX_BODY],
                from_other_address=bool(
                    inquiry and from_email.lower() != inquiry.email.lower()
                ),
            )
    except IntegrityError:  # the same message, delivered twice at once
        return None
    if inquiry is None:
        logger.warning("inbound mail %s matches no inquiry; kept for sales", message_id)
        return message
    if inquiry.status not in AWAITING_SALES:
        inquiry.status = InquiryStatus.OPEN
        inquiry.save(update_fields=["status", "updated_at"])
    return message


def on_inbound(sender, event, esp_name, **kwargs):
    """django-anymail's ``inbound`` signal: the provider's verified request, parsed."""
    message = event.message
    text = message.stripped_text or message.text or ""
    recipients = [message.envelope_recipient or ""] + [
        address.addr_spec for address in (message.to or [])
    ]
    record_inbound(
        message_id=message.get("Message-ID") or f"{esp_name}:{event.event_id}",
        from_email=(
            message.from_email.addr_spec if message.from_email else message.envelope_sender or ""
        ),
        recipients=[address for address in recipients if address],
        subject=message.subject or "",
        body=text,
    )
