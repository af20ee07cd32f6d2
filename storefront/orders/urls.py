from django.urls import path

from storefront.orders import views

app_name = "orders"

urlpatterns = [
    path("cart/", views.cart_detail, name="cart"),
    path("cart/add/", views.cart_add, name="cart_add"),
    path("cart/remove/", views.cart_remove, name="cart_remove"),
    path(
        "cart/remove-other-currencies/",
        views.cart_remove_other_currencies,
        name="cart_remove_other_currencies",
    ),
    path("currency/", views.set_currency, name="set_currency"),
    path("checkout/", views.checkout, name="checkout"),
    path("licence-terms/", views.licence_terms, name="licence_terms"),
    path("orders/<str:token>/", views.order_detail, name="detail"),
    path("orders/<str:token>/pay/", views.order_pay, name="pay"),
    path("orders/<str:token>/seats/", views.order_seats, name="seats"),
]
