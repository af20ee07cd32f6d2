from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from storefront.forms import NameField
from storefront.orders import tax_ids
from storefront.orders.countries import needs_postcode
from storefront.orders.models import PaymentMethod
from storefront.orders.seats import Holder


class AddToCartForm(forms.Form):
    license_option = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class RemoveFromCartForm(forms.Form):
    report = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class AddressLineField(NameField):
    """One line of the billing address, printed on invoices: one line, normalised and
    visible, as a name is."""

    default_error_messages = {
        "invisible": _(
            "Please enter at least one letter or digit: spaces and invisible characters "
            "alone do not count."
        ),
        "web_address": _("Please enter a postal address here, not a web address."),
    }


class CheckoutForm(forms.Form):
    email = forms.EmailField(label=_("Work email"), max_length=254)
    # Printed on every page of the licensed PDF: normalised, visible, no web address.
    full_name = NameField(label=_("Full name"), max_length=200)
    company = NameField(label=_("Company"), max_length=200)
    # Names in the page's language (django-countries); the order keeps the ISO code.
    country = CountryField(blank_label=_("Choose a country")).formfield(
        label=_("Country"), error_messages={"invalid_choice": _("Choose a country from the list.")}
    )
    billing_line1 = AddressLineField(label=_("Street and number"), max_length=200)
    billing_line2 = AddressLineField(
        label=_("Address line 2 (optional)"), max_length=200, required=False
    )
    billing_postcode = AddressLineField(label=_("Postcode"), max_length=20, required=False)
    billing_city = AddressLineField(label=_("City"), max_length=100)
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
        label=_("I accept the terms of sale and the licence terms of the licences in my cart."),
        error_messages={"required": _("Please accept the licence terms to continue.")},
    )

    def __init__(
        self, *args, card_available: bool = True, seat_lines=(), needs_site=False, **kwargs
    ):
        """``seat_lines``: (report id, title, licence label, seats) of the cart's licences
        with named seats; ``needs_site``: the cart holds a site licence."""
        super().__init__(*args, **kwargs)
        if needs_site:
            self.fields["site"] = NameField(
                label=_("Site covered by the site licence"),
                max_length=200,
            )
        self.seat_groups = []
        for report_id, title, licence, seats in seat_lines:
            rows = []
            for number in range(1, seats + 1):
                prefix = f"seat_{report_id}_{number}"
                self.fields[f"{prefix}_name"] = NameField(
                    label=_("Seat %(number)s: name") % {"number": number}, max_length=200,
                    required=False,
                )  # fmt: skip
                self.fields[f"{prefix}_email"] = forms.EmailField(
                    label=_("Seat %(number)s: email") % {"number": number}, max_length=254,
                    required=False,
                )  # fmt: skip
                rows.append((number, prefix))
            self.seat_groups.append(
                {"report_id": report_id, "title": title, "licence": licence, "rows": rows}
            )
        if not card_available:
            self.fields["payment_method"].choices = [
                choice
                for choice in self.fields["payment_method"].choices
                if choice[0] != PaymentMethod.CARD
            ]
            self.fields["payment_method"].initial = PaymentMethod.INVOICE

    def clean(self):
        cleaned = super().clean()
        for name in ("full_name", "company", "billing_line1", "billing_city"):
            value = cleaned.get(name)
            if value is not None and not value.strip():
                self.add_error(name, _("This field is required."))
        country = cleaned.get("country")
        if country and needs_postcode(country) and not cleaned.get("billing_postcode", "x").strip():
            self.add_error("billing_postcode", _("Enter the postcode of the billing address."))
        if country and cleaned.get("vat_id"):
            try:
                cleaned["vat_id"] = tax_ids.normalise_tax_id(country, cleaned["vat_id"])
            except ValidationError as error:
                self.add_error("vat_id", error)
        self._clean_seats(cleaned)
        return cleaned

    def _clean_seats(self, cleaned):
        for group in self.seat_groups:
            seen = set()
            for _number, prefix in group["rows"]:
                name, email = f"{prefix}_name", f"{prefix}_email"
                if name in self.errors or email in self.errors:
                    continue
                if cleaned.get(name) and not cleaned.get(email):
                    self.add_error(email, _("Please give this person's e-mail address too."))
                elif cleaned.get(email) and not cleaned.get(name):
                    self.add_error(name, _("Please give this person's name too."))
                elif cleaned.get(email):
                    address = cleaned[email].casefold()
                    if address in seen:
                        self.add_error(
                            email,
                            _("This address already has a seat: each seat is for another person."),
                        )
                    seen.add(address)

    def bound_seat_groups(self):
        """The seat fields per licence, for the template: [(group, [(n, name, email)])]."""
        return [
            (group, [(n, self[f"{p}_name"], self[f"{p}_email"]) for n, p in group["rows"]])
            for group in self.seat_groups
        ]

    def seat_holders(self) -> dict[int, list[Holder]]:
        """{report id: holders named}, after is_valid()."""
        holders = {}
        for group in self.seat_groups:
            named = [
                Holder(name=self.cleaned_data[f"{p}_name"], email=self.cleaned_data[f"{p}_email"])
                for _n, p in group["rows"]
                if self.cleaned_data.get(f"{p}_email")
            ]
            if named:
                holders[group["report_id"]] = named
        return holders


class SeatHolderForm(forms.Form):
    """Name a seat, or give it to another person, from the order's seats page."""

    name = NameField(label=_("Name"), max_length=200)
    email = forms.EmailField(label=_("Email"), max_length=254)

    def holder(self) -> Holder:
        return Holder(name=self.cleaned_data["name"], email=self.cleaned_data["email"])
