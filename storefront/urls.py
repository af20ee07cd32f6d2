from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from storefront import views
from storefront.payments import views as payment_views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("admin/", admin.site.urls),
    path("stripe/webhook/", payment_views.stripe_webhook, name="stripe_webhook"),
    path("downloads/", include("storefront.delivery.urls")),
]

urlpatterns += i18n_patterns(
    path("", views.home, name="home"),
    path("reports/", include("reports.urls")),
    path("", include("storefront.orders.urls")),
    path("", include("storefront.payments.urls")),
    path("contact/", include("storefront.inquiries.urls")),
    prefix_default_language=True,
)
