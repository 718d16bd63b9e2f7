from django.contrib import admin
from django.urls import include, path, re_path

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
    path("", include("groups.urls")),
]
