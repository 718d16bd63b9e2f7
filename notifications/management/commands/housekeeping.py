"""`manage.py housekeeping`: one idempotent pass of reminders, escalation, request expiry,
membership ends, group expiration and daily digests (docs/lifecycle.md).

The worker runs it every HOUSEKEEPING_EVERY_MINUTES; cron or a systemd timer may run it too
(or instead, with HOUSEKEEPING_EVERY_MINUTES=0). Runs at the same moment never do anything
twice.
"""

from django.core.management.base import BaseCommand

from notifications import housekeeping


class Command(BaseCommand):
    help = "Run reminders, escalation, expiry, membership ends, group expiration and digests."

    def handle(self, *args, **options):
        report = housekeeping.run()
        if options["verbosity"] > 0:
            self.stdout.write(f"Housekeeping done: {report}.")
