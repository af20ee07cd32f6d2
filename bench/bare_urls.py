"""The shop's URLs plus /bench/bare/: a view that renders a static ~13 KB template.

The bare view runs through the same middleware and template engine as the catalogue
pages but does no database work, so it measures what Django itself costs per request.
"""

from django.shortcuts import render
from django.urls import path

from storefront.urls import urlpatterns as shop_urlpatterns


def bare(request):
    return render(request, "bench/bare.html")


urlpatterns = [path("bench/bare/", bare, name="bench_bare"), *shop_urlpatterns]
