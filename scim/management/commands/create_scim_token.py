from scim.actions import create_scim_token
from tenants.actors import Actor
from tenants.management.commands._base import OperatorCommand, tenant_named


class Command(OperatorCommand):
    help = "Create a SCIM bearer token for a tenant's identity provider and print it (once)."

    def add_arguments(self, parser):
        parser.add_argument("tenant")
        parser.add_argument("--name", default="Identity provider")

    def handle(self, *args, tenant, name, **options):
        _client, raw = create_scim_token(
            tenant_named(tenant), actor=Actor.command_line("create_scim_token"), name=name
        )
        self.stdout.write(raw)
