"""A URLconf for tests of the 500 page: the product's URLs plus one view that fails."""

from django.urls import path

from accessportal.urls import urlpatterns as product_urls


def fail(request):
    raise RuntimeError("a bug")


urlpatterns = [path("boom/", fail), *product_urls]
