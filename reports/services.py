"""Business steps of the catalogue."""

import html
import re
import unicodedata
from decimal import Decimal

from django.db import transaction
from django.utils.html import strip_tags

from reports import page_cache
from reports.models import LicenseOption, Report

_WHITESPACE = re.compile(r"\s+")


def normalise_search_text(text: str) -> str:
    """Fold text for substring search: NFKC (full-width forms), lower case, one space."""
    text = unicodedata.normalize("NFKC", text or "")
    return _WHITESPACE.sub(" ", text).strip().lower()


def build_search_text(
    *, product_code: str, publisher_name: str, texts: list[str]
) -> str:
    """The denormalised text a report is found by, in every language it has."""
    # Tags go, entities become characters: "Obstetrics &amp; Gynecology" is found by "&".
    parts = [product_code, publisher_name, *(html.unescape(strip_tags(text)) for text in texts)]
    return normalise_search_text(" \n".join(part for part in parts if part))


def lowest_price(options) -> tuple[Decimal | None, str]:
    options = sorted(options, key=lambda option: option.price)
    if not options:
        return None, ""
    return options[0].price, options[0].currency


@transaction.atomic
def refresh_listing(*, report_id: int) -> Report:
    """Recompute a report's search text and "price from" after an edit.

    Idempotent; changes only the denormalised columns, and after commit marks
    the cached catalogue pages stale.
    """
    report = (
        Report.objects.select_related("publisher")
        .prefetch_related("translations")
        .select_for_update(of=("self",))
        .get(pk=report_id)
    )
    texts = []
    for translation in report.translations.all():
        texts += [translation.title, translation.summary]
    report.search_text = build_search_text(
        product_code=report.product_code, publisher_name=report.publisher.name, texts=texts
    )
    report.price_from, report.price_currency = lowest_price(
        LicenseOption.objects.filter(report_id=report_id)
    )
    Report.objects.filter(pk=report_id).update(
        search_text=report.search_text,
        price_from=report.price_from,
        price_currency=report.price_currency,
    )
    # Now, so this transaction's own reads see fresh pages, and again after commit,
    # so a page rebuilt from the old rows meanwhile is not kept.
    catalogue_changed()
    transaction.on_commit(catalogue_changed)
    return report


def catalogue_changed() -> None:
    """Every cached catalogue page is rebuilt on its next request."""
    page_cache.bump_catalogue_version()
