from django.apps import AppConfig


class GroupsConfig(AppConfig):
    name = "groups"
    verbose_name = "Groups"

    def ready(self) -> None:
        from groups.actions import cancel_requests_of_deactivated
        from tenants.events import on_change
        from tenants.models import EventKind

        # tenants announces a deactivation; groups cancels that person's pending requests in
        # the same transaction (tenants never imports groups).
        on_change(EventKind.USER_DEACTIVATED)(cancel_requests_of_deactivated)
