"""Periodic jobs for the worker: each is enqueued when due, by one worker at a time.

Every `manage.py db_worker` process runs a small scheduler thread (tenants/management/commands/
db_worker.py). Each tick it locks the due rows of `PeriodicRun` (`SKIP LOCKED` on PostgreSQL,
so with N workers exactly one enqueues a due job), enqueues the job's task and books its next
run. Apps add their jobs with `every()` in their AppConfig.ready().
"""

import logging
import threading
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from tenants.models import PeriodicRun

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    task: object  # a django_tasks Task
    interval: timedelta


_jobs: dict[str, PeriodicJob] = {}


def every(interval: timedelta, *, name: str, task) -> None:
    """Run `task` every `interval` in the worker (a safety net or a housekeeping job)."""
    _jobs[name] = PeriodicJob(name=name, task=task, interval=interval)


def enqueue_due_jobs() -> list[str]:
    """Enqueue every periodic job that is due; returns the names enqueued by this call."""
    now = timezone.now()
    PeriodicRun.objects.bulk_create(  # another worker may create them at the same moment
        [PeriodicRun(name=name, next_run_at=now) for name in _jobs], ignore_conflicts=True
    )
    enqueued = []
    with transaction.atomic():
        due = PeriodicRun.objects.select_for_update(skip_locked=True).filter(
            name__in=list(_jobs), next_run_at__lte=now
        )
        for run in due:
            job = _jobs[run.name]
            job.task.enqueue()
            run.next_run_at = now + job.interval
            run.save(update_fields=["next_run_at"])
            enqueued.append(run.name)
    return enqueued


def start_scheduler(*, tick_seconds: float = 5.0) -> threading.Event:
    """Start the scheduler thread of this worker process; set the returned event to stop it."""
    stop = threading.Event()

    def loop() -> None:
        while True:
            try:
                enqueue_due_jobs()
            except Exception:  # the scheduler must outlive a database hiccup
                logger.exception("Periodic jobs could not be enqueued")
            finally:
                connection.close()  # a thread's connection is not left open between ticks
            if stop.wait(tick_seconds):
                return

    threading.Thread(target=loop, name="periodic-jobs", daemon=True).start()
    return stop
