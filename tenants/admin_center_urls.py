from django.urls import path

from tenants import admin_center

app_name = "admin_center"

urlpatterns = [
    path("", admin_center.home, name="home"),
    path("settings/", admin_center.general_settings, name="settings"),
    path("groups/", admin_center.groups, name="groups"),
    path("groups/new/", admin_center.create_group, name="create_group"),
    path("requests/", admin_center.requests, name="requests"),
    path("users/", admin_center.users, name="users"),
    path("users/<int:pk>/", admin_center.change_user, name="change_user"),
    path("audit/", admin_center.audit_log, name="audit"),
    path("audit.csv", admin_center.audit_log_csv, name="audit_csv"),
]
