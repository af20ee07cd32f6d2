"""Inquiries: what a buyer asked, where it stands, and what sales staff answered."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from reports.models import Report


def new_public_token() -> str:
    return secrets.token_urlsafe(24)


class InquiryKind(models.TextChoices):
    GENERAL = "general", _("General question")
    QUESTION = "question", _("Question about a report")
    SAMPLE = "sample", _("Sample request")
    QUOTATION = "quotation", _("Quotation or invoice request")
    CUSTOMISATION = "customisation", _("Customisation request")


class InquiryStatus(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    WAITING = "waiting", _("Waiting on customer")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")


# Inquiries in these states are sales' move; they become overdue after INQUIRY_OVERDUE_HOURS.
AWAITING_SALES = (InquiryStatus.NEW, InquiryStatus.OPEN)


class InquiryQuerySet(models.QuerySet):
    def overdue(self, now=None):
        now = now or timezone.now()
        return self.filter(
            status__in=AWAITING_SALES,
            created_at__lte=now - timedelta(hours=settings.INQUIRY_OVERDUE_HOURS),
        )

    def mail_pending(self):
        """Buyer acknowledgement or sales notice not sent yet, and not given up on."""
        return self.filter(
            Q(acknowledged_at__isnull=True) | Q(sales_notified_at__isnull=True),
            mail_failed_at__isnull=True,
        )


class Inquiry(models.Model):
    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    # The thank-you page's address: unguessable, unlike the id or the reference.
    public_token = models.CharField(
        _("public token"), max_length=64, unique=True, default=new_public_token, editable=False
    )
    kind = models.CharField(_("kind"), max_length=20, choices=InquiryKind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=InquiryStatus.choices, default=InquiryStatus.NEW
    )
    report = models.ForeignKey(
        Report,
        verbose_name=_("report"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The title as the buyer read it, so mails and the queue need no translation lookup.
    report_title = models.CharField(_("report title"), max_length=300, blank=True)
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"))
    company = models.CharField(_("company"), max_length=200)
    job_title = models.CharField(_("job title"), max_length=200)
    country = models.CharField(_("country"), max_length=100)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    message = models.TextField(_("message"))
    consent_given_at = models.DateTimeField(_("consent to be contacted given"))
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    source_page = models.CharField(_("source page"), max_length=500, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_inquiries",
    )
    staff_note = models.TextField(
        _("internal note"), blank=True, help_text=_("Never shown or sent to the buyer.")
    )
    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("invoice order"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    acknowledged_at = models.DateTimeField(_("acknowledgement sent"), null=True, blank=True)
    sales_notified_at = models.DateTimeField(_("sales notice sent"), null=True, blank=True)
    mail_failed_at = models.DateTimeField(_("mail failed"), null=True, blank=True)
    needs_attention = models.BooleanField(_("needs attention"), default=False)
    attention_reason = models.TextField(_("why it needs attention"), blank=True)
    created_at = models.DateTimeField(_("received"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = InquiryQuerySet.as_manager()

    class Meta:
        verbose_name = _("inquiry")
        verbose_name_plural = _("inquiries")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="inquiry_status_created_idx"),
        ]
        permissions = [
            ("quote_inquiry", _("Can turn a quotation request into an invoice order")),
        ]

    def __str__(self):
        return self.reference

    def get_absolute_url(self):
        return reverse("inquiries:thanks", kwargs={"token": self.public_token})

    @property
    def age(self) -> timedelta:
        return timezone.now() - self.created_at

    @property
    def is_overdue(self) -> bool:
        return self.status in AWAITING_SALES and self.age >= timedelta(
            hours=settings.INQUIRY_OVERDUE_HOURS
        )


class ReplyStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class InquiryReply(models.Model):
    """A reply written by sales staff; saved first, then sent once by a task."""

    inquiry = models.ForeignKey(
        Inquiry, verbose_name=_("inquiry"), on_delete=models.CASCADE, related_name="replies"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    body = models.TextField(_("reply"))
    include_sample_link = models.BooleanField(
        _("include a link to the sample PDF"),
        default=False,
        help_text=_("A time-limited link to the report's sample (never the full report)."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ReplyStatus.choices, default=ReplyStatus.QUEUED
    )
    created_at = models.DateTimeField(_("written"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("reply")
        verbose_name_plural = _("replies")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "created_at"], name="reply_status_created_idx")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=ReplyStatus.SENT) | Q(sent_at__isnull=False),
                name="reply_sent_has_time",
            ),
        ]

    def __str__(self):
        when = self.sent_at or self.created_at
        moment = formats.date_format(timezone.localtime(when), "DATETIME_FORMAT") if when else ""
        return gettext("Reply by %(author)s, %(status)s %(when)s") % {
            "author": staff_name(self.author),
            "status": self.get_status_display().lower(),
            "when": moment,
        }


def staff_name(user) -> str:
    """How a staff member is named to colleagues: full name, else user name."""
    if user is None:
        return gettext("a former colleague")
    return user.get_full_name() or user.get_username()


class InquiryNote(models.Model):
    """An internal note on an inquiry: for colleagues only, never mailed to the buyer."""

    inquiry = models.ForeignKey(
        Inquiry, verbose_name=_("inquiry"), on_delete=models.CASCADE, related_name="notes"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    body = models.TextField(_("internal note"))
    created_at = models.DateTimeField(_("written"), auto_now_add=True)

    class Meta:
        verbose_name = _("internal note")
        verbose_name_plural = _("internal notes")
        ordering = ["created_at", "id"]

    def __str__(self):
        return gettext("Note by %(author)s") % {"author": staff_name(self.author)}


class InboundMessage(models.Model):
    """A buyer's e-mail answer, received through the mail provider's inbound webhook.

    Matched to its inquiry by the reply address (or the reference in the subject);
    one that matches none is kept too, without an inquiry, for sales to file.
    """

    inquiry = models.ForeignKey(
        Inquiry,
        verbose_name=_("inquiry"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="inbound_messages",
    )
    message_id = models.CharField(_("message id"), max_length=255, unique=True)
    from_email = models.CharField(_("from"), max_length=254)
    to = models.CharField(_("to"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body = models.TextField(_("message"))
    from_other_address = models.BooleanField(
        _("from another address"),
        default=False,
        help_text=_("Sent from an address other than the inquiry's: check who wrote it."),
    )
    received_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        verbose_name = _("buyer's e-mail reply")
        verbose_name_plural = _("buyers' e-mail replies")
        ordering = ["received_at", "id"]

    def __str__(self):
        return self.subject or self.from_email


class ReplyTemplate(models.Model):
    """A starting text for a reply, per kind of inquiry and language.

    Placeholders: {name}, {reference}, {report} (the report's title as the buyer saw it).
    """

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(
        _("kind of inquiry"),
        max_length=20,
        choices=InquiryKind.choices,
        blank=True,
        help_text=_("Empty: offered for every kind."),
    )
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    body = models.TextField(
        _("text"), help_text=_("Placeholders: {name}, {reference}, {report}.")
    )

    class Meta:
        verbose_name = _("reply template")
        verbose_name_plural = _("reply templates")
        ordering = ["language", "kind", "name"]

    def __str__(self):
        return self.name
