import re

from django import forms
from django.utils.translation import gettext_lazy as _

from reports.selectors import DEFAULT_SORT


class CatalogueFilterForm(forms.Form):
    """The catalogue's query string: what a buyer searched for and how to sort."""

    SORT_CHOICES = [
        ("newest", _("Newest first")),
        ("price_asc", _("Price: low to high")),
        ("price_desc", _("Price: high to low")),
    ]

    q = forms.CharField(label=_("Search"), max_length=200, required=False, strip=True)
    category = forms.SlugField(label=_("Category"), required=False)
    publisher = forms.SlugField(label=_("Publisher"), required=False)
    sort = forms.ChoiceField(label=_("Sort by"), choices=SORT_CHOICES, required=False)

    def clean_sort(self):
        return self.cleaned_data.get("sort") or DEFAULT_SORT


_SLUG = re.compile(r"^[-a-zA-Z0-9_]+\Z")
_SORTS = frozenset(value for value, _label in CatalogueFilterForm.SORT_CHOICES)
_Q_MAX_LENGTH = CatalogueFilterForm.base_fields["q"].max_length


class AcceptedFilters:
    """What CatalogueFilterForm says of a query string it accepts, found without
    building the form (whose construction and cleaning cost a list page a tenth of
    its time): is_bound, is_valid(), cleaned_data and no errors."""

    errors: dict = {}

    def __init__(self, cleaned_data: dict, *, bound: bool):
        self.is_bound = bound
        if bound:
            self.cleaned_data = cleaned_data

    def is_valid(self) -> bool:
        return self.is_bound


def accepted_filters(data) -> AcceptedFilters | None:
    """The form's answer for data (request.GET) when it is plainly valid, else None
    (the caller builds the form, which judges it and says what is wrong).

    Cleaned as the form's fields clean: the last value of each parameter, stripped
    (but the sort), slugs checked, the sort one of the choices or the default.
    """
    if not data:
        return AcceptedFilters({}, bound=False)
    q = data.get("q") or ""
    q = q.strip()
    if len(q) > _Q_MAX_LENGTH or "\x00" in q:
        return None
    cleaned = {"q": q}
    for name in ("category", "publisher"):
        value = (data.get(name) or "").strip()
        if value and not _SLUG.match(value):
            return None
        cleaned[name] = value
    sort = data.get("sort")
    if not sort:
        sort = DEFAULT_SORT
    elif sort not in _SORTS:
        return None
    cleaned["sort"] = sort
    return AcceptedFilters(cleaned, bound=True)
