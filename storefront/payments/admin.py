from django.contrib import admin

from storefront.payments.models import PaymentEvent


@admin.register(PaymentEvent)
class PaymentEventAdmin(admin.ModelAdmin):
    list_display = ["received_at", "event_type", "event_id", "order", "outcome"]
    list_filter = ["event_type", "outcome"]
    search_fields = ["event_id", "order__number"]
    list_select_related = ["order"]
    readonly_fields = [
        "provider", "event_id", "event_type", "order", "outcome", "note", "payload", "received_at"
    ]  # fmt: skip

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
