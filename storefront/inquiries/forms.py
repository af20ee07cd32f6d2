from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from storefront.forms import NameField
from storefront.inquiries.models import InquiryKind

# Names, companies and countries are one line: a line break there is an injection
# attempt (mail headers) or a paste gone wrong, never something to keep.
one_line = RegexValidator(
    r"[\x00-\x1f\x7f]",
    _("Please remove line breaks and control characters from this field."),
    inverse_match=True,
)
phone_number = RegexValidator(
    r"^\+?[0-9 ()./-]{5,29}$",
    _("Enter a phone number with digits, spaces, + ( ) - . or / only."),
)

HONEYPOT_FIELD = "website"


def _text(label, max_length, autocomplete, **kwargs):
    return forms.CharField(
        label=label,
        max_length=max_length,
        validators=[one_line],
        widget=forms.TextInput(attrs={"autocomplete": autocomplete}),
        **kwargs,
    )


def _name(label, autocomplete):
    # The same rules as the licensee at checkout (NameField refuses line breaks itself).
    return NameField(
        label=label, max_length=200, widget=forms.TextInput(attrs={"autocomplete": autocomplete})
    )


class InquiryForm(forms.Form):
    """The contact form; the report and the page it came from ride along as hidden fields."""

    kind = forms.ChoiceField(
        label=_("What can we help you with?"),
        choices=InquiryKind.choices,
        initial=InquiryKind.GENERAL,
        widget=forms.RadioSelect,
    )
    report = forms.CharField(max_length=32, required=False, widget=forms.HiddenInput)
    source = forms.CharField(max_length=500, required=False, widget=forms.HiddenInput)
    name = _name(_("Full name"), "name")
    email = forms.EmailField(
        label=_("Work email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    company = _name(_("Company"), "organization")
    job_title = _text(_("Job title"), 200, "organization-title")
    country = _text(_("Country"), 100, "country-name")
    phone = forms.CharField(
        label=_("Phone (optional)"),
        max_length=30,
        required=False,
        validators=[phone_number],
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    message = forms.CharField(
        label=_("Your message"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 7}),
    )
    consent = forms.BooleanField(
        label=_("I agree to be contacted by e-mail or phone about this inquiry."),
        error_messages={"required": _("Please agree to be contacted, so that we can answer you.")},
    )
    # Hidden from people by CSS and from assistive technology; bots fill it in.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def honeypot_filled(self) -> bool:
        return bool(self.data.get(HONEYPOT_FIELD, "").strip())

    def clean_source(self) -> str:
        source = self.cleaned_data["source"]
        # Only a path on this site: never an address elsewhere.
        if not source.startswith("/") or source.startswith("//") or "\\" in source:
            return ""
        return source
