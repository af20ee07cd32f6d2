from django.contrib import admin, messages
from django.utils.translation import ngettext
from parler.admin import TranslatableAdmin
from parler.forms import TranslatableModelForm

from reports.sanitize import clean_summary_html
from storefront.pages.models import CompanyPage


class CompanyPageForm(TranslatableModelForm):
    def clean_body(self):
        return clean_summary_html(self.cleaned_data["body"])


@admin.register(CompanyPage)
class CompanyPageAdmin(TranslatableAdmin):
    form = CompanyPageForm
    list_display = ["__str__", "needs_review", "updated_at"]
    list_filter = ["needs_review"]
    fields = ["title", "body", "needs_review", "updated_at"]
    readonly_fields = ["updated_at"]

    # The four pages are linked from every page footer: they are edited, never
    # added or removed.
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        unreviewed = CompanyPage.objects.filter(needs_review=True).count()
        if unreviewed and request.method == "GET":
            messages.warning(
                request,
                ngettext(
                    "%(count)d page still holds the default text: the seller should review it.",
                    "%(count)d pages still hold the default text: the seller should review them.",
                    unreviewed,
                )
                % {"count": unreviewed},
            )
        return super().changelist_view(request, extra_context)
