from django.urls import include, path

from admincenter import provisioning_views, views
from applications import views as application_views
from applications.urls import application_patterns

app_name = "admin_center"

urlpatterns = [
    path("", views.overview, name="home"),
    path("settings/", views.general_settings, name="settings"),
    path("groups/", views.groups, name="groups"),
    path("groups/new/", views.create_group, name="create_group"),
    path("requests/", views.requests, name="requests"),
    path(
        "requests/<int:pk>/approve/",
        views.decide_request,
        {"decision": "approve"},
        name="approve_request",
    ),
    path(
        "requests/<int:pk>/deny/", views.decide_request, {"decision": "deny"}, name="deny_request"
    ),
    path("requests/approve-selected/", views.approve_selected, name="approve_selected"),
    path("requests/history/", views.request_history, name="request_history"),
    path("requests/history.csv", views.request_history_csv, name="request_history_csv"),
    path("lifecycle/", views.lifecycle_settings, name="lifecycle"),
    path("groups/deleted/", views.deleted_groups, name="deleted_groups"),
    path("groups/<int:pk>/restore/", views.restore_group, name="restore_group"),
    path("users/", views.users, name="users"),
    path("users/<int:pk>/", views.change_user, name="change_user"),
    path("users/<int:pk>/email/", views.change_email, name="change_email"),
    path("applications/", application_views.admin_list, name="applications"),
    path("applications/", include(application_patterns(surface="admin_center"))),
    path(
        "applications/<int:pk>/provisioning/",
        provisioning_views.application_provisioning,
        name="application_provisioning",
    ),
    path(
        "applications/<int:pk>/provisioning/test/",
        provisioning_views.test_provisioning,
        name="test_provisioning",
    ),
    path("provisioning/", provisioning_views.provisioning_log, name="provisioning_log"),
    path("scim-tokens/", views.scim_tokens, name="scim_tokens"),
    path("scim-tokens/<int:pk>/revoke/", views.revoke_scim, name="revoke_scim_token"),
    path("audit/", views.audit_log, name="audit"),
    path("audit.csv", views.audit_log_csv, name="audit_csv"),
]
