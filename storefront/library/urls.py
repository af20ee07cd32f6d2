from django.urls import path

from storefront.library import views

app_name = "library"

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", views.request_sign_in, name="request_sign_in"),
    path("sign-in/code/", views.enter_code, name="code"),
    path("sign-in/<str:token>/", views.sign_in_link, name="link"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("orders/<str:number>/fresh-links/", views.fresh_links, name="fresh_links"),
]
