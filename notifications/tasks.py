"""The worker's periodic job (notifications/apps.py registers it with tenants.worker.every)."""

from django_tasks import task

from notifications import housekeeping as housekeeping_run


@task()
def housekeeping() -> str:
    """Reminders, escalation, expiry, membership ends, group expiration and digests."""
    return str(housekeeping_run.run())
