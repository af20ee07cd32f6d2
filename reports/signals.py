"""Rules that hold however a report is written: admin, feed import or shell."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import Signal
from django.utils import timezone

from reports.models import Report, SamplePage
from reports.sample_pages import remove_image_after_delete
from reports.sanitize import clean_summary_html

ReportTranslation = Report._parler_meta.root_model

# Sent after commit when an existing report gets a (new) master PDF, with
# ``report_id``. The shop subscribes to deliver orders that waited for it; the
# catalogue itself knows nothing of orders (apps hand work upwards only).
master_pdf_available = Signal()

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


def announce_new_master_after_save(sender, instance, created, raw=False, **kwargs):
    """Announce, once the save is committed, that a stored report now has a master PDF.

    Any writer (admin, feed import, shell) counts; a report saved again with the same
    file announces nothing. A new report has no orders waiting, so it is not announced.
    """
    name = instance.__dict__.get("master_pdf")
    name = getattr(name, "name", name) or ""
    loaded = getattr(instance, "_loaded_master_name", "")
    instance._loaded_master_name = name
    if raw or created or not name or name == loaded:
        return
    report_id = instance.pk
    transaction.on_commit(
        lambda: master_pdf_available.send_robust(sender=Report, report_id=report_id)
    )


def render_sample_pages_after_save(sender, instance, created, raw=False, **kwargs):
    """Queue, once the save is committed, the rendering of a new, replaced or removed
    sample PDF into its "look inside" pages (reports.sample_pages)."""
    name = instance.__dict__.get("sample_pdf")
    name = getattr(name, "name", name) or ""
    loaded = getattr(instance, "_loaded_sample_name", "")
    instance._loaded_sample_name = name
    if raw or name == loaded:
        return
    from reports.tasks import render_sample_pages

    report_id = instance.pk
    transaction.on_commit(lambda: render_sample_pages.delay(report_id))


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
    post_save.connect(
        announce_new_master_after_save,
        sender=Report,
        dispatch_uid="reports.announce_new_master_after_save",
    )
    post_save.connect(
        render_sample_pages_after_save,
        sender=Report,
        dispatch_uid="reports.render_sample_pages_after_save",
    )
    post_delete.connect(
        remove_image_after_delete,
        sender=SamplePage,
        dispatch_uid="reports.remove_sample_page_image_after_delete",
    )
