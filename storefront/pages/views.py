from django.http import Http404
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from reports.sanitize import clean_summary_html
from reports.selectors import shown_languages, translations_of
from storefront.pages.models import CompanyPage, PageKind


def company_page(request, kind):
    """A company page in the visitor's language, else in its fallbacks, saying so."""
    language = get_language()
    page = (
        CompanyPage.objects.filter(kind=kind).prefetch_related(translations_of(CompanyPage)).first()
    )
    translations = {item.language_code: item for item in page.translations.all()} if page else {}
    translation = next(
        (translations[code] for code in shown_languages(language) if code in translations), None
    )
    if translation is None:
        raise Http404
    context = {
        "page": page,
        "title": translation.title,
        # Cleaned on save in the admin; cleaned again here, for rows written around it.
        "body": mark_safe(clean_summary_html(translation.body)),  # noqa: S308
        "fallback": translation.language_code != language,
        "shown_language": translation.language_code,
        "show_seller": kind == PageKind.IMPRINT,
    }
    return render(request, "pages/company_page.html", context)
