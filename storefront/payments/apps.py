from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "storefront.payments"
    label = "payments"
    verbose_name = _("Payments")

    def ready(self):
        from storefront.payments import checks  # noqa: F401  (registers the system check)
