from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The REST API (/api/v1/) and personal API tokens: everything the panel does, scriptable.
    Thin endpoints over the same selectors, policy and actions as the panel."""

    name = "api"
    verbose_name = "REST API"
