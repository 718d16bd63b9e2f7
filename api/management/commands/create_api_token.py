from django.core.management.base import CommandError

from api.actions import create_api_token
from tenants.actors import Actor
from tenants.management.commands._base import OperatorCommand
from tenants.models import User


class Command(OperatorCommand):
    help = "Create a personal API token for a person and print it (shown this once)."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--name", default="Created with manage.py create_api_token")

    def handle(self, *args, email, name, **options):
        person = User.objects.filter(email__iexact=email.strip()).first()
        if person is None:
            raise CommandError(f"No one has the email address {email!r}.")
        _token, raw = create_api_token(
            person, actor=Actor.command_line("create_api_token"), name=name
        )
        self.stdout.write(raw)
