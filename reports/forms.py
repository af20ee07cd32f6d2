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
