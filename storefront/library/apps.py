from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LibraryConfig(AppConfig):
    name = "storefront.library"
    label = "library"
    verbose_name = _("Buyer's library")
