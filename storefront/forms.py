"""Form fields shared by the shop's apps (checkout and the contact form)."""

import unicodedata

import regex
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

# Django's own messages that our forms show, re-worded in the shop's catalogue (Django's
# Chinese says "输入一个有效的 Email 地址。"). Named here so that makemessages keeps them in
# locale/zh_Hans/LC_MESSAGES/django.po; a project's catalogues (LOCALE_PATHS) come before
# Django's, so this wording is the one every form and validator shows.
DJANGO_MESSAGES_REWORDED = (
    _("This field is required."),
    _("Enter a valid email address."),
    _("Enter a valid value."),
    _("Select a valid choice. %(value)s is not one of the available choices."),
    _("Enter a whole number."),
    _("Enter a number."),
    _("Enter a valid URL."),
    _("Enter a valid date."),
    _("Null characters are not allowed."),
    ngettext_lazy(
        "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
        "limit_value",
    ),
    ngettext_lazy(
        "Ensure this value has at least %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at least %(limit_value)d characters (it has %(show_value)d).",
        "limit_value",
    ),
)

# Controls, format characters (U+200B, U+00AD, U+FEFF, bidi overrides), surrogates,
# private use, and the characters Unicode says to draw as nothing (Hangul fillers,
# variation selectors): none of them can be seen, so none may make up a name.
# Unicode's own property, kept by the regex library, rather than a list of our own.
_INVISIBLE = regex.compile(r"[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Default_Ignorable_Code_Point}]")
_LINE_BREAK = regex.compile(r"[\n\r\v\f\x85\u2028\u2029]")
_LETTER_OR_DIGIT = regex.compile(r"[\p{L}\p{N}]")
# Compared after NFKC and casefolding, so full-width "ｈｔｔｐ：／／" is caught too. A bare
# domain stays allowed: "Booking.com B.V." and "Amazon.com, Inc." are real companies.
_WEB_ADDRESS = regex.compile(
    r"(?:\b[a-z][a-z0-9+.-]*://|\b(?:https?|ftp):|\bwww\d{0,3}\.|"
    r"\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}/)"
)


def normalise_name(value: str) -> str:
    """A name or company as it is stored, mailed and stamped on a licence.

    NFC, not NFKC: NFC only joins what is canonically the same (a letter and its
    combining accent), while NFKC would rewrite what the buyer typed: the full-width
    brackets of a Chinese company name （上海） become ASCII, "Lab²" becomes "Lab2",
    "™" becomes "TM". A licensee's legal name is printed as typed. Invisible
    characters are removed and whitespace of any kind collapses to one space.
    """
    text = unicodedata.normalize("NFC", value)
    text = " ".join(text.split())  # line breaks and tabs are spaces before controls go
    text = _INVISIBLE.sub("", text)
    return " ".join(text.split())


def looks_like_web_address(value: str) -> bool:
    return bool(_WEB_ADDRESS.search(unicodedata.normalize("NFKC", value).casefold()))


class NameField(forms.CharField):
    """A person's or company's name: one line, normalised by normalise_name(), with at
    least one visible letter or digit, and not a web address (a spammer's favourite
    "name", since it is copied into the mail we send)."""

    default_error_messages = {
        "line_break": _("Please remove line breaks and control characters from this field."),
        "invisible": _(
            "Please enter a name with at least one letter or digit: "
            "spaces and invisible characters alone do not count."
        ),
        "web_address": _("Please enter a name here, not a web address."),
    }

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return value
        # A line break in a one-line field is a mail-header injection attempt or a
        # paste gone wrong: the buyer fixes it, nothing is guessed.
        if _LINE_BREAK.search(value):
            raise ValidationError(self.error_messages["line_break"], code="line_break")
        name = normalise_name(value)
        if not _LETTER_OR_DIGIT.search(name):
            raise ValidationError(self.error_messages["invisible"], code="invisible")
        if looks_like_web_address(name):
            raise ValidationError(self.error_messages["web_address"], code="web_address")
        return name
