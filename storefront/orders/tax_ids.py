"""VAT and tax ids checked for format (python-stdnum), per the buyer's country.

Only the format and check digits are checked, offline; whether a number is
registered (VIES, HMRC) is for whoever issues a reverse-charge invoice to decide.
"""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from stdnum import exceptions
from stdnum.au import abn
from stdnum.ch import vat as ch_vat
from stdnum.cn import uscc
from stdnum.eu import vat as eu_vat
from stdnum.gb import vat as gb_vat
from stdnum.in_ import gstin
from stdnum.is_ import vsk
from stdnum.kr import brn
from stdnum.no import mva
from stdnum.nz import ird
from stdnum.tw import ubn
from stdnum.util import clean

# Countries whose business tax id has a checkable format outside the EU scheme.
SCHEMES = {
    "GB": gb_vat, "CH": ch_vat, "LI": ch_vat, "NO": mva, "IS": vsk, "AU": abn, "NZ": ird,
    "CN": uscc, "IN": gstin, "KR": brn, "TW": ubn,
}  # fmt: skip
# EU VAT numbers start with the member state's prefix; Greece's is EL, not GR.
EU_PREFIXES = {code.upper(): code.upper() for code in eu_vat.MEMBER_STATES if code != "xi"}
EU_PREFIXES["GR"] = "EL"

# Elsewhere: letters, digits and the separators tax ids are written with.
REASONABLE_ID = re.compile(r"^(?=.*[0-9A-Za-z])[0-9A-Za-z][0-9A-Za-z .\-/]{1,48}[0-9A-Za-z]$")

REASONS = {
    exceptions.InvalidLength: _("it has the wrong number of characters"),
    exceptions.InvalidChecksum: _("its check digits do not match (a typing error?)"),
    exceptions.InvalidFormat: _("it is not written the way these numbers are"),
    exceptions.InvalidComponent: _("a part of it is not possible"),
}


def _refusal(country: str, error: exceptions.ValidationError) -> ValidationError:
    reason = next(
        (text for kind, text in REASONS.items() if isinstance(error, kind)),
        REASONS[exceptions.InvalidFormat],
    )
    return ValidationError(
        _("This is not a valid VAT / tax ID for %(country)s: %(reason)s."),
        code="invalid_tax_id",
        params={"country": countries.name(country), "reason": reason},
    )


def normalise_tax_id(country: str, value: str) -> str:
    """The tax id in its compact form (python-stdnum) when the country has a known
    scheme, with the EU country prefix added when it was left out; elsewhere the id
    as typed, if it looks like one. Raises ValidationError with the reason."""
    # Full-width letters and digits (typed with a Chinese input method) are plain ones.
    value = " ".join(unicodedata.normalize("NFKC", value).split())
    if not value:
        return ""
    try:
        if country in EU_PREFIXES or (country == "GB" and value.upper().startswith("XI")):
            prefix = EU_PREFIXES.get(country, "XI")
            number = clean(value, " -./,").upper()
            if number.startswith("GR") and prefix == "EL":
                number = prefix + number[2:]
            if not number[:2].isalpha() or len(number) < 3:
                number = prefix + number
            elif number[:2] != prefix:
                raise ValidationError(
                    _(
                        "This VAT number starts with %(prefix)s; VAT numbers of %(country)s "
                        "start with %(expected)s."
                    ),
                    code="invalid_tax_id",
                    params={
                        "prefix": number[:2], "country": countries.name(country), "expected": prefix,
                    },
                )
            return eu_vat.validate(number)
        if country in SCHEMES:
            return SCHEMES[country].validate(value)
    except exceptions.ValidationError as error:
        raise _refusal(country, error) from None
    if not REASONABLE_ID.match(value):
        raise ValidationError(
            _(
                "A VAT / tax ID has letters and digits only (with spaces, dots, dashes or "
                "slashes between them)."
            ),
            code="invalid_tax_id",
        )
    return value


class TaxIdFormMixin:
    """For a staff form with a country and a VAT id (an order, a quote): the VAT id is
    checked and written as the checkout writes it, since invoices print it."""

    def clean(self):
        cleaned = super().clean()
        country, vat_id = cleaned.get("country"), cleaned.get("vat_id")
        if vat_id and country:
            try:
                cleaned["vat_id"] = normalise_tax_id(country, vat_id)
            except ValidationError as error:
                self.add_error("vat_id", error)
        return cleaned
