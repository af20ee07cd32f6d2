from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvoicingConfig(AppConfig):
    name = "storefront.invoicing"
    label = "invoicing"
    verbose_name = _("Invoicing")

    def ready(self):
        from storefront.invoicing import receivers
        from storefront.orders.signals import order_paid, proforma_mail_prepared
        from storefront.payments.signals import refund_recorded

        order_paid.connect(receivers.issue_invoice_when_paid, dispatch_uid="invoicing.order_paid")
        refund_recorded.connect(
            receivers.issue_credit_note_for_refund, dispatch_uid="invoicing.refund_recorded"
        )
        proforma_mail_prepared.connect(
            receivers.attach_proforma, dispatch_uid="invoicing.proforma_mail_prepared"
        )
