from django.urls import path

from storefront.delivery import views

app_name = "delivery"

urlpatterns = [
    path("<str:token>/", views.download, name="download"),
    path("<str:token>/renew/", views.renew, name="renew"),
]
