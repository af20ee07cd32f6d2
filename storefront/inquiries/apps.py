from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InquiriesConfig(AppConfig):
    name = "storefront.inquiries"
    label = "inquiries"
    verbose_name = _("Inquiries")

    def ready(self):
        from anymail.signals import inbound

        from storefront.inquiries import conversation

        inbound.connect(conversation.on_inbound, dispatch_uid="inquiries-inbound-mail")
