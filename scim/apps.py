from django.apps import AppConfig


class ScimConfig(AppConfig):
    """The SCIM 2.0 service provider (/scim/v2/): an identity provider keeps the directory
    (people and groups) in step. It translates SCIM into the same actions as everyone else."""

    name = "scim"
    verbose_name = "SCIM"
