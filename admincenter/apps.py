from django.apps import AppConfig


class AdminCenterConfig(AppConfig):
    """The Admin center: global admins run their tenant. It stands on groups and tenants."""

    name = "admincenter"
    verbose_name = "Admin center"
