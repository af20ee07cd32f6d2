from django import forms
from django.utils.translation import gettext_lazy as _

from storefront.forms import NameField
from storefront.orders.models import PaymentMethod
from storefront.orders.seats import Holder


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
        for name in ("full_name", "company", "country"):
            value = cleaned.get(name)
            if value is not None and not value.strip():
                self.add_error(name, _("This field is required."))
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
