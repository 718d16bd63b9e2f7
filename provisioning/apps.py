from django.apps import AppConfig


class ProvisioningConfig(AppConfig):
    """Accounts at applications over SCIM 2.0 for the people with access (docs/provisioning.md).

    Stands on applications (who has access) and tenants (the outbox and the worker): it
    handles `access.granted` / `access.revoked` in the worker and reconciles periodically.
    """

    name = "provisioning"
    verbose_name = "Provisioning"

    def ready(self) -> None:
        from provisioning import actions, provisioner, tasks
        from tenants import worker
        from tenants.events import on_prepare
        from tenants.models import EventKind

        provisioner.subscribe()
        on_prepare(EventKind.APPLICATION_DELETED)(actions.refuse_deleting_while_provisioned)
        worker.every(tasks.RECONCILE_EVERY, name="reconcile_provisioning", task=tasks.reconcile)
