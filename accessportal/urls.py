from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("admin-center/", include("tenants.admin_center_urls")),
    path("", include("groups.urls")),
]
