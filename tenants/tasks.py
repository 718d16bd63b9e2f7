"""The worker's tasks (django-tasks, database backend; run by `manage.py db_worker`)."""

from django.db.models import Q
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult, get_date_max

from tenants import outbox


@task()
def deliver_events() -> int:
    """Deliver every due outbox event, then book the next run for retries that are waiting."""
    delivered = outbox.deliver_ready()
    schedule_next_delivery()
    return delivered


def schedule_next_delivery() -> None:
    """Enqueue a delivery run for when the next pending delivery is due, unless one is booked."""
    due = outbox.next_due()
    if due is None:
        return
    booked = DBTaskResult.objects.filter(
        Q(run_after__lte=due) | Q(run_after=get_date_max()),  # the latter: "as soon as possible"
        status="READY",
        task_path=deliver_events.module_path,
    )
    if not booked.exists():
        deliver_events.using(run_after=due if due > timezone.now() else None).enqueue()
