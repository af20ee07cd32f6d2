from django.urls import path

from storefront.payments import views

app_name = "payments"

urlpatterns = [
    path("orders/<str:token>/paid/", views.checkout_success, name="success"),
    path("orders/<str:token>/test-payment/", views.development_gateway, name="development_gateway"),
]
