from django.urls import path

from storefront.invoicing import views

app_name = "invoicing"

urlpatterns = [
    path("orders/<str:token>/invoice/", views.invoice_pdf, name="invoice"),
    path("orders/<str:token>/proforma/", views.proforma_pdf, name="proforma"),
    path(
        "orders/<str:token>/credit-notes/<str:number>/",
        views.credit_note_pdf,
        name="credit_note",
    ),
]
