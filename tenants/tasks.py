"""The worker's tasks (django-tasks, database backend; run by `manage.py db_worker`)."""

from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

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
    booked = DBTaskResult.objects.filter(status="READY", task_path=deliver_events.module_path)
    for result in booked:
        run_after = result.task_result.task.run_after  # None: as soon as possible
        if run_after is None or run_after <= due:
            return
    deliver_events.using(run_after=due if due > timezone.now() else None).enqueue()
