from django.core.management.base import CommandError

from tenants.actions import change_email
from tenants.actors import Actor
from tenants.management.commands._base import OperatorCommand
from tenants.models import User


class Command(OperatorCommand):
    help = "Change the email address a person signs in with (audited)."

    def add_arguments(self, parser):
        parser.add_argument("current_email")
        parser.add_argument("new_email")

    def handle(self, *args, current_email, new_email, **options):
        person = User.objects.filter(email__iexact=current_email.strip()).first()
        if person is None:
            raise CommandError(f"No one has the email address {current_email!r}.")
        person = change_email(person, new_email=new_email, actor=Actor.command_line("change_email"))
        self.stdout.write(f"{person.display_name} now signs in as {person.email}.")
