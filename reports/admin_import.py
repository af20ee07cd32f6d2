"""The feed import as an admin page: editors upload a JSON or CSV feed, check it
(a dry run, the default) and import it. The work is ``reports.importing``'s; this
module only takes the upload and shows the result.

Mixed into the report admin, first in its bases::

    class ReportAdmin(FeedImportAdminMixin, CatalogueChangeAdminMixin, TranslatableAdmin):

it adds the URL ``import/`` (name ``<app>_<model>_import``, so
``admin:reports_report_import``) and the "Import feed" button of the report list
(templates/admin/reports/report/change_list.html).
"""

from django import forms
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from reports import importing

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
# The import runs inside the request. Measured at 20–50 new reports a second with a
# 20-line table of contents (bench/README.md), a few hundred rows stay well inside a
# 30 s worker timeout; larger feeds go through `manage.py import_reports`.
MAX_UPLOAD_ROWS = 300


class FeedUploadForm(forms.Form):
    feed = forms.FileField(
        label=gettext_lazy("Feed file"),
        help_text=gettext_lazy(
            "A .json or .csv file of at most 20 MB, in the format of docs/feed-format.md. "
            "Reports are matched by product code: new ones are created, others updated."
        ),
    )
    dry_run = forms.BooleanField(
        label=gettext_lazy("Check only (dry run)"),
        required=False,
        initial=True,
        help_text=gettext_lazy(
            "Every row is checked and the result shows what would happen; nothing is "
            "written. Untick to import."
        ),
    )
    publish = forms.BooleanField(
        label=gettext_lazy("Publish the imported reports"),
        required=False,
        help_text=gettext_lazy(
            "Imported reports become visible now (or at the row's publish_at). Unticked, "
            "new reports are drafts and existing ones keep their status."
        ),
    )

    def clean_feed(self):
        """The upload, read into ``self.feed``: size, type and syntax checked here."""
        upload = self.cleaned_data["feed"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is %(size)s; a feed may be at most %(limit)s. Split it, or import "
                  "it with “manage.py import_reports”.")
                % {"size": filesizeformat(upload.size), "limit": filesizeformat(MAX_UPLOAD_BYTES)}
            )
        try:
            format = importing.format_from_name(upload.name)
            self.feed = importing.read_feed_bytes(upload.read(), format=format)
        except importing.FeedError as error:
            raise forms.ValidationError(str(error)) from error
        if len(self.feed.rows) > MAX_UPLOAD_ROWS:
            raise forms.ValidationError(
                _("The feed has %(count)d reports; this page imports at most %(limit)d at a "
                  "time. Split it, or import it with “manage.py import_reports”.")
                % {"count": len(self.feed.rows), "limit": MAX_UPLOAD_ROWS}
            )
        return upload


class FeedImportAdminMixin:
    """An "Import feed" page for a ModelAdmin of reports (see the module docstring)."""

    import_feed_template = "admin/reports/report/import_feed.html"

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        view = self.admin_site.admin_view(self.import_feed_view)
        # Before the model admin's own URLs: its "<path:object_id>/" would take "import/".
        return [path("import/", view, name="%s_%s_import" % info), *super().get_urls()]

    def has_import_permission(self, request) -> bool:
        """Importing creates and changes reports: it takes both permissions."""
        return request.user.has_perms([
            f"{self.opts.app_label}.{get_permission_codename(action, self.opts)}"
            for action in ("add", "change")
        ])

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}),
                         "has_import_permission": self.has_import_permission(request)}
        return super().changelist_view(request, extra_context=extra_context)

    def import_feed_view(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        summary = None
        if request.method == "POST":
            form = FeedUploadForm(request.POST, request.FILES)
            if form.is_valid():
                summary = importing.import_feed(
                    form.feed,
                    dry_run=form.cleaned_data["dry_run"],
                    publish=form.cleaned_data["publish"],
                    base_dir=None,  # an upload has no folder: rows naming PDFs fail clearly
                )
        else:
            form = FeedUploadForm()
        return TemplateResponse(request, self.import_feed_template, {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Import a feed"),
            "form": form,
            "summary": summary,
            "rows": [(row, row.outcome_label(summary.dry_run)) for row in summary.rows]
            if summary else [],
        })
