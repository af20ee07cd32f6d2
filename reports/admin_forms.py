"""The editors' report form: publication rules, outlines as text, PDF checks, review mark.

The rules themselves live in ``reports.services`` (and ``reports.pdf_files``); this
form only puts their answers next to the fields they are about.
"""

from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.forms.models import BaseInlineFormSet
from django.utils import timezone
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _
from parler.forms import TranslatableModelForm

from reports import services
from reports.models import KeyStatistic
from reports.outline import OutlineError
from reports.outline_editing import (
    SEGMENTATION,
    TABLE_OF_CONTENTS,
    defines_structure,
    outline_entries,
    outline_text,
    read_outline,
)
from reports.pdf_files import validate_report_pdf

STATUS_HELP = _(
    "Draft: only editors see it. Scheduled: buyers see it from the publish time. "
    "Published: buyers see it now. Archived: withdrawn from the catalogue; orders and "
    "links to it stay. A report needs an English title, a licence option and its master "
    "PDF (or the delivery “delivered on order”) before it is scheduled or published; a "
    "published report can only be archived."
)
OUTLINE_STRUCTURE_HELP = _(
    "One line per entry, numbered as in the report (1, 1.1, 1.1.1 …); the numbering "
    "gives the level. Paste a whole outline or edit lines in place: a line kept or "
    "edited keeps its translations, a line removed takes them with it."
)
OUTLINE_TRANSLATE_HELP = _(
    "The English outline in this language: one line per line of the English, in the "
    "same order and numbering (lines are added or removed in the English tab). A line "
    "still showing the English text stays untranslated."
)


def language_name(code: str) -> str:
    return get_language_info(code)["name_translated"]


def is_new_upload(value) -> bool:
    """An uploaded file in this request (not the stored file, nor a cleared field)."""
    return isinstance(value, UploadedFile)


def _outline_lines(value) -> list[str]:
    return [line.rstrip() for line in str(value or "").splitlines() if line.strip()]


class OutlineField(forms.CharField):
    """A numbered outline as text; line endings and blank lines are not a change."""

    def __init__(self, **kwargs):
        super().__init__(
            required=False,
            strip=False,  # error messages count lines as the editor sees them
            widget=forms.Textarea(attrs={"rows": 12, "class": "outline-text", "spellcheck": "false"}),
            **kwargs,
        )

    def has_changed(self, initial, data):
        return _outline_lines(initial) != _outline_lines(data)


# Form field name → what it edits.
OUTLINE_FIELDS = {"toc_outline": TABLE_OF_CONTENTS, "segments_outline": SEGMENTATION}


class ReportAdminForm(TranslatableModelForm):
    """The report form of one language tab (``language_code`` is set by the admin)."""

    toc_outline = OutlineField(label=_("Table of contents"))
    segments_outline = OutlineField(label=_("Segmentation"))
    translation_reviewed = forms.BooleanField(label=_("Reviewed"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._master_page_count: int | None = None  # of a master uploaded now
        # When that count replaced the form's: (pages the form said, pages of the PDF).
        self.pages_from_master: tuple[int | None, int] | None = None
        # Outlines to write after the report is saved: field name → text (valid forms).
        self.edited_outlines: dict[str, str] = {}
        self._offer_allowed_statuses()
        self._fill_outlines()
        self._name_the_review()
        if "pages" in self.fields:
            self.fields["pages"].help_text = _(
                "Set from the master PDF whenever a master is uploaded."
            )

    # --- Field set-up ----------------------------------------------------------

    def _stored_status(self) -> str | None:
        return self.instance.status if self.instance.pk else None

    def _offer_allowed_statuses(self):
        if "status" not in self.fields:
            return
        allowed = services.allowed_statuses(self._stored_status())
        field = self.fields["status"]
        field.choices = [(value, label) for value, label in field.choices if value in allowed]
        field.help_text = STATUS_HELP

    def _fill_outlines(self):
        self._outline_entries = {}
        for name, kind in OUTLINE_FIELDS.items():
            if name not in self.fields:
                continue
            entries = outline_entries(kind, self.instance.pk)
            self._outline_entries[name] = entries
            field = self.fields[name]
            field.initial = self.initial[name] = outline_text(kind, entries, self.language_code)
            structure = defines_structure(language_code=self.language_code, entries=entries)
            field.help_text = OUTLINE_STRUCTURE_HELP if structure else OUTLINE_TRANSLATE_HELP

    def _name_the_review(self):
        if "translation_reviewed" not in self.fields:
            return
        field = self.fields["translation_reviewed"]
        field.label = _("%(language)s reviewed against the current English") % {
            "language": language_name(self.language_code)
        }
        field.help_text = _(
            "Tick when this translation still says what the English says, even if you "
            "changed nothing: the report is then no longer listed as out of date."
        )

    # --- Validation --------------------------------------------------------------

    def clean_master_pdf(self):
        upload = self.cleaned_data.get("master_pdf")
        if is_new_upload(upload):
            self._master_page_count = validate_report_pdf(upload)
        return upload

    def clean_sample_pdf(self):
        upload = self.cleaned_data.get("sample_pdf")
        if is_new_upload(upload):
            validate_report_pdf(upload)
        return upload

    def clean(self):
        cleaned_data = super().clean()
        self._clean_publication(cleaned_data)
        self._clean_outlines(cleaned_data)
        self._take_pages_from_master(cleaned_data)
        return cleaned_data

    def _english_title(self, cleaned_data) -> str:
        if self.language_code == settings.PARLER_DEFAULT_LANGUAGE_CODE:
            return cleaned_data.get("title") or ""
        return services.english_title(self.instance) if self.instance.pk else ""

    def _clean_publication(self, cleaned_data):
        status = cleaned_data.get("status")
        if status not in services.LISTED_STATUSES:
            return
        if not self._english_title(cleaned_data).strip():
            self.add_error("status", services.NEEDS_ENGLISH_TITLE)
        # A refused upload is reported on its own field; no second error about it here.
        if "master_pdf" not in self.errors and not services.can_be_delivered(
            has_master=self._has_master(cleaned_data),
            delivery_mode=self._value(cleaned_data, "delivery_mode"),
            delivery_days=self._value(cleaned_data, "delivery_days"),
        ):
            self.add_error("status", services.NEEDS_MASTER_OR_ON_ORDER)
        status_changed = status != self._stored_status()
        publish_at = cleaned_data.get("publish_at")
        now = timezone.now()
        if status_changed:
            publish_at = services.publish_time_on_entering(status, publish_at=publish_at, now=now)
            cleaned_data["publish_at"] = publish_at
        if status_changed or "publish_at" in self.changed_data:
            problem = services.publish_time_problem(status=status, publish_at=publish_at, now=now)
            if problem:
                self.add_error("publish_at", problem)

    def _value(self, cleaned_data, name):
        """The value the report will have: the form's if it has the field, else the stored one."""
        if name in self.fields:
            return cleaned_data.get(name)
        return getattr(self.instance, name)

    def _has_master(self, cleaned_data) -> bool:
        # A new upload, the stored file kept, or False when "clear" is ticked.
        return bool(self._value(cleaned_data, "master_pdf"))

    def _clean_outlines(self, cleaned_data):
        for name, kind in OUTLINE_FIELDS.items():
            if name not in self.fields or name not in self.changed_data:
                continue
            text = cleaned_data.get(name) or ""
            try:
                read_outline(
                    kind,
                    entries=self._outline_entries[name],
                    language_code=self.language_code,
                    text=text,
                )
            except OutlineError as error:
                self.add_error(name, error.errors)
            else:
                self.edited_outlines[name] = text

    def _take_pages_from_master(self, cleaned_data):
        # The master is what buyers receive: its page count wins over a typed one.
        count = self._master_page_count
        if count is None or "pages" not in self.fields:
            return
        typed = cleaned_data.get("pages")
        cleaned_data["pages"] = count
        if typed != count:
            self.pages_from_master = (typed, count)


class LicenceOptionFormSet(BaseInlineFormSet):
    """A report buyers see, or will see, keeps at least one licence option."""

    def clean(self):
        super().clean()
        if self.instance.status not in services.LISTED_STATUSES:
            return
        kept = [
            form
            for form in self.forms
            if form.cleaned_data and not self._should_delete_form(form)
        ]
        if not kept:
            raise forms.ValidationError(services.NEEDS_LICENCE_OPTION)


# A market size is typed as a figure and a unit ("9.31" "billion") and stored in
# whole currency units (9310000000), as before.
AMOUNT_UNITS = (
    (Decimal(1), _("units")),
    (Decimal(10) ** 3, _("thousand")),
    (Decimal(10) ** 6, _("million")),
    (Decimal(10) ** 9, _("billion")),
)
CENT = Decimal("0.01")


def split_amount(amount: Decimal) -> tuple[Decimal, Decimal]:
    """(figure, unit) of a stored amount, in the largest unit it reaches: 9310000000 →
    (9.31, 10⁹); the figure times the unit is the amount exactly."""
    for unit, _label in reversed(AMOUNT_UNITS):
        if amount >= unit:
            return (amount / unit).normalize(), unit
    return amount.normalize(), Decimal(1)


class KeyStatisticForm(forms.ModelForm):
    """A key statistic whose amount is typed with a unit (the model keeps the amount)."""

    amount_figure = forms.DecimalField(
        label=_("amount"),
        required=False,
        min_value=0,
        max_digits=24,
        widget=forms.NumberInput(attrs={"step": "any", "class": "amount-figure"}),
    )
    amount_unit = forms.TypedChoiceField(
        label=_("unit"),
        choices=[(str(unit), label) for unit, label in AMOUNT_UNITS],
        coerce=Decimal,
        initial=str(Decimal(10) ** 9),
    )
    # Set from the figure and the unit in clean(); a hidden field so the model's
    # checks (amount given for a market size, none for a growth rate) still run.
    amount = forms.DecimalField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = KeyStatistic
        fields = ("position", "kind", "year", "amount_figure", "amount_unit", "currency",
                  "percentage", "amount")  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.amount is not None:
            figure, unit = split_amount(self.instance.amount)
            self.initial["amount_figure"] = figure
            self.initial["amount_unit"] = str(unit)
        # The amount itself is never taken from the browser.
        self.fields["amount"].disabled = True

    def clean(self):
        cleaned_data = super().clean()
        figure, unit = cleaned_data.get("amount_figure"), cleaned_data.get("amount_unit")
        if figure is None:
            cleaned_data["amount"] = None
        elif unit is not None:
            amount = figure * unit
            if amount != amount.quantize(CENT):
                self.add_error(
                    "amount_figure",
                    _("%(figure)s %(unit)s has more than two decimals in whole units.")
                    % {"figure": figure, "unit": dict(AMOUNT_UNITS)[unit]},
                )
            else:
                cleaned_data["amount"] = amount.quantize(CENT)
        return cleaned_data
