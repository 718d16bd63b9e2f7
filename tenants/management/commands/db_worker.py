"""`manage.py db_worker`: django-tasks-db's worker, plus this product's periodic jobs.

Same options as django-tasks-db's command. Before it starts taking tasks it enqueues one
delivery run, so events left by a worker that died are delivered as soon as one starts again,
and it runs the periodic-job scheduler (tenants/worker.py) beside the worker loop.
"""

import os
import signal
import threading

from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands import db_worker

from tenants.tasks import deliver_events
from tenants.worker import start_scheduler


class Command(db_worker.Command):
    help = "Run a background worker: outbox delivery, periodic jobs and every other task."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--no-scheduler",
            action="store_false",
            dest="scheduler",
            help="Don't run the periodic-job scheduler in this process.",
        )
        parser.add_argument(
            "--stop-after",
            type=float,
            default=None,
            metavar="SECONDS",
            help="Stop gracefully after this long (a time-boxed run from cron, or a test).",
        )

    def handle(self, *args, scheduler: bool = True, stop_after: float | None = None, **options):
        reloading_parent = options.get("reload") and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true"
        if not reloading_parent:  # with --reload, only the child process does the work
            deliver_events.enqueue()
            if scheduler and not options.get("batch"):
                start_scheduler()
        if stop_after is not None:
            timer = threading.Timer(stop_after, os.kill, (os.getpid(), signal.SIGTERM))
            timer.daemon = True
            timer.start()
        return super().handle(*args, **options)
