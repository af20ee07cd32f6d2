from django.urls import path

from storefront.quotes import views

app_name = "quotes"

urlpatterns = [
    path("quotes/<str:token>/", views.accept, name="accept"),
]
