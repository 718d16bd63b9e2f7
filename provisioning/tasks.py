"""The worker's provisioning task: reconcile, as a periodic job and when provisioning is
switched on for an application (docs/provisioning.md)."""

from datetime import timedelta

from django.conf import settings
from django_tasks import task

from provisioning.reconcile import reconcile as reconcile_applications

RECONCILE_EVERY = timedelta(minutes=settings.PROVISIONING_RECONCILE_MINUTES)


@task()
def reconcile(application_id: int | None = None) -> list[str]:
    return [str(report) for report in reconcile_applications(application_id)]
