from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliveryConfig(AppConfig):
    name = "storefront.delivery"
    label = "delivery"
    verbose_name = _("Delivery")

    def ready(self):
        # The catalogue announces a new master PDF; delivery, the higher app, listens
        # (reports never imports storefront).
        from reports.signals import master_pdf_available
        from storefront.delivery import services

        master_pdf_available.connect(
            services.master_pdf_available_receiver,
            dispatch_uid="delivery.deliver_orders_waiting_for_master",
        )
