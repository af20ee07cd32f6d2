from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PagesConfig(AppConfig):
    name = "storefront.pages"
    label = "pages"
    verbose_name = _("Company pages")

    def ready(self):
        from storefront.pages import checks  # noqa: F401  (registers the system checks)
