from django.conf import settings
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from reports.sanitize import clean_summary_html
from storefront.pages.models import CompanyPage, PageKind


def company_page(request, kind):
    """A company page in the visitor's language, else in English, saying so."""
    language, fallback = get_language(), settings.PARLER_DEFAULT_LANGUAGE_CODE
    page = (
        CompanyPage.objects.filter(kind=kind)
        .prefetch_related(
            Prefetch(
                "translations",
                queryset=CompanyPage.translations.field.model.objects.filter(
                    language_code__in=[language, fallback]
                ),
            )
        )
        .first()
    )
    translations = {item.language_code: item for item in page.translations.all()} if page else {}
    translation = translations.get(language) or translations.get(fallback)
    if translation is None:
        raise Http404
    context = {
        "page": page,
        "title": translation.title,
        # Cleaned on save in the admin; cleaned again here, for rows written around it.
        "body": mark_safe(clean_summary_html(translation.body)),  # noqa: S308
        "fallback": translation.language_code != language,
        "show_seller": kind == PageKind.IMPRINT,
    }
    return render(request, "pages/company_page.html", context)
