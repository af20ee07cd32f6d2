"""Staff see every order's documents: lists of invoices and credit notes, their PDFs,
and both as inlines on the order's admin page."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from storefront.invoicing import documents, selectors
from storefront.invoicing.models import CreditNote, Invoice
from storefront.invoicing.views import pdf_response
from storefront.orders.models import Order, PaymentMethod


class ReadOnlyAdmin(admin.ModelAdmin):
    # Numbered documents are issued by the shop, never typed in, changed or deleted.
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _pdf_links(document) -> str:
    if isinstance(document, CreditNote):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:invoicing_creditnote_pdf", args=[document.pk]),
            _("Credit note (PDF)"),
        )
    links = format_html(
        '<a href="{}">{}</a>', reverse("admin:invoicing_invoice_pdf", args=[document.pk]),
        _("Invoice (PDF)"),
    )  # fmt: skip
    if document.order.payment_method == PaymentMethod.INVOICE:
        links += format_html(
            ' · <a href="{}">{}</a>',
            reverse("admin:invoicing_invoice_proforma", args=[document.pk]),
            _("Pro-forma invoice (PDF)"),
        )
    return links


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ["number", "issued_at", "order", "amount", "currency", "tax_amount", "pdf"]
    list_filter = ["year", "currency", "tax_exemption"]
    search_fields = ["number", "order__number", "order__company", "order__email"]
    list_select_related = ["order"]
    date_hierarchy = "issued_at"
    readonly_fields = [
        "number", "order", "issued_at", "amount", "currency", "tax_label", "tax_rate",
        "tax_amount", "tax_exemption", "pdf",
    ]  # fmt: skip
    fields = readonly_fields

    @admin.display(description=_("PDF"))
    def pdf(self, obj):
        return _pdf_links(obj)

    def get_urls(self):
        # admin_view() also marks the responses never_cache (private, no-store).
        return [
            path(
                "<int:pk>/pdf/",
                self.admin_site.admin_view(self.pdf_view),
                name="invoicing_invoice_pdf",
            ),
            path(
                "<int:pk>/proforma/",
                self.admin_site.admin_view(self.proforma_view),
                name="invoicing_invoice_proforma",
            ),
            *super().get_urls(),
        ]

    def _invoice(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        invoice = selectors.invoice_by_pk(pk)
        if invoice is None:
            raise Http404
        return invoice

    def pdf_view(self, request, pk):
        return pdf_response(documents.invoice(self._invoice(request, pk)))

    def proforma_view(self, request, pk):
        invoice = self._invoice(request, pk)
        return pdf_response(documents.proforma(invoice.order, invoice=invoice))


@admin.register(CreditNote)
class CreditNoteAdmin(ReadOnlyAdmin):
    list_display = ["number", "issued_at", "order", "invoice", "amount", "currency", "pdf"]
    list_filter = ["year", "currency"]
    search_fields = ["number", "order__number", "invoice__number", "refund__refund_id"]
    list_select_related = ["order", "invoice"]
    date_hierarchy = "issued_at"
    readonly_fields = [
        "number", "order", "invoice", "refund", "issued_at", "amount", "currency", "tax_label",
        "tax_rate", "tax_amount", "tax_exemption", "pdf",
    ]  # fmt: skip
    fields = readonly_fields

    @admin.display(description=_("PDF"))
    def pdf(self, obj):
        return _pdf_links(obj)

    def get_urls(self):
        return [
            path(
                "<int:pk>/pdf/",
                self.admin_site.admin_view(self.pdf_view),
                name="invoicing_creditnote_pdf",
            ),
            *super().get_urls(),
        ]

    def pdf_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        credit_note = selectors.credit_note_by_pk(pk)
        if credit_note is None:
            raise Http404
        return pdf_response(documents.credit_note(credit_note))


class DocumentInline(admin.TabularInline):
    extra = 0
    can_delete = False
    fields = ["number", "issued_at", "amount", "currency", "tax_amount", "pdf"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("PDF"))
    def pdf(self, obj):
        return _pdf_links(obj)


class InvoiceInline(DocumentInline):
    model = Invoice


class CreditNoteInline(DocumentInline):
    model = CreditNote
    fk_name = "order"


# The order's page belongs to orders, which does not know invoicing: its documents
# join the registered OrderAdmin's inlines from here (this module is imported after
# orders' admin, INSTALLED_APPS lists invoicing after orders).
order_admin = admin.site._registry.get(Order)
if order_admin is not None and InvoiceInline not in order_admin.inlines:
    order_admin.inlines = [*order_admin.inlines, InvoiceInline, CreditNoteInline]
