from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.forms.models import BaseInlineFormSet
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.timesince import timesince
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from reports.models import LicenseOption
from storefront.inquiries import conversation, services
from storefront.inquiries.models import (
    InboundMessage,
    Inquiry,
    InquiryKind,
    InquiryNote,
    InquiryReply,
    ReplyTemplate,
)

SALES_GROUP = "Sales"


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Overdue")), ("no", _("Not overdue"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.overdue()
        if self.value() == "no":
            return queryset.exclude(pk__in=Inquiry.objects.overdue().values("pk"))
        return queryset


class AssigneeFilter(admin.SimpleListFilter):
    title = _("assignee")
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return [("me", _("Assigned to me")), ("nobody", _("Unassigned"))]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.filter(assignee=request.user)
        if self.value() == "nobody":
            return queryset.filter(assignee__isnull=True)
        return queryset


class ReplyFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        for form in self.extra_forms:
            if form.has_changed() and form.cleaned_data.get("include_sample_link"):
                try:
                    services.check_sample_available(self.instance)
                except services.InquiryError as error:
                    form.add_error("include_sample_link", str(error))


class ComposeInline(admin.StackedInline):
    """A form for one new entry; those written before are in the conversation thread."""

    template = "admin/inquiries/inquiry/compose_inline.html"
    extra = 1
    max_num = 1
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).none()

    def has_change_permission(self, request, obj=None):
        return False  # once written, it is what the buyer received, or the record

    def has_delete_permission(self, request, obj=None):
        return False


class InquiryReplyInline(ComposeInline):
    model = InquiryReply
    formset = ReplyFormSet
    fields = ["body", "include_sample_link"]
    verbose_name = _("reply to the buyer (e-mailed in their language)")
    verbose_name_plural = _("replies")


class InquiryNoteInline(ComposeInline):
    model = InquiryNote
    fields = ["body"]
    verbose_name = _("add a note to the thread (colleagues only, never sent)")
    verbose_name_plural = _("internal notes")


@admin.register(Inquiry)
class InquiryAdmin(admin.ModelAdmin):
    # Fits 1366 px beside the navigation and filters (tests/e2e/test_sales_desk.py).
    list_display = [
        "reference", "received", "kind", "status", "report_code", "buyer", "assignee",
        "needs_attention",
    ]  # fmt: skip
    list_filter = [
        "status", "kind", OverdueFilter, AssigneeFilter, "needs_attention", "language",
    ]  # fmt: skip
    list_select_related = ["report", "assignee"]
    search_fields = [
        "reference", "email", "name", "company", "message", "report__product_code", "report_title",
    ]  # fmt: skip
    date_hierarchy = "created_at"
    readonly_fields = [
        "reference", "kind", "report_page", "report_title", "name", "email", "company",
        "job_title", "country", "phone", "message", "language", "source_page", "consent_given_at",
        "created_at", "updated_at", "acknowledged_at", "sales_notified_at", "mail_failed_at",
        "attention_reason", "ip_address", "quotation",
    ]  # fmt: skip
    fieldsets = [
        (
            _("Inquiry"),
            {"fields": ["reference", "kind", "status", "assignee", "report_page", "report_title"]},
        ),
        (_("Message"), {"fields": ["message", "staff_note"]}),
        (
            _("Buyer"),
            {"fields": ["name", "email", "company", "job_title", "country", "phone", "language"]},
        ),
        (_("Quotation"), {"fields": ["quotation"]}),
        (_("Attention"), {"fields": ["needs_attention", "attention_reason"]}),
        (
            _("Times and origin"),
            {
                "fields": [
                    "created_at", "updated_at", "acknowledged_at", "sales_notified_at",
                    "mail_failed_at", "consent_given_at", "source_page", "ip_address",
                ]  # fmt: skip
            },
        ),
    ]
    inlines = [InquiryReplyInline, InquiryNoteInline]
    change_form_template = "admin/inquiries/inquiry/change_form.html"
    actions = ["assign_to_me", "close_inquiries", "retry_mail"]

    class Media:
        css = {"all": ["inquiries/admin.css", "css/admin-lists.css"]}

    def has_add_permission(self, request):
        return False  # inquiries come from the contact form only

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assignee":
            # Inquiries are answered by sales: editors and administrators are not offered.
            kwargs["queryset"] = (
                get_user_model()
                .objects.filter(is_staff=True, is_active=True)
                .filter(
                    Q(groups__name=SALES_GROUP)
                    | Q(pk__in=Inquiry.objects.filter(assignee__isnull=False).values("assignee"))
                )
                .distinct()
                .order_by("first_name", "last_name", "username")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        inquiry = self.get_object(request, object_id)
        if inquiry is not None:
            extra_context = {
                **(extra_context or {}),
                "thread": conversation.thread(inquiry),
                "reply_templates": conversation.templates_for(inquiry),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        template_id = request.GET.get("reply_template", "")
        if isinstance(inline, InquiryReplyInline) and obj is not None and template_id.isdigit():
            template = ReplyTemplate.objects.filter(pk=template_id).first()
            if template is not None:
                kwargs["initial"] = [{"body": conversation.fill_template(template, obj)}]
        return kwargs

    @admin.display(description=_("age"), ordering="created_at")
    def age(self, inquiry):
        age = timesince(inquiry.created_at, timezone.now(), depth=1)
        if inquiry.is_overdue:
            return format_html(
                '<span class="inquiry-overdue" title="{}">{}</span>', _("Overdue"), age
            )
        return age

    @admin.display(description=_("received"), ordering="created_at")
    def received(self, inquiry):
        """How long ago (overdue ones stand out), with the date and time below."""
        when = formats.date_format(timezone.localtime(inquiry.created_at), "SHORT_DATETIME_FORMAT")
        return format_html('{}<span class="list-secondary">{}</span>', self.age(inquiry), when)

    @admin.display(description=_("report"), ordering="report__product_code")
    def report_code(self, inquiry):
        return inquiry.report.product_code if inquiry.report else "-"

    @admin.display(description=_("report"))
    def report_page(self, inquiry):
        # The public page in the buyer's language: sales staff answer from what the
        # buyer saw, and they have no access to the catalogue's admin pages.
        report = inquiry.report
        if report is None:
            return "-"
        if not report.is_visible():
            return str(report)
        with translation.override(inquiry.language or settings.LANGUAGE_CODE):
            url = report.get_absolute_url()
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, report)

    @admin.display(description=_("buyer"), ordering="company")
    def buyer(self, inquiry):
        return format_html(
            '{}<span class="list-secondary">{}</span>', inquiry.name, inquiry.company
        )

    @admin.display(description=_("invoice order"))
    def quotation(self, inquiry):
        if inquiry.order_id:
            return format_html(
                '<a href="{}">{}</a>',
                reverse("admin:orders_order_change", args=[inquiry.order_id]),
                _("Invoice order created: open it"),
            )
        if inquiry.kind != InquiryKind.QUOTATION:
            return "-"
        return format_html(
            '<a class="button" href="{}">{}</a> <a href="{}">{}</a>',
            reverse("admin:quotes_quote_from_inquiry", args=[inquiry.pk]),
            _("Prepare a quote (lines, discount, currency)"),
            reverse("admin:inquiries_inquiry_quote", args=[inquiry.pk]),
            _("or an invoice order at the list price"),
        )

    @admin.action(description=_("Assign to me"), permissions=["change"])
    def assign_to_me(self, request, queryset):
        count = services.assign_inquiries(
            inquiry_ids=list(queryset.values_list("pk", flat=True)), user=request.user
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d inquiry assigned to you.", "%(count)d inquiries assigned to you.", count
            )
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Close selected inquiries"), permissions=["change"])
    def close_inquiries(self, request, queryset):
        count = services.close_inquiries(inquiry_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request,
            ngettext("%(count)d inquiry closed.", "%(count)d inquiries closed.", count)
            % {"count": count},
        )

    @admin.action(description=_("Send failed or pending mail again"), permissions=["change"])
    def retry_mail(self, request, queryset):
        inquiry_ids = list(queryset.values_list("pk", flat=True))
        count = sum(services.retry_mail(inquiry_id=pk) for pk in inquiry_ids)
        self.message_user(
            request,
            ngettext(
                "Mail queued again for %(count)d inquiry.",
                "Mail queued again for %(count)d inquiries.",
                count,
            )
            % {"count": count},
        )

    def save_formset(self, request, form, formset, change):
        if formset.model is InquiryNote:
            for note in formset.save(commit=False):
                conversation.add_note(inquiry_id=form.instance.pk, author=request.user, body=note.body)
            return None
        if formset.model is not InquiryReply:
            return super().save_formset(request, form, formset, change)
        # New replies go through the service: saved as queued, mailed by a task on commit.
        for reply in formset.save(commit=False):
            if reply.pk is None:
                services.queue_reply(
                    inquiry_id=form.instance.pk,
                    author=request.user,
                    body=reply.body,
                    include_sample_link=reply.include_sample_link,
                )
                self.message_user(
                    request,
                    _("Your reply is queued and will be e-mailed in a moment."),
                    messages.SUCCESS,
                )

    # --- Quotation → invoice order ---------------------------------------------------

    def get_urls(self):
        return [
            path(
                "<int:inquiry_id>/quote/",
                self.admin_site.admin_view(self.quote_view),
                name="inquiries_inquiry_quote",
            ),
            *super().get_urls(),
        ]

    def quote_view(self, request, inquiry_id):
        if not request.user.has_perm("inquiries.quote_inquiry"):
            raise PermissionDenied
        inquiry = self.get_object(request, inquiry_id)
        if inquiry is None:
            return redirect("admin:inquiries_inquiry_changelist")
        change_url = reverse("admin:inquiries_inquiry_change", args=[inquiry.pk])
        if request.method == "POST":
            try:
                order = services.create_quote_order(
                    inquiry_id=inquiry.pk,
                    license_option_id=int(request.POST.get("license_option") or 0),
                    actor=request.user,
                )
            except ValueError:
                messages.error(request, _("Choose a licence."))
            except services.InquiryError as error:
                messages.error(request, str(error))
            else:
                messages.success(
                    request,
                    _(
                        "Invoice order %(number)s created; the pro-forma invoice is e-mailed "
                        "to the buyer."
                    )
                    % {"number": order.number},
                )
                return redirect(change_url)
        options = (
            list(LicenseOption.objects.filter(report_id=inquiry.report_id).order_by("price"))
            if inquiry.report_id
            else []
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "inquiry": inquiry,
            "options": options,
            "title": _("Invoice order for inquiry %(reference)s")
            % {"reference": inquiry.reference},
            "change_url": change_url,
        }
        return render(request, "inquiries/admin_quote.html", context)



@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "language"]
    list_filter = ["language", "kind"]
    search_fields = ["name", "body"]


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    """Buyers' e-mail answers; those matching no inquiry wait here for sales."""

    list_display = ["received_at", "from_email", "subject", "inquiry", "from_other_address"]
    list_filter = [("inquiry", admin.EmptyFieldListFilter), "from_other_address"]
    list_select_related = ["inquiry"]
    search_fields = ["from_email", "subject", "body", "inquiry__reference"]
    readonly_fields = [
        "received_at", "from_email", "to", "subject", "body", "message_id", "from_other_address",
    ]  # fmt: skip
    fields = ["inquiry", *readonly_fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
