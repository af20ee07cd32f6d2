from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from storefront.delivery import services as delivery_services
from storefront.delivery.models import DownloadGrant, DownloadLog
from storefront.orders.admin import can_manage_downloads
from storefront.orders.models import Order, OrderStatus


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


# --- Actions on the order list ------------------------------------------------------
# Orders does not know delivery: its actions join the registered OrderAdmin from here
# (this module is imported after orders' admin, INSTALLED_APPS lists delivery after
# orders). "manage_downloads" is checked by OrderAdmin.has_manage_downloads_permission.


@admin.action(
    description=_("Deliver again (stamp missing copies, resend the mail)"),
    permissions=["manage_downloads"],
)
def resend_delivery(modeladmin, request, queryset):
    sent = 0
    for order in queryset.filter(status__in=[OrderStatus.PAID, OrderStatus.DELIVERED]):
        try:
            if delivery_services.deliver_again(order_id=order.pk):
                sent += 1
        except Exception as error:  # shown to staff; the order stays as it was
            modeladmin.message_user(request, f"{order.number}: {error}", messages.ERROR)
    modeladmin.message_user(
        request,
        ngettext("Delivery mail sent for %(count)d order.", "Delivery mail sent for %(count)d orders.", sent)
        % {"count": sent},
    )


@admin.action(
    description=_("Issue fresh download links and mail them"), permissions=["manage_downloads"]
)
def issue_fresh_download_links(modeladmin, request, queryset):
    requested = 0
    for order in queryset:
        try:
            outcome = delivery_services.request_fresh_links(
                order_id=order.pk, reason=f"staff: {request.user}"
            )
        except delivery_services.AccessEnded:
            modeladmin.message_user(
                request,
                _("%(number)s: access ended (%(reason)s); no links are issued.")
                % {"number": order.number, "reason": order.access_ended_reason},
                messages.ERROR,
            )
            continue
        if outcome == delivery_services.FreshLinks.NOT_DELIVERED:
            modeladmin.message_user(
                request,
                _("%(number)s: not delivered yet; use 'Deliver again' instead.")
                % {"number": order.number},
                messages.WARNING,
            )
        else:
            requested += 1
    modeladmin.message_user(
        request,
        ngettext(
            "Fresh links requested for %(count)d order: they are mailed in the background, "
            "and the old links work until then.",
            "Fresh links requested for %(count)d orders: they are mailed in the background, "
            "and the old links work until then.",
            requested,
        )
        % {"count": requested},
    )


@admin.action(description=_("Revoke download access"), permissions=["manage_downloads"])
def revoke_download_access(modeladmin, request, queryset):
    revoked = sum(
        delivery_services.revoke_access(order_id=order.pk, reason=f"staff: {request.user}")
        for order in queryset
    )
    modeladmin.message_user(
        request,
        ngettext("%(count)d link revoked.", "%(count)d links revoked.", revoked)
        % {"count": revoked},
    )


order_admin = admin.site._registry.get(Order)
if order_admin is not None and resend_delivery not in order_admin.actions:
    order_admin.actions = [
        *order_admin.actions, resend_delivery, issue_fresh_download_links, revoke_download_access,
    ]  # fmt: skip
