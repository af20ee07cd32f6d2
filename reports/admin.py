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
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, override
from django_prose_editor.widgets import AdminProseEditorWidget
from js_asset import Media as AssetMedia
from parler.admin import TranslatableAdmin

from reports import formatting, services
from reports.outline_editing import save_outline
from reports.admin_filters import MasterPdfFilter, TranslationStateFilter
from reports.admin_import import FeedImportAdminMixin
from reports.admin_forms import (
    OUTLINE_FIELDS,
    KeyStatisticForm,
    LicenceOptionFormSet,
    ReportAdminForm,
    language_name,
)
from reports.models import (
    Category,
    DeliveryMode,
    KeyStatistic,
    LicenseOption,
    Publisher,
    Report,
)
from reports.sanitize import clean_summary_html

ReportTranslation = Report._parler_meta.root_model
# The summary's rich-text editor (django-prose-editor, ProseMirror) offers only what
# reports.sanitize keeps; the stored HTML is cleaned again whoever writes it.
SUMMARY_EDITOR_EXTENSIONS = {
    "Bold": True, "Italic": True, "Underline": True, "Subscript": True, "Superscript": True,
    "Heading": {"levels": [2, 3, 4]}, "BulletList": True, "OrderedList": True,
    "ListItem": True, "Blockquote": True, "HardBreak": True, "Link": {"enableTarget": False},
    "Table": True, "TableRow": True, "TableHeader": True, "TableCell": True, "History": True,
}  # fmt: skip
# The two base style sheets the editor (TipTap) writes into the page as <style>
# elements, allowed by their hashes on the report form only. They belong to
# django-prose-editor 0.28.0: another version may change them, and the CSP journey
# (tests/e2e/test_content_security_policy.py) then reports the violation.
SUMMARY_EDITOR_STYLE_HASHES = [
    "'sha256-PlumsSlvJ7vvWzjqibGAYKq92O3y/4JTxWWsWJvyUYA='",  # .ProseMirror base
    "'sha256-02hA479WvrYZHJr+4hK4ibPbd7Nb6lFGw+8wNJYCke8='",  # invisible characters
]
ENGLISH = settings.PARLER_DEFAULT_LANGUAGE_CODE
# A language in the changelist's translations column: missing, or behind the English.
MISSING_HTML = '<span class="translation-missing">{} {}</span>'
BEHIND_HTML = '<strong class="translation-behind">{} {}</strong>'


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
    form = KeyStatisticForm
    fields = (
        "position", "kind", "year", "amount_figure", "amount_unit", "currency", "percentage",
        "shown_as", "amount",
    )  # fmt: skip
    readonly_fields = ("shown_as",)
    extra = 0
    verbose_name = _("key statistic")
    verbose_name_plural = _("key statistics")

    def get_extra(self, request, obj=None, **kwargs):
        # A new report gets the four usual rows: base, estimated, forecast year, CAGR.
        return 4 if obj is None else 0

    @admin.display(description=_("shown as"))
    def shown_as(self, obj):
        """The saved figure as buyers read it: "USD 9.31 billion", "9.61%"."""
        if obj is None or obj.pk is None:
            return ""
        return obj.display_value()


class LicenseOptionInline(admin.TabularInline):
    model = LicenseOption
    formset = LicenceOptionFormSet
    fields = ("license_type", "price", "currency")
    extra = 0
    verbose_name = _("licence option")
    verbose_name_plural = _("licence options")

    def get_extra(self, request, obj=None, **kwargs):
        return 1 if obj is None else 0


@admin.register(Report)
class ReportAdmin(FeedImportAdminMixin, CatalogueChangeAdminMixin, TranslatableAdmin):
    form = ReportAdminForm
    readonly_fields = (
        "english_text",
        "preview_link",
        "stored_files",
        "price_from_display",
        "created_at",
        "updated_at",
    )
    # The table of contents and the segmentation are edited as outline text in the
    # form (reports.outline_editing): a form per line made 1994249's page 1,071 fields.
    inlines = (KeyStatisticInline, LicenseOptionInline)
    filter_horizontal = ("categories",)

    list_display = (
        "product_code",
        "title_column",
        "publisher",
        "status",
        "published_on",
        "price_from_display",
        "delivery_column",
        "translation_status",
    )
    list_display_links = ("product_code", "title_column")
    list_filter = (
        "status",
        MasterPdfFilter,
        TranslationStateFilter,
        "publisher",
        ("categories", CategoryListFilter),
        "formats",
    )
    search_fields = ("product_code", "translations__title")
    search_help_text = _("Product code, or a word of the title in any language.")
    date_hierarchy = "published_on"
    list_select_related = ("publisher",)
    actions = (
        "publish_selected_now", "archive_selected", "refresh_listings", "draft_traditional_chinese"
    )

    class Media:
        css = {"all": ["reports/admin/report.css"]}

    def get_fieldsets(self, request, obj=None):
        language = self._language(request)
        text_fields = ["title", "summary", "meta_description"]
        if obj is not None and language != ENGLISH:
            # A translation is written against the English: show it, and let the
            # editor confirm the translation still matches it.
            text_fields = ["english_text", *text_fields, "translation_reviewed"]
        return (
            (
                _("Identity"),
                {"fields": ("product_code", "slug", "publisher", "categories")},
            ),
            (_("Text (this language)"), {"fields": text_fields}),
            (
                _("Table of contents and segmentation (this language)"),
                {"fields": ("toc_outline", "segments_outline")},
            ),
            (
                _("Publication"),
                {"fields": ("status", "publish_at", "published_on", "preview_link")},
            ),
            (
                _("Details"),
                {
                    "fields": (
                        "pages",
                        "formats",
                        "delivery_mode",
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

    def get_queryset(self, request):
        # Every translation of each row, in one query: the title column and the
        # translations column both read it.
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
        if obj is None and self._language(request) == ENGLISH:
            return {"slug": ("title",)}
        return {}

    def has_delete_permission(self, request, obj=None):
        if isinstance(obj, ReportTranslation):
            # Removing a language is an edit of the report, not its deletion (which
            # editors may not do: orders refer to reports). The English stays: every
            # other language is translated from it.
            if obj.language_code == ENGLISH:
                return False
            return self.has_change_permission(request, obj.master)
        return super().has_delete_permission(request, obj)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["undeletable_language"] = ENGLISH  # no delete link on its tab
        if obj is not None and obj.pk:
            title = obj.safe_translation_getter(
                "title", language_code=self._language(request), default=""
            ) or services.english_title(obj)
            context["report_name"] = f"{obj.product_code} {title}".strip()
        # The editor's modules are static files; only their import map is an inline
        # script, allowed by this response's CSP nonce.
        context["media"] = AssetMedia.from_media(context["media"]).with_nonce(request.csp_nonce)
        response = super().render_change_form(request, context, add, change, form_url, obj)
        response._csp_update = {"style-src": SUMMARY_EDITOR_STYLE_HASHES}  # django-csp
        return response

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in ("master_pdf", "sample_pdf"):
            kwargs["widget"] = PrivateFileInput
        if db_field.name == "summary":
            kwargs["widget"] = AdminProseEditorWidget(
                config={"extensions": SUMMARY_EDITOR_EXTENSIONS}, preset="configurable"
            )
        if db_field.name in ("title", "meta_description"):
            # Titles run to 100-300 characters: a box as wide as the form.
            kwargs["widget"] = forms.TextInput(attrs={"class": "vLargeTextField wide-text"})
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "categories":
            kwargs["queryset"] = categories_with_names()
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    # --- Saving --------------------------------------------------------------------

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if form.pages_from_master:
            typed, count = form.pages_from_master
            self.message_user(
                request,
                _(
                    "The page count is now %(count)d, read from the master PDF "
                    "(the form said %(typed)s)."
                )
                % {"count": count, "typed": typed if typed is not None else "-"},
                messages.WARNING,
            )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        report = form.instance
        for name, text in form.edited_outlines.items():
            # Checked by the form; the admin's transaction keeps report and outline together.
            save_outline(
                OUTLINE_FIELDS[name], report_id=report.pk, language_code=form.language_code,
                text=text,
            )
        if form.cleaned_data.get("translation_reviewed"):
            services.mark_translation_reviewed(
                report_id=report.pk, language_code=form.language_code
            )
        # Search text and "price from" depend on the translations and the licence
        # options just saved.
        self._refresh(report)

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

    # --- Actions ----------------------------------------------------------------------

    def _change_statuses(self, request, queryset, change, *, done_message, refused_message):
        """Apply a status service to each selected report; say what happened and why not."""
        done = 0
        for report_id, product_code in queryset.values_list("pk", "product_code"):
            try:
                change(report_id=report_id)
            except services.PublicationError as error:
                self.message_user(
                    request,
                    refused_message % {"code": product_code, "reasons": " ".join(error.problems)},
                    messages.ERROR,
                )
            else:
                done += 1
        if done:
            self.message_user(request, done_message(done) % {"count": done}, messages.SUCCESS)

    @admin.action(description=_("Publish now"), permissions=["change"])
    def publish_selected_now(self, request, queryset):
        self._change_statuses(
            request,
            queryset,
            services.publish_now,
            done_message=lambda count: ngettext(
                "%(count)d report is published.", "%(count)d reports are published.", count
            ),
            refused_message=_("%(code)s was not published: %(reasons)s"),
        )

    @admin.action(description=_("Archive"), permissions=["change"])
    def archive_selected(self, request, queryset):
        self._change_statuses(
            request,
            queryset,
            services.archive_report,
            done_message=lambda count: ngettext(
                "%(count)d report is archived.", "%(count)d reports are archived.", count
            ),
            refused_message=_("%(code)s was not archived: %(reasons)s"),
        )

    @admin.action(
        description=_("Draft traditional Chinese from the simplified text (review before it shows)"),
        permissions=["change"],
    )
    def draft_traditional_chinese(self, request, queryset):
        report_ids = list(queryset.values_list("pk", flat=True))
        drafted = sum(
            services.draft_traditional_translation(report_id=report_id) for report_id in report_ids
        )
        if drafted:
            self.message_user(
                request,
                ngettext(
                    "%(count)d traditional Chinese draft written. Buyers see it once an editor "
                    "ticks “Traditional Chinese reviewed” on its tab.",
                    "%(count)d traditional Chinese drafts written. Buyers see each once an "
                    "editor ticks “Traditional Chinese reviewed” on its tab.",
                    drafted,
                )
                % {"count": drafted},
                messages.SUCCESS,
            )
        if drafted < len(report_ids):
            skipped = len(report_ids) - drafted
            self.message_user(
                request,
                ngettext(
                    "%(count)d report skipped: it has no simplified Chinese text, or its "
                    "traditional Chinese text was written or reviewed by an editor.",
                    "%(count)d reports skipped: they have no simplified Chinese text, or their "
                    "traditional Chinese text was written or reviewed by an editor.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )

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

    # --- Columns and read-only fields -------------------------------------------------

    @admin.display(description=_("title"))
    def title_column(self, obj):
        return obj.safe_translation_getter("title", any_language=True) or ""

    @admin.display(description=_("price from"), ordering="price_from")
    def price_from_display(self, obj):
        if obj.price_from is None:
            return self.get_empty_value_display()
        return formatting.format_price(obj.price_from, obj.price_currency)

    @admin.display(description=_("delivery"))
    def delivery_column(self, obj):
        """"master PDF", "on order, N business days", or a warning: from the row itself."""
        if obj.has_master:
            return _("master PDF")
        if obj.delivery_mode == DeliveryMode.ON_ORDER:
            return ngettext(
                "no master: on order, %(days)d business day",
                "no master: on order, %(days)d business days",
                obj.delivery_days,
            ) % {"days": obj.delivery_days}
        return format_html('<strong class="no-master">{}</strong>', _("no master"))

    @admin.display(description=_("translations"))
    def translation_status(self, obj):
        """Per language "en ✓", "zh-hans missing" or "zh-hans out of date", from the
        prefetched translations only (no query per row)."""
        present = {translation.language_code: translation for translation in obj.translations.all()}
        parts = []
        for code, _name in settings.LANGUAGES:
            if code not in present:
                part = format_html(MISSING_HTML, code, _("missing"))
            elif present[code].machine_converted:
                part = format_html(BEHIND_HTML, code, _("machine draft, to review"))
            elif obj.translation_is_behind(code):
                part = format_html(BEHIND_HTML, code, _("out of date"))
            else:
                part = format_html("{} ✓", code)
            parts.append(part)
        return format_html_join(" · ", "{}", ((part,) for part in parts))

    @admin.display(description=_("current English"))
    def english_text(self, obj):
        english = next(
            (item for item in obj.translations.all() if item.language_code == ENGLISH), None
        )
        if english is None:
            return _("This report has no English text yet.")
        text = format_html(
            '<div class="current-english" lang="en"><strong>{}</strong><p>{}</p>{}</div>',
            english.title,
            english.meta_description,
            mark_safe(clean_summary_html(english.summary)),  # cleaned: safe to show
        )
        language = obj.get_current_language()
        current = next(
            (item for item in obj.translations.all() if item.language_code == language), None
        )
        if current is not None and current.machine_converted:
            notice = _(
                "This %(language)s text is a machine-converted draft: buyers see the fallback "
                "language until you check it and tick “%(language)s reviewed against the "
                "current English”."
            ) % {"language": language_name(language)}
            return format_html('<p class="errornote">{}</p>{}', notice, text)
        if not obj.translation_is_behind(language):
            return text
        changed = formats.date_format(
            timezone.localtime(english.text_changed_at), "DATETIME_FORMAT"
        )
        notice = _(
            "The English text changed on %(date)s, after this translation was last updated. "
            "Update the translation, or tick “%(language)s reviewed against the current "
            "English” when it still matches."
        ) % {"date": changed, "language": language_name(language)}
        return format_html('<p class="errornote">{}</p>{}', notice, text)

    @admin.display(description=_("preview"))
    def preview_link(self, obj):
        if obj.pk is None:
            return _("Save the report first.")
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>',
            self._preview_url(obj),
            _("Preview this report as buyers will see it"),
        )

    def view_on_site(self, obj):
        # "View on site" of a draft would be a 404: drafts, scheduled and archived
        # reports open in the staff preview instead, in the tab's language.
        with override(obj.get_current_language()):
            return obj.get_absolute_url() if obj.is_visible() else self._preview_url(obj)

    @staticmethod
    def _preview_url(obj) -> str:
        with override(obj.get_current_language()):
            return reverse("reports:preview", kwargs={"product_code": obj.product_code})

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

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change:  # a new category has no reports yet
            services.category_changed(category_id=obj.pk)

    def delete_model(self, request, obj):
        services.category_changed(category_id=obj.pk)  # before its reports leave it
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for category_id in queryset.values_list("pk", flat=True):
            services.category_changed(category_id=category_id)
        super().delete_queryset(request, queryset)

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

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change:
            services.publisher_changed(publisher_id=obj.pk)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "website":
            kwargs["assume_scheme"] = "https"  # an address typed without a scheme
        return super().formfield_for_dbfield(db_field, request, **kwargs)
