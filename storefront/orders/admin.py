from decimal import Decimal, InvalidOperation
from functools import partial

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.contenttypes import views as contenttype_views
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import formats, timezone, translation
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from reports.formatting import format_amount
from reports.models import Report

from storefront.forms import NameField
from storefront.orders import admin_steps, services, tax_ids
from storefront.orders.models import (
    Order,
    OrderLine,
    OrderStatus,
    OrderStatusChange,
    PaymentMethod,
    Seat,
)
from storefront.payments import services as payment_services
from storefront.payments import stripe_api
from storefront.payments.models import CheckoutSession, PaymentEvent, Refund


MANAGE_DOWNLOADS = "orders.manage_downloads"


def can_manage_downloads(user) -> bool:
    """Resend, renew or revoke a buyer's links, and see what opens them (the order's
    public token, "View on site"): the buyer's access, so not the Sales group's."""
    return user.has_perm(MANAGE_DOWNLOADS)


def view_on_site(request, content_type_id, object_id):
    """Django's admin "View on site" redirect (admin/r/…), which any staff member may
    follow, except to a buyer's order page without the manage_downloads permission:
    that page lists the buyer's download links."""
    content_type = ContentType.objects.filter(pk=content_type_id).first()
    if (
        content_type is not None
        and content_type.model_class() is Order
        and not can_manage_downloads(request.user)
    ):
        raise PermissionDenied
    return contenttype_views.shortcut(request, content_type_id, object_id)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class DeliveryFailedFilter(admin.SimpleListFilter):
    title = _("delivery")
    parameter_name = "delivery"

    def lookups(self, request, model_admin):
        return [
            ("failed", _("Delivery failed")),
            ("waiting", _("Paid, not yet delivered")),
            ("on_order", _("Waiting for a master PDF (delivered on order)")),
            ("overdue", _("Delivery on order overdue")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "on_order":
            return queryset.filter(status=OrderStatus.PAID, delivery_due_at__isnull=False)
        if self.value() == "overdue":
            return queryset.filter(status=OrderStatus.PAID, delivery_due_at__lt=timezone.now())
        if self.value() == "failed":
            return queryset.filter(delivery_failed_at__isnull=False)
        if self.value() == "waiting":
            return queryset.filter(status=OrderStatus.PAID)
        return queryset


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = ["product_code", "title_for_staff", "license_type", "price"]
    readonly_fields = fields

    def get_queryset(self, request):
        # The report's title in the staff member's language (English as the fallback),
        # in one query for all lines whatever their number.
        languages = {translation.get_language() or settings.LANGUAGE_CODE, settings.LANGUAGE_CODE}
        return (
            super()
            .get_queryset(request)
            .select_related("report")
            .prefetch_related(
                Prefetch(
                    "report__translations",
                    queryset=Report._parler_meta.root_model.objects.filter(
                        language_code__in=languages
                    ),
                )
            )
        )

    @admin.display(description=_("title"))
    def title_for_staff(self, line):
        if line.report is None:
            return line.title
        titles = {t.language_code: t.title for t in line.report.translations.all()}
        return titles.get(translation.get_language()) or titles.get(settings.LANGUAGE_CODE) or (
            line.title
        )

    @admin.display(description=_("price"))
    def price(self, line):
        return format_amount(line.unit_price, line.currency)


class SeatInline(ReadOnlyInline):
    """The named seats of the order's multi-user licences, each with its log."""

    model = Seat
    fields = [
        "line", "number", "holder_name", "holder_email", "reassignments", "invited_at", "history",
    ]  # fmt: skip
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("line").prefetch_related("changes")

    @admin.display(description=_("changes (who, when, from, to)"))
    def history(self, seat):
        return format_html_join(
            mark_safe("<br>"),
            "{} · {} · {} → {}",
            (
                (
                    f"{change.changed_at:%Y-%m-%d %H:%M}",
                    str(change.actor or change.source),
                    f"{change.from_name} <{change.from_email}>" if change.from_email else "—",
                    f"{change.to_name} <{change.to_email}>",
                )
                for change in seat.changes.all()
            ),
        )


class StatusChangeInline(ReadOnlyInline):
    model = OrderStatusChange
    fields = ["created_at", "change", "source", "actor", "note"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    @admin.display(description=_("change"))
    def change(self, row):
        return str(row)


class CheckoutSessionInline(ReadOnlyInline):
    model = CheckoutSession
    fields = [
        "attempt", "session_id", "payment_intent_id", "method_type", "amount", "currency",
        "expires_at",
    ]
    readonly_fields = fields


class PaymentEventInline(ReadOnlyInline):
    model = PaymentEvent
    fields = ["received_at", "event_type", "event_id", "outcome", "note"]
    readonly_fields = fields


class RefundInline(ReadOnlyInline):
    model = Refund
    fields = ["created_at", "refund_id", "amount", "currency", "requested_by"]
    readonly_fields = fields


class OrderAdminForm(tax_ids.TaxIdFormMixin, forms.ModelForm):
    """Staff correcting a buyer's VAT id follow the checkout's rules: invoices print it."""

    class Meta:
        model = Order
        fields = "__all__"


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    form = OrderAdminForm
    # Fits 1366 px beside the navigation and filters: the buyer in one column, the
    # payment method under the status (tests/e2e/test_sales_desk.py measures it).
    list_display = [
        "number", "created_at", "buyer", "display_total", "status_column",
        "delivery_due_column", "needs_attention",
    ]  # fmt: skip
    list_filter = [
        "status", DeliveryFailedFilter, "payment_method", "needs_attention", "currency", "language",
    ]  # fmt: skip
    search_fields = ["number", "email", "company", "full_name", "po_number", "vat_id"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "number", "public_token", "status", "currency", "total_display", "refunded_display",
        "bank_payments_received",
        "payment_method", "language", "terms_accepted_at", "created_at", "updated_at",
        "paid_at", "proforma_sent_at", "delivery_due_at", "delivery_mailed_at",
        "delivery_failed_at", "proforma_failed_at", "fresh_links_requested_at",
        "fresh_links_reason", "access_ended_at", "access_ended_reason", "country_as_typed",
    ]  # fmt: skip
    fieldsets = [
        (_("Order"), {"fields": ["number", "status", "payment_method", "language", "public_token"]}),
        (_("Buyer"), {"fields": ["full_name", "email", "company", "site", "vat_id", "po_number"]}),
        (
            _("Billing address"),
            {
                "fields": [
                    "billing_line1", "billing_line2", "billing_postcode", "billing_city", "country",
                    "country_as_typed",
                ]  # fmt: skip
            },
        ),
        (
            _("Amounts"),
            {"fields": ["total_display", "bank_payments_received", "refunded_display"]},
        ),
        (_("Attention"), {"fields": ["needs_attention", "attention_reason"]}),
        (
            _("Access"),
            {
                "fields": [
                    "access_ended_at", "access_ended_reason", "fresh_links_requested_at",
                    "fresh_links_reason",
                ]  # fmt: skip
            },
        ),
        (
            _("Times"),
            {
                "fields": [
                    "created_at", "updated_at", "terms_accepted_at", "paid_at", "proforma_sent_at",
                    "proforma_failed_at", "delivery_due_at", "delivery_mailed_at",
                    "delivery_failed_at",
                ]  # fmt: skip
            },
        ),
    ]
    inlines = [
        OrderLineInline, SeatInline, StatusChangeInline, CheckoutSessionInline, PaymentEventInline,
        RefundInline,
    ]  # fmt: skip
    # Delivery adds its actions (deliver again, fresh links, revoke) from its admin.py.
    actions = ["mark_invoice_orders_paid", "cancel_unpaid_orders"]

    def has_add_permission(self, request):
        return False  # orders come from checkout only

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        # Staff correcting a licensee follow the checkout's rules: the stamp prints it.
        if db_field.name in ("full_name", "company", "site"):
            kwargs["form_class"] = NameField
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if can_manage_downloads(request.user):
            return fieldsets
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f != "public_token"]})
            for name, options in fieldsets
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            settle = admin_steps.can_settle(request.user) and admin_steps.awaits_bank_payment(obj)
            context.update(
                can_record_payment=settle,
                can_resend_proforma=settle,
                can_cancel=admin_steps.can_cancel_orders(request.user) and services.can_cancel(obj),
            )
        response = super().render_change_form(request, context, add, change, form_url, obj)
        if not can_manage_downloads(request.user):
            # "View on site" is the buyer's order page, keyed by the public token.
            response.context_data.update(has_absolute_url=False, absolute_url=None)
        return response

    def lookup_allowed(self, lookup, value, request=None):
        # ?public_token__startswith=… on the list would let anyone who sees the list
        # guess the token one character at a time.
        if lookup.split("__")[0] == "public_token":
            return False
        return super().lookup_allowed(lookup, value, request)

    def has_manage_downloads_permission(self, request):
        return can_manage_downloads(request.user)

    def has_delete_permission(self, request, obj=None):
        return False  # an order is a financial record

    class Media:
        css = {"all": ["css/admin-lists.css"]}

    @admin.display(description=_("buyer"), ordering="company")
    def buyer(self, order):
        return format_html(
            '{}<span class="list-secondary list-email">{}</span>', order.company, order.email
        )

    @admin.display(description=_("status"), ordering="status")
    def status_column(self, order):
        return format_html(
            '{}<span class="list-secondary">{}</span>',
            order.get_status_display(),
            order.get_payment_method_display(),
        )

    @admin.display(description=_("total"), ordering="total")
    def display_total(self, order):
        return order.display_total_exact

    @admin.display(description=_("total"))
    def total_display(self, order):
        return order.display_total_exact

    @admin.display(description=_("refunded"))
    def refunded_display(self, order):
        return format_amount(order.refunded_amount, order.currency)

    @admin.display(description=_("bank payments received"))
    def bank_payments_received(self, order):
        if order.payment_method != PaymentMethod.INVOICE:
            return self.get_empty_value_display()
        payments = list(order.bank_payments.select_related("recorded_by"))
        if not payments:
            return self.get_empty_value_display()
        return format_html_join(
            mark_safe("<br>"),
            "{} · {} · {} · {}",
            (
                (
                    formats.date_format(payment.received_on, "DATE_FORMAT"),
                    payment.display_amount,
                    payment.reference,
                    payment.recorded_by or "—",
                )
                for payment in payments
            ),
        )

    @admin.display(description=_("delivery due"), ordering="delivery_due_at")
    def delivery_due_column(self, order):
        """For a paid order waiting for a master PDF: when it is due; overdue stands out."""
        if order.status != OrderStatus.PAID or order.delivery_due_at is None:
            return self.get_empty_value_display()
        due = formats.date_format(timezone.localtime(order.delivery_due_at), "DATETIME_FORMAT")
        if order.delivery_due_at < timezone.now():
            return format_html(
                '<strong class="delivery-overdue">{} ({})</strong>', due, _("overdue")
            )
        return due

    @admin.action(description=_("Mark selected invoice orders paid"), permissions=["mark_paid"])
    def mark_invoice_orders_paid(self, request, queryset):
        done = 0
        for order in queryset.filter(
            payment_method=PaymentMethod.INVOICE, status=OrderStatus.AWAITING_INVOICE
        ):
            services.mark_order_paid(
                order_id=order.pk, source="admin: invoice paid", actor=request.user
            )
            done += 1
        skipped = queryset.count() - done
        self.message_user(
            request,
            ngettext("%(count)d invoice order marked paid.", "%(count)d invoice orders marked paid.", done)
            % {"count": done},
            messages.SUCCESS,
        )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d order skipped: only invoice orders awaiting payment can be marked paid.",
                    "%(count)d orders skipped: only invoice orders awaiting payment can be marked paid.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )

    def has_mark_paid_permission(self, request):
        return request.user.has_perm("orders.mark_invoice_paid")

    @admin.action(description=_("Cancel selected unpaid orders"), permissions=["change"])
    def cancel_unpaid_orders(self, request, queryset):
        cancelled = 0
        for order in queryset.filter(status__in=[OrderStatus.PENDING, OrderStatus.AWAITING_INVOICE]):
            services.cancel_order(order_id=order.pk, source="admin", actor=request.user)
            cancelled += 1
        self.message_user(
            request,
            ngettext("%(count)d order cancelled.", "%(count)d orders cancelled.", cancelled)
            % {"count": cancelled},
        )

    # --- Refunds: a page of their own, for users with the refund permission ---

    def get_urls(self):
        return [
            path(
                "<int:order_id>/refund/",
                self.admin_site.admin_view(self.refund_view),
                name="orders_order_refund",
            ),
            path(
                "<int:order_id>/bank-payment/",
                self.admin_site.admin_view(partial(admin_steps.record_bank_payment_view, self)),
                name="orders_order_bank_payment",
            ),
            path(
                "<int:order_id>/cancel/",
                self.admin_site.admin_view(partial(admin_steps.cancel_order_view, self)),
                name="orders_order_cancel",
            ),
            path(
                "<int:order_id>/resend-proforma/",
                self.admin_site.admin_view(partial(admin_steps.resend_proforma_view, self)),
                name="orders_order_resend_proforma",
            ),
            *super().get_urls(),
        ]

    def refund_view(self, request, order_id):
        if not request.user.has_perm("orders.refund_order"):
            raise PermissionDenied
        order = self.get_object(request, order_id)
        if order is None:
            return redirect("admin:orders_order_changelist")
        change_url = reverse("admin:orders_order_change", args=[order.pk])
        if request.method == "POST":
            try:
                amount = Decimal(request.POST.get("amount", "").strip())
                payment_services.refund_order(order_id=order.pk, amount=amount, actor=request.user)
            except (InvalidOperation, ValueError):
                messages.error(request, _("Enter the amount to refund as a number, e.g. 99.50."))
            except services.OrderError as error:
                messages.error(request, str(error))
            except stripe_api.PaymentError as error:
                messages.error(request, _("Stripe refused the refund: %(error)s") % {"error": error})
            else:
                messages.success(
                    request,
                    _("Refunded %(amount)s %(currency)s.")
                    % {"amount": amount, "currency": order.currency},
                )
                return redirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "order": order,
            "title": _("Refund order %(number)s") % {"number": order.number},
            "change_url": change_url,
        }
        return render(request, "admin/orders/order/refund.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        extra_context["can_refund"] = request.user.has_perm("orders.refund_order")
        return super().change_view(request, object_id, form_url, extra_context)
