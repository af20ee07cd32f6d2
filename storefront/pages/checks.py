from email.utils import parseaddr

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security)
def seller_identity_in_production(app_configs, **kwargs):
    """Every page's footer names the seller and the sales address: in production
    they must be the real ones, never a placeholder."""
    if settings.DEBUG:
        return []
    warnings = []
    for name in ("SALES_EMAIL", "DEFAULT_FROM_EMAIL"):
        address = parseaddr(getattr(settings, name, "") or "")[1].lower()
        if address.endswith("@localhost"):
            warnings.append(
                Warning(
                    f"{name} is {address}: buyers would see and write to an address that "
                    "does not exist.",
                    hint=f"Set {name} to a real mailbox of the shop.",
                    id="pages.W001",
                )
            )
    if not getattr(settings, "SELLER_LEGAL_NAME", "").strip():
        warnings.append(
            Warning(
                "SELLER_LEGAL_NAME is not set: the footer, the imprint and invoices cannot "
                "name the seller.",
                hint="Set SELLER_LEGAL_NAME, SELLER_ADDRESS and SELLER_TAX_ID.",
                id="pages.W002",
            )
        )
    return warnings
