from django.urls import path

from storefront.inquiries import views

app_name = "inquiries"

urlpatterns = [
    path("", views.contact, name="contact"),
    path("thanks/<str:token>/", views.thanks, name="thanks"),
    path("sample/<str:token>/", views.sample, name="sample"),
]
