"""Rules that hold however a report is written: admin, feed import or shell."""

from django.db.models.signals import pre_save

from reports.models import Report
from reports.sanitize import clean_summary_html

ReportTranslation = Report._parler_meta.root_model


def clean_summary_before_save(sender, instance, **kwargs):
    # Every language, every writer: the stored summary never holds markup that runs.
    instance.summary = clean_summary_html(instance.summary)


def connect():
    pre_save.connect(
        clean_summary_before_save,
        sender=ReportTranslation,
        dispatch_uid="reports.clean_summary_before_save",
    )
