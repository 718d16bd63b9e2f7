from django.contrib import admin
from django.urls import include, path

from api import views as api_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("admin-center/", include("admincenter.urls")),
    path("applications/", include("applications.urls")),
    path("api/v1/", include("api.urls")),
    path("scim/v2/", include("scim.urls")),
    path("api-tokens/", api_views.tokens, name="api_tokens"),
    path("api-tokens/<int:pk>/revoke/", api_views.revoke, name="revoke_api_token"),
    path("", include("groups.urls")),
]
