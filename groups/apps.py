from django.apps import AppConfig


class GroupsConfig(AppConfig):
    name = "groups"
    verbose_name = "Groups"

    def ready(self) -> None:
        from django.db.models.signals import pre_delete

        from groups.actions import (
            cancel_requests_of_deactivated,
            forget_memberships_of_deleted,
            keep_deleted_requesters_name,
            lock_groups_of_pending_requests,
        )
        from tenants.events import on_change, on_prepare
        from tenants.models import EventKind, User

        # tenants announces a deactivation; groups cancels that person's pending requests in
        # the same transaction (tenants never imports groups), having locked their groups
        # before the person's row was locked.
        on_prepare(EventKind.USER_DEACTIVATED)(lock_groups_of_pending_requests)
        on_change(EventKind.USER_DEACTIVATED)(cancel_requests_of_deactivated)
        # A deleted person's memberships go with their row: the groups count them down first.
        on_prepare(EventKind.USER_DELETED)(forget_memberships_of_deleted)
        # A person deleted from the directory (tenants.actions.delete_user): their decided
        # requests stay in the history, with their name.
        pre_delete.connect(keep_deleted_requesters_name, sender=User)
