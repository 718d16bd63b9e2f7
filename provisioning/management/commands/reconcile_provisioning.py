from django.core.management.base import BaseCommand, CommandError

from applications.models import Application
from provisioning.provisioner import enabled_target
from provisioning.reconcile import reconcile


class Command(BaseCommand):
    help = (
        "Compare who should have an account at each application with provisioning on with "
        "what the application holds, and fix the difference (docs/provisioning.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--application", type=int, help="only this application (its id)")

    def handle(self, *args, application=None, **options):
        if application is not None:
            found = Application.objects.filter(pk=application).first()
            if found is None:
                raise CommandError(f"No application with id {application}.")
            if enabled_target(found.pk) is None:
                raise CommandError(f"Provisioning is off for “{found.name}”.")
        reports = reconcile(application)
        for report in reports:
            self.stdout.write(str(report))
        if not reports:
            self.stdout.write("No application has provisioning switched on.")
        if any(report.stopped or report.failed for report in reports):
            raise CommandError("Some accounts could not be fixed: see the provisioning log.")
