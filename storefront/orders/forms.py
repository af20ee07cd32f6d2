from django import forms
from django.utils.translation import gettext_lazy as _

from storefront.forms import NameField
from storefront.orders.models import PaymentMethod


class AddToCartForm(forms.Form):
    license_option = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class RemoveFromCartForm(forms.Form):
    report = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class CheckoutForm(forms.Form):
    email = forms.EmailField(label=_("Work email"), max_length=254)
    # Printed on every page of the licensed PDF: normalised, visible, no web address.
    full_name = NameField(label=_("Full name"), max_length=200)
    company = NameField(label=_("Company"), max_length=200)
    country = forms.CharField(label=_("Country"), max_length=100)
    vat_id = forms.CharField(label=_("VAT / tax ID (optional)"), max_length=50, required=False)
    po_number = forms.CharField(
        label=_("Purchase order number (optional)"), max_length=50, required=False
    )
    payment_method = forms.ChoiceField(
        label=_("Payment"),
        choices=[
            (PaymentMethod.CARD, _("Pay now by card")),
            (PaymentMethod.INVOICE, _("Request an invoice (bank transfer)")),
        ],
        widget=forms.RadioSelect,
        initial=PaymentMethod.CARD,
    )
    accept_terms = forms.BooleanField(
        label=_("I accept the licence terms of the licences in my cart."),
        error_messages={"required": _("Please accept the licence terms to continue.")},
    )

    def __init__(self, *args, card_available: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not card_available:
            self.fields["payment_method"].choices = [
                choice
                for choice in self.fields["payment_method"].choices
                if choice[0] != PaymentMethod.CARD
            ]
            self.fields["payment_method"].initial = PaymentMethod.INVOICE

    def clean(self):
        cleaned = super().clean()
        for name in ("full_name", "company", "country"):
            value = cleaned.get(name)
            if value is not None and not value.strip():
                self.add_error(name, _("This field is required."))
        return cleaned
