from django.contrib import admin
from django.urls import include, path, re_path

from api import views as api_views
from tenants.web import not_here

# People's addresses come from the directory (global admins, the CLI, SCIM): allauth's email
# management (add an address, make it primary, confirm it) is switched off. The URL names stay,
# so allauth can still reverse them; the pages are gone.
EMAIL_SELF_SERVICE_GONE = [
    path("accounts/email/", not_here, name="account_email"),
    path("accounts/confirm-email/", not_here, name="account_email_verification_sent"),
    re_path(r"^accounts/confirm-email/(?P<key>[-:\w]+)/$", not_here, name="account_confirm_email"),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    *EMAIL_SELF_SERVICE_GONE,
    path("accounts/", include("allauth.urls")),
    path("admin-center/", include("admincenter.urls")),
    path("applications/", include("applications.urls")),
    path("api/v1/", include("api.urls")),
    path("scim/v2/", include("scim.urls")),
    path("api-tokens/", api_views.tokens, name="api_tokens"),
    path("api-tokens/<int:pk>/revoke/", api_views.revoke, name="revoke_api_token"),
    path("notifications/", include("notifications.urls")),
    path("", include("groups.urls")),
]
