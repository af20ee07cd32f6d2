"""Quotes in the admin: prepared from an inquiry, edited line by line, sent from their page."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.forms.models import BaseInlineFormSet
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from reports import currencies
from reports.formatting import format_amount
from reports.models import LicenseOption
from storefront.inquiries.models import Inquiry
from storefront.orders import tax_ids
from storefront.quotes import services
from storefront.quotes.models import Quote, QuoteLine, QuoteStatus


def _option_label(option: LicenseOption) -> str:
    return (
        f"{option.report.product_code} · {option.get_license_type_display()} · "
        f"{format_amount(option.price, option.currency)}"
    )


class LicenceChoiceField(forms.ModelChoiceField):
    """Its choices read once per page, not once per line (each inline form copies its
    fields, and a copied ModelChoiceField would query its choices again)."""

    def freeze_choices(self):
        self._frozen = list(self.choices)
        self.widget.choices = self._frozen

    def __deepcopy__(self, memo):
        result = super().__deepcopy__(memo)
        if hasattr(self, "_frozen"):
            result.widget.choices = self._frozen
        return result


class QuoteLineFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        quote = self.instance
        kept = 0
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or not form.cleaned_data:
                continue
            if form.cleaned_data.get("DELETE"):
                continue
            kept += 1
            fields = {
                name: form.cleaned_data.get(name)
                for name in ("license_option", "description", "price", "discount_percent",
                             "discount_amount")
            }  # fmt: skip
            line = services.prepare_line(QuoteLine(quote=quote, **fields))
            problem = services.line_problem(line, quote.currency)
            if problem:
                form.add_error(None, problem)


class QuoteLineInline(admin.TabularInline):
    model = QuoteLine
    formset = QuoteLineFormSet
    extra = 1
    fields = [
        "license_option", "description", "list_price_display", "price", "discount_percent",
        "discount_amount", "net_display",
    ]  # fmt: skip
    readonly_fields = ["list_price_display", "net_display"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("quote")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "license_option":
            # The licences of the inquiry's report and those already quoted: a short list
            # whatever the catalogue's size.
            quote_id = request.resolver_match.kwargs.get("object_id")
            quote = Quote.objects.filter(pk=quote_id).select_related("inquiry").first()
            report_ids = set()
            if quote is not None:
                if quote.inquiry and quote.inquiry.report_id:
                    report_ids.add(quote.inquiry.report_id)
                report_ids |= set(
                    quote.lines.exclude(report=None).values_list("report_id", flat=True)
                )
            kwargs["queryset"] = LicenseOption.objects.filter(
                report_id__in=report_ids
            ).select_related("report")
            kwargs["form_class"] = LicenceChoiceField
            field = super().formfield_for_foreignkey(db_field, request, **kwargs)
            field.label_from_instance = _option_label
            field.freeze_choices()
            return field
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("list price"))
    def list_price_display(self, line):
        return line.display(line.list_price) if line.pk and line.list_price is not None else "—"

    @admin.display(description=_("amount"))
    def net_display(self, line):
        return line.display_net if line.pk and line.price is not None else "—"

    # The lines are part of the quote: whoever may change the quote (Sales) edits,
    # adds and removes them, until it is accepted.
    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("quotes.change_quote") and (
            obj is None or obj.status != QuoteStatus.ACCEPTED
        )

    has_add_permission = has_delete_permission = has_change_permission

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("quotes.view_quote")


class QuoteStatusFilter(admin.SimpleListFilter):
    """By status as staff read it: a sent quote past its date is expired."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return QuoteStatus.choices

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == QuoteStatus.EXPIRED:
            return queryset.expired(today)
        if self.value() == QuoteStatus.SENT:
            return queryset.filter(status=QuoteStatus.SENT, valid_until__gte=today)
        if self.value() in (QuoteStatus.DRAFT, QuoteStatus.ACCEPTED):
            return queryset.filter(status=self.value())
        return queryset


class QuoteAdminForm(tax_ids.TaxIdFormMixin, forms.ModelForm):
    currency = forms.ChoiceField(label=_("currency"))

    class Meta:
        model = Quote
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = [(code, code) for code in currencies.sold_currencies()]


@admin.register(Quote)
class QuoteAdmin(admin.ModelAdmin):
    form = QuoteAdminForm
    list_display = [
        "number", "company", "status_column", "total_column", "valid_until", "order_link",
        "created_by",
    ]  # fmt: skip
    list_filter = [QuoteStatusFilter, "currency"]
    list_select_related = ["order", "created_by"]
    search_fields = ["number", "email", "company", "full_name", "po_number"]
    readonly_fields = [
        "number", "status_column", "inquiry_link", "order_link", "total_column", "sent_at",
        "mailed_at", "accepted_at", "created_by",
    ]  # fmt: skip
    fieldsets = [
        (_("Quote"), {"fields": [
            "number", "status_column", "inquiry_link", "order_link", "currency", "valid_until",
            "total_column", "note",
        ]}),  # fmt: skip
        (_("Buyer"), {"fields": [
            "full_name", "email", "company", "country", "vat_id", "po_number", "language",
        ]}),  # fmt: skip
        (_("Times"), {"fields": ["created_by", "sent_at", "mailed_at", "accepted_at"]}),
    ]
    inlines = [QuoteLineInline]
    change_form_template = "admin/quotes/quote/change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("lines")

    def has_add_permission(self, request):
        return False  # a quote starts from an inquiry

    def has_delete_permission(self, request, obj=None):
        return False  # a number once given stays

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (
            obj is None or obj.status != QuoteStatus.ACCEPTED
        )

    @admin.display(description=_("status"), ordering="status")
    def status_column(self, quote):
        return quote.get_effective_status_display()

    @admin.display(description=_("total"))
    def total_column(self, quote):
        return quote.display_total()

    @admin.display(description=_("order"))
    def order_link(self, quote):
        if not quote.order_id:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:orders_order_change", args=[quote.order_id]),
            quote.order.number,
        )

    @admin.display(description=_("inquiry"))
    def inquiry_link(self, quote):
        if not quote.inquiry_id:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:inquiries_inquiry_change", args=[quote.inquiry_id]),
            _("Open the inquiry"),
        )

    def save_formset(self, request, form, formset, change):
        lines = formset.save(commit=False)
        for line in formset.deleted_objects:
            line.delete()
        for line in lines:
            services.prepare_line(line)
            line.save()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        quote = self.get_object(request, object_id)
        extra_context = {
            **(extra_context or {}),
            "can_send": quote is not None
            and quote.status != QuoteStatus.ACCEPTED
            and self.has_change_permission(request, quote),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        return [
            path(
                "from-inquiry/<int:inquiry_id>/",
                self.admin_site.admin_view(self.from_inquiry_view),
                name="quotes_quote_from_inquiry",
            ),
            path(
                "<int:quote_id>/send/",
                self.admin_site.admin_view(self.send_view),
                name="quotes_quote_send",
            ),
            *super().get_urls(),
        ]

    def _page(self, request, template, **context):
        return render(
            request,
            f"admin/quotes/quote/{template}.html",
            {**self.admin_site.each_context(request), "opts": Quote._meta, **context},
        )

    def from_inquiry_view(self, request, inquiry_id):
        if not request.user.has_perm("quotes.change_quote"):
            raise PermissionDenied
        inquiry = get_object_or_404(Inquiry, pk=inquiry_id)
        if request.method == "POST":
            quote = services.create_quote_from_inquiry(inquiry_id=inquiry.pk, actor=request.user)
            messages.success(
                request,
                _("Quote %(number)s prepared as a draft: check the lines, then send it.")
                % {"number": quote.number},
            )
            return redirect("admin:quotes_quote_change", quote.pk)
        return self._page(
            request, "from_inquiry", inquiry=inquiry,
            quotes=list(Quote.objects.filter(inquiry=inquiry)),
            title=_("Quote for inquiry %(reference)s") % {"reference": inquiry.reference},
        )

    def send_view(self, request, quote_id):
        if not request.user.has_perm("quotes.change_quote"):
            raise PermissionDenied
        quote = get_object_or_404(Quote, pk=quote_id)
        change_url = reverse("admin:quotes_quote_change", args=[quote.pk])
        if request.method == "POST":
            try:
                services.send_quote(quote_id=quote.pk, actor=request.user)
            except services.QuoteError as error:
                messages.error(request, str(error))
            else:
                messages.success(
                    request,
                    _("Quote %(number)s is on its way to %(email)s with its PDF.")
                    % {"number": quote.number, "email": quote.email},
                )
            return redirect(change_url)
        return self._page(
            request, "send", quote=quote, change_url=change_url,
            total=quote.display_total(),
            title=_("Send quote %(number)s to the buyer?") % {"number": quote.number},
        )
