from django.urls import path

from storefront.pages import views
from storefront.pages.models import PageKind

app_name = "pages"

urlpatterns = [
    path("about/", views.company_page, {"kind": PageKind.ABOUT}, name="about"),
    path("terms-of-sale/", views.company_page, {"kind": PageKind.TERMS}, name="terms"),
    path("privacy/", views.company_page, {"kind": PageKind.PRIVACY}, name="privacy"),
    path("imprint/", views.company_page, {"kind": PageKind.IMPRINT}, name="imprint"),
]
