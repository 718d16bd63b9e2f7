from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("admin-center/", include("admincenter.urls")),
    path("applications/", include("applications.urls")),
    path("", include("groups.urls")),
]
