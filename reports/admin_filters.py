"""List filters of the editors' admin that read only the report's own columns."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from reports.models import DeliveryMode


class MasterPdfFilter(admin.SimpleListFilter):
    """Reports by what a buyer would receive: the master, a promise, or nothing yet."""

    title = _("master PDF")
    parameter_name = "master"

    def lookups(self, request, model_admin):
        return (
            ("yes", _("Has a master PDF")),
            ("on_order", _("No master: delivered on order")),
            ("no", _("No master and not on order")),
        )

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(master_pdf="")
        if self.value() == "on_order":
            return queryset.filter(master_pdf="", delivery_mode=DeliveryMode.ON_ORDER)
        if self.value() == "no":
            return queryset.filter(master_pdf="").exclude(delivery_mode=DeliveryMode.ON_ORDER)
        return queryset
