"""List filters of the editors' admin."""

from django.conf import settings
from django.contrib import admin
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from reports.models import DeliveryMode

ENGLISH = settings.PARLER_DEFAULT_LANGUAGE_CODE


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


def translation_languages():
    """The languages a report is translated into from English, in settings order."""
    return [(code, name) for code, name in settings.LANGUAGES if code != ENGLISH]


class TranslationStateFilter(admin.SimpleListFilter):
    """Reports whose translation is missing, or behind the English text."""

    title = _("translation")
    parameter_name = "translation"

    def lookups(self, request, model_admin):
        choices = []
        for code, _name in translation_languages():
            name = get_language_info(code)["name_translated"]
            choices.append((f"behind:{code}", _("%(language)s out of date") % {"language": name}))
            choices.append((f"missing:{code}", _("%(language)s missing") % {"language": name}))
        return choices

    def queryset(self, request, queryset):
        state, _separator, code = (self.value() or "").partition(":")
        if code not in dict(translation_languages()):
            return queryset
        if state == "behind":
            return queryset.translation_behind_english(code)
        if state == "missing":
            return queryset.exclude(translations__language_code=code)
        return queryset
