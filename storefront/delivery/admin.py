from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from storefront.delivery.models import DownloadGrant, DownloadLog
from storefront.orders.admin import can_manage_downloads


class DownloadLogInline(admin.TabularInline):
    model = DownloadLog
    extra = 0
    can_delete = False
    fields = ["downloaded_at", "ip_address", "user_agent"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(DownloadGrant)
class DownloadGrantAdmin(admin.ModelAdmin):
    list_display = ["copy", "order_number", "expires_at", "downloads_left", "revoked_at", "created_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = [
        "copy__licence_id", "copy__line__order__number", "copy__line__order__email",
        "copy__seat__order__number", "copy__seat__holder_email",
    ]  # fmt: skip
    list_select_related = ["copy__line__order", "copy__seat__order"]
    readonly_fields = ["copy", "token", "created_at", "revoked_at", "revoke_reason"]
    fields = ["copy", "token", "expires_at", "downloads_left", "revoked_at", "revoke_reason", "created_at"]
    inlines = [DownloadLogInline]

    def has_add_permission(self, request):
        return False  # links come from delivery only

    def lookup_allowed(self, lookup, value, request=None):
        # ?token__startswith=… would reveal a link one character at a time.
        if lookup.split("__")[0] == "token":
            return False
        return super().lookup_allowed(lookup, value, request)

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if can_manage_downloads(request.user):
            return fields
        # The token is the download link itself.
        return [field for field in fields if field != "token"]

    @admin.display(description=_("order"))
    def order_number(self, grant):
        return grant.copy.order.number
