from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.report_list, name="list"),
    path("<str:product_code>/<slug:slug>/", views.report_detail, name="detail"),
]
