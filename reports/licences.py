"""What each licence allows, side by side: the comparison on a report's page and in the cart.

The same facts as the sentences of reports.models.LICENSE_TERMS, cut into the
questions a buyer compares licences by.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from reports.models import LicenseType


@dataclass(frozen=True)
class LicenceScope:
    readers: Promise  # who may read the report
    people: Promise  # how many people
    sharing: Promise  # how the copy may be shared


LICENCE_SCOPES = {
    LicenseType.SINGLE_USER: LicenceScope(
        readers=_("One named person"),
        people=_("1"),
        sharing=_("Not shared; may be printed for own use"),
    ),
    LicenseType.MULTI_USER: LicenceScope(
        readers=_("Named people in one team, each with their own stamped copy"),
        people=_("Up to 5"),
        sharing=_("Within the named team only"),
    ),
    LicenseType.SITE: LicenceScope(
        readers=_("Everyone at one company location"),
        people=_("Unlimited at that site"),
        sharing=_("On the site's internal network"),
    ),
    LicenseType.ENTERPRISE: LicenceScope(
        readers=_("Everyone in the company and its subsidiaries"),
        people=_("Unlimited, worldwide"),
        sharing=_("Across the company's internal networks"),
    ),
}


def scope_of(license_type: str) -> LicenceScope | None:
    return LICENCE_SCOPES.get(license_type)
