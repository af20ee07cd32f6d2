"""Rules that hold however a report is written: admin, feed import or shell."""

from django.db.models.signals import pre_save
from django.utils import timezone

from reports.models import Report
from reports.sanitize import clean_summary_html

ReportTranslation = Report._parler_meta.root_model

# The text a translation is compared on: when one of these changes, the other
# languages may be behind it.
TRACKED_TEXT_FIELDS = ("title", "summary", "meta_description")


def clean_summary_before_save(sender, instance, **kwargs):
    # Every language, every writer: the stored summary never holds markup that runs.
    instance.summary = clean_summary_html(instance.summary)


def _edit_time(translation):
    """The time of the edit this translation is saved in (see Report.save_translations)."""
    master_is_loaded = ReportTranslation.master.is_cached(translation)
    master = translation.master if master_is_loaded else None
    return getattr(master, "_text_edit_time", None) or timezone.now()


def _stored_text(translation) -> dict | None:
    if translation._state.adding or translation.pk is None:
        return None
    return (
        ReportTranslation.objects.filter(pk=translation.pk)
        .values(*TRACKED_TEXT_FIELDS)
        .first()
    )


def stamp_text_change_before_save(sender, instance, raw=False, **kwargs):
    """Move ``text_changed_at`` only when the text really changed.

    A save that rewrites the same text (an unchanged admin form, a feed imported
    twice) keeps the old time, so it does not make other languages look behind.
    """
    if raw:  # fixtures are loaded as they are
        return
    current = {field: getattr(instance, field) for field in TRACKED_TEXT_FIELDS}
    # Compared as it will be stored, whichever pre_save hook runs first.
    current["summary"] = clean_summary_html(current["summary"])
    stored = _stored_text(instance)
    if stored != current:
        instance.text_changed_at = _edit_time(instance)


def connect():
    pre_save.connect(
        clean_summary_before_save,
        sender=ReportTranslation,
        dispatch_uid="reports.clean_summary_before_save",
    )
    pre_save.connect(
        stamp_text_change_before_save,
        sender=ReportTranslation,
        dispatch_uid="reports.stamp_text_change_before_save",
    )
