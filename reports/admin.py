"""The editors' admin for the catalogue: reports with a tab per language.

Every list and form here loads translations with one prefetch, so a page costs the
same number of queries whatever the size of the catalogue. After a report and its
inlines are saved, the denormalised listing columns are recomputed by
``reports.services.refresh_listing``.
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from parler.admin import TranslatableAdmin, TranslatableTabularInline

from reports import formatting, services
from reports.models import (
    Category,
    KeyStatistic,
    LicenseOption,
    Publisher,
    Report,
    Segment,
    TocEntry,
)


def languages_present(obj) -> str:
    """The languages an object is translated into, in settings order: "en, zh-hans".

    Reads ``obj.translations.all()``, so the caller should prefetch "translations".
    """
    present = {translation.language_code for translation in obj.translations.all()}
    ordered = [code for code, _name in settings.LANGUAGES if code in present]
    return ", ".join(ordered + sorted(present - set(ordered)))


def categories_with_names():
    return Category.objects.prefetch_related("translations")


class PrivateFileInput(forms.ClearableFileInput):
    """A file upload that does not link to the stored file.

    Master and sample PDFs live in private storage, which has no public URL; the
    stock widget would print a dead link. The current file is shown read-only in
    the form instead (see ``ReportAdmin.stored_files``).
    """

    def is_initial(self, value):
        return False


class CategoryListFilter(admin.RelatedFieldListFilter):
    """The category filter, with the names of all categories read in one prefetch."""

    def field_choices(self, field, request, model_admin):
        return [(category.pk, str(category)) for category in categories_with_names()]


class LanguageChangeList(ChangeList):
    """A changelist that shows its rows in the ``?language=`` tab but does not filter on it.

    The parameter stays in the list's links (sorting, filters, pages).
    """

    language_param = "language"

    def get_filters_params(self, params=None):
        lookup_params = super().get_filters_params(params)
        lookup_params.pop(self.language_param, None)
        return lookup_params


class CatalogueChangeAdminMixin:
    """Cached catalogue pages go stale when an editor saves or deletes here."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        transaction.on_commit(services.catalogue_changed)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        transaction.on_commit(services.catalogue_changed)

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        transaction.on_commit(services.catalogue_changed)


class KeyStatisticInline(admin.TabularInline):
    model = KeyStatistic
    fields = ("position", "kind", "year", "amount", "currency", "percentage")
    extra = 0
    verbose_name = _("key statistic")
    verbose_name_plural = _("key statistics")

    def get_extra(self, request, obj=None, **kwargs):
        # A new report gets the four usual rows: base, estimated, forecast year, CAGR.
        return 4 if obj is None else 0


class LicenseOptionInline(admin.TabularInline):
    model = LicenseOption
    fields = ("license_type", "price", "currency")
    extra = 0
    verbose_name = _("licence option")
    verbose_name_plural = _("licence options")

    def get_extra(self, request, obj=None, **kwargs):
        return 1 if obj is None else 0


class OutlineInline(TranslatableTabularInline):
    """Shared by the table of contents and the segmentation: one row per line."""

    extra = 0

    def get_queryset(self, request):
        # The translated column of every row comes from this one prefetch.
        return super().get_queryset(request).prefetch_related("translations")


class TocEntryInline(OutlineInline):
    model = TocEntry
    fields = ("position", "depth", "title")
    verbose_name = _("table of contents entry")
    verbose_name_plural = _("table of contents")


class SegmentInline(OutlineInline):
    model = Segment
    fields = ("position", "depth", "name")
    verbose_name = _("segment")
    verbose_name_plural = _("segmentation")


@admin.register(Report)
class ReportAdmin(CatalogueChangeAdminMixin, TranslatableAdmin):
    fieldsets = (
        (
            _("Identity"),
            {"fields": ("product_code", "slug", "publisher", "categories")},
        ),
        (
            _("Text (this language)"),
            {"fields": ("title", "summary", "meta_description")},
        ),
        (
            _("Publication"),
            {"fields": ("status", "publish_at", "published_on")},
        ),
        (
            _("Details"),
            {
                "fields": (
                    "pages",
                    "formats",
                    "delivery_days",
                    "base_year",
                    ("forecast_start_year", "forecast_end_year"),
                )
            },
        ),
        (
            _("Files"),
            {
                "fields": ("stored_files", "master_pdf", "sample_pdf"),
                "description": _(
                    "Kept in private storage: buyers only ever receive a stamped copy."
                ),
            },
        ),
        (
            _("Listing"),
            {
                "fields": ("price_from_display", "created_at", "updated_at"),
                "classes": ("collapse",),
            },
        ),
    )
    readonly_fields = ("stored_files", "price_from_display", "created_at", "updated_at")
    inlines = (KeyStatisticInline, LicenseOptionInline, TocEntryInline, SegmentInline)
    filter_horizontal = ("categories",)

    list_display = (
        "product_code",
        "title_column",
        "publisher",
        "status",
        "published_on",
        "price_from_display",
        "languages_column",
    )
    list_display_links = ("product_code", "title_column")
    list_filter = (
        "status",
        "publisher",
        ("categories", CategoryListFilter),
        "formats",
    )
    search_fields = ("product_code", "translations__title")
    search_help_text = _("Product code, or a word of the title in any language.")
    date_hierarchy = "published_on"
    list_select_related = ("publisher",)
    actions = ("refresh_listings",)

    def get_queryset(self, request):
        # Every translation of each row, in one query: the title column and the
        # languages column both read it.
        return super().get_queryset(request).prefetch_related("translations")

    def get_queryset_language(self, request):
        # The changelist follows ?language= like the forms do; without it, the
        # language of the admin itself.
        language = request.GET.get(self.query_language_key)
        if language in dict(settings.LANGUAGES):
            return language
        return super().get_queryset_language(request)

    def get_changelist(self, request, **kwargs):
        return LanguageChangeList

    def get_prepopulated_fields(self, request, obj=None):
        # A slug is made once, from the English title of a new report; it is never
        # rewritten later (links to the report would break).
        if obj is None and self._language(request) == settings.PARLER_DEFAULT_LANGUAGE_CODE:
            return {"slug": ("title",)}
        return {}

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in ("master_pdf", "sample_pdf"):
            kwargs["widget"] = PrivateFileInput
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "categories":
            kwargs["queryset"] = categories_with_names()
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Search text and "price from" depend on the translations and the licence
        # options just saved.
        self._refresh(form.instance)

    def delete_model_translation(self, request, translation):
        report = translation.master
        super().delete_model_translation(request, translation)
        self._refresh(report)

    @staticmethod
    def _refresh(report):
        refreshed = services.refresh_listing(report_id=report.pk)
        report.search_text = refreshed.search_text
        report.price_from = refreshed.price_from
        report.price_currency = refreshed.price_currency

    @admin.action(description=_("Recompute search text and prices of the selected reports"))
    def refresh_listings(self, request, queryset):
        report_ids = list(queryset.values_list("pk", flat=True))
        for report_id in report_ids:
            services.refresh_listing(report_id=report_id)
        count = len(report_ids)
        self.message_user(
            request,
            ngettext(
                "Recomputed %(count)d report.", "Recomputed %(count)d reports.", count
            )
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.display(description=_("title"))
    def title_column(self, obj):
        return obj.safe_translation_getter("title", any_language=True) or ""

    @admin.display(description=_("price from"), ordering="price_from")
    def price_from_display(self, obj):
        if obj.price_from is None:
            return self.get_empty_value_display()
        return formatting.format_price(obj.price_from, obj.price_currency)

    @admin.display(description=_("languages"))
    def languages_column(self, obj):
        return languages_present(obj)

    @admin.display(description=_("stored files"))
    def stored_files(self, obj):
        names = [
            f"{label}: {field.name}"
            for label, field in ((_("master"), obj.master_pdf), (_("sample"), obj.sample_pdf))
            if field
        ]
        return "; ".join(str(name) for name in names) or self.get_empty_value_display()


@admin.register(Category)
class CategoryAdmin(CatalogueChangeAdminMixin, TranslatableAdmin):
    fields = ("name", "slug", "parent", "position")
    list_display = ("name_column", "slug", "parent_column", "position", "languages_column")
    list_editable = ("position",)
    search_fields = ("slug", "translations__name")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("parent")
            .prefetch_related("translations", "parent__translations")
        )

    def get_prepopulated_fields(self, request, obj=None):
        if obj is None and self._language(request) == settings.PARLER_DEFAULT_LANGUAGE_CODE:
            return {"slug": ("name",)}
        return {}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "parent":
            kwargs["queryset"] = categories_with_names()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("name"))
    def name_column(self, obj):
        return str(obj)

    @admin.display(description=_("parent category"), ordering="parent__position")
    def parent_column(self, obj):
        return str(obj.parent) if obj.parent_id else self.get_empty_value_display()

    @admin.display(description=_("languages"))
    def languages_column(self, obj):
        return languages_present(obj)


@admin.register(Publisher)
class PublisherAdmin(CatalogueChangeAdminMixin, admin.ModelAdmin):
    fields = ("name", "slug", "website")
    list_display = ("name", "slug", "website")
    prepopulated_fields = {"slug": ("name",)}
    search_fields = ("name", "slug")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "website":
            kwargs["assume_scheme"] = "https"  # an address typed without a scheme
        return super().formfield_for_dbfield(db_field, request, **kwargs)
