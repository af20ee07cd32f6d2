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
        from storefront.orders.signals import order_paid, seat_holders_changed

        master_pdf_available.connect(
            services.master_pdf_available_receiver,
            dispatch_uid="delivery.deliver_orders_waiting_for_master",
        )
        # Orders announce a committed payment or seat change; delivery queues the
        # stamping. Connected before invoicing's receiver (INSTALLED_APPS' order),
        # so the buyer's copy is queued before the invoice is issued.
        order_paid.connect(services.order_paid_receiver, dispatch_uid="delivery.order_paid")
        seat_holders_changed.connect(
            services.seat_holders_changed_receiver, dispatch_uid="delivery.seat_holders_changed"
        )
