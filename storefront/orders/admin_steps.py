"""The steps staff take from an order's admin page, each on a small page of its own:
record a bank payment, cancel the order (after confirming), send the pro-forma again.

Thin views: the work is in orders.settlement and orders.services, which write the
status history with the staff member.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from reports import currencies
from reports.formatting import format_amount
from storefront.orders import services, settlement
from storefront.orders.models import Order, OrderStatus, PaymentMethod

MARK_PAID = "orders.mark_invoice_paid"


def can_settle(user) -> bool:
    """Record payments and resend pro-formas: the invoice-order desk (Sales)."""
    return user.has_perm(MARK_PAID)


def can_cancel_orders(user) -> bool:
    return user.has_perm("orders.change_order") or user.has_perm(MARK_PAID)


def awaits_bank_payment(order: Order) -> bool:
    return order.payment_method == PaymentMethod.INVOICE and (
        order.status == OrderStatus.AWAITING_INVOICE
    )


class BankPaymentForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount received"), min_value=0, max_digits=12)
    received_on = forms.DateField(
        label=_("Received on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reference = forms.CharField(label=_("Bank reference"), max_length=100)

    def __init__(self, *args, order: Order, **kwargs):
        super().__init__(*args, **kwargs)
        self.order = order
        self.fields["amount"].help_text = _("In %(currency)s.") % {"currency": order.currency}

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount <= 0:
            raise forms.ValidationError(_("Enter an amount above zero."))
        currencies.validate_price_fits(amount, self.order.currency)
        return amount

    def clean_received_on(self):
        received_on = self.cleaned_data["received_on"]
        if received_on > timezone.localdate():
            raise forms.ValidationError(_("A payment cannot be received in the future."))
        return received_on


def _page(model_admin, request, order, *, template, title, **context):
    return render(
        request,
        f"admin/orders/order/{template}.html",
        {
            **model_admin.admin_site.each_context(request),
            "opts": Order._meta,
            "order": order,
            "title": title,
            "change_url": reverse("admin:orders_order_change", args=[order.pk]),
            **context,
        },
    )


def record_bank_payment_view(model_admin, request, order_id):
    if not can_settle(request.user):
        raise PermissionDenied
    order = get_object_or_404(Order, pk=order_id)
    change_url = reverse("admin:orders_order_change", args=[order.pk])
    if not awaits_bank_payment(order):
        messages.error(request, _("Only an invoice order awaiting payment can receive a bank payment."))
        return redirect(change_url)
    form = BankPaymentForm(request.POST or None, order=order, initial={
        "received_on": timezone.localdate(),
    })
    if request.method == "POST" and form.is_valid():
        try:
            order = settlement.record_bank_payment(
                order_id=order.pk, actor=request.user, **form.cleaned_data
            )
        except services.OrderError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                gettext("Recorded %(amount)s.") % {
                    "amount": format_amount(form.cleaned_data["amount"], order.currency)
                }
                + " "
                + (
                    gettext("The order is paid; the buyer's delivery follows.")
                    if order.is_paid
                    else gettext("%(outstanding)s still owed.") % {
                        "outstanding": format_amount(
                            order.total - settlement.bank_payments_total(order), order.currency
                        )
                    }
                ),
            )
            return redirect(change_url)
    received = settlement.bank_payments_total(order)
    return _page(
        model_admin, request, order, template="bank_payment", form=form,
        title=_("Record a bank payment for order %(number)s") % {"number": order.number},
        total=format_amount(order.total, order.currency),
        received=format_amount(received, order.currency),
        outstanding=format_amount(order.total - received, order.currency),
    )


def cancel_order_view(model_admin, request, order_id):
    if not can_cancel_orders(request.user):
        raise PermissionDenied
    order = get_object_or_404(Order, pk=order_id)
    change_url = reverse("admin:orders_order_change", args=[order.pk])
    if not services.can_cancel(order):
        messages.error(
            request,
            _("Only an order awaiting payment, with no bank payment recorded, can be cancelled."),
        )
        return redirect(change_url)
    if request.method == "POST":
        services.cancel_order(
            order_id=order.pk, source="admin", actor=request.user,
            note=request.POST.get("reason", "").strip()[:500],
        )
        messages.success(request, _("Order %(number)s cancelled.") % {"number": order.number})
        return redirect(change_url)
    return _page(
        model_admin, request, order, template="confirm_step",
        title=_("Cancel order %(number)s?") % {"number": order.number},
        question=_(
            "The buyer can no longer pay this order and receives nothing for it. "
            "This cannot be undone."
        ),
        ask_reason=True, button=_("Yes, cancel the order"),
    )


def resend_proforma_view(model_admin, request, order_id):
    if not can_settle(request.user):
        raise PermissionDenied
    order = get_object_or_404(Order, pk=order_id)
    change_url = reverse("admin:orders_order_change", args=[order.pk])
    if not awaits_bank_payment(order):
        messages.error(request, _("Only an invoice order awaiting payment has a pro-forma to send."))
        return redirect(change_url)
    if request.method == "POST":
        settlement.resend_proforma(order_id=order.pk, actor=request.user)
        messages.success(
            request, _("The pro-forma invoice is being sent to %(email)s.") % {"email": order.email}
        )
        return redirect(change_url)
    return _page(
        model_admin, request, order, template="confirm_step",
        title=_("Send the pro-forma invoice of order %(number)s again?") % {"number": order.number},
        question=_("It goes to %(email)s in the order's language.") % {"email": order.email},
        ask_reason=False, button=_("Send the pro-forma invoice"),
    )
