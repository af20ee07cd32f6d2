from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from reports import views as report_views
from storefront import views
from storefront.inquiries import views as inquiry_views
from storefront.orders import admin as order_admin
from storefront.payments import views as payment_views

# Staff see the shop's name, not "Django administration".
admin.site.site_header = admin.site.site_title = settings.SHOP_NAME
admin.site.index_title = _("Catalogue, orders and inquiries")

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("sitemap.xml", report_views.sitemap, name="sitemap"),
    path("sitemap-<slug:section>.xml", report_views.sitemap_section, name="sitemap_section"),
    # Before admin.site.urls, whose "View on site" redirect would reveal an order's token.
    path(
        "admin/r/<int:content_type_id>/<path:object_id>/",
        admin.site.admin_view(order_admin.view_on_site),
        name="admin_view_on_site",
    ),
    path("admin/", admin.site.urls),
    path("stripe/webhook/", payment_views.stripe_webhook, name="stripe_webhook"),
    path("inbound/mailgun/", inquiry_views.inbound_mailgun, name="inbound_mailgun"),
    path("downloads/", include("storefront.delivery.urls")),
    # "Look inside": a published report's stamped sample page, the same in every language.
    path(
        "sample-pages/<str:product_code>/<int:number>-<slug:digest>.webp",
        report_views.sample_page_image,
        name="sample_page",
    ),
]

urlpatterns += i18n_patterns(
    path("", views.home, name="home"),
    path("reports/", include("reports.urls")),
    path("", include("storefront.orders.urls")),
    path("", include("storefront.invoicing.urls")),
    path("", include("storefront.quotes.urls")),
    path("", include("storefront.payments.urls")),
    path("contact/", include("storefront.inquiries.urls")),
    path("account/", include("storefront.library.urls")),
    path("", include("storefront.pages.urls")),
    prefix_default_language=True,
)
