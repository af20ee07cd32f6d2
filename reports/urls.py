from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.report_list, name="list"),
    # Before the detail pattern, which would take "preview" for a product code.
    path("preview/<str:product_code>/", views.report_preview, name="preview"),
    path("<str:product_code>/<slug:slug>/", views.report_detail, name="detail"),
    # A link with the product code only (as resellers and catalogues print it).
    path("<str:product_code>/", views.report_by_code, name="by_code"),
]
