from tenants.actions import create_tenant
from tenants.actors import Actor
from tenants.management.commands._base import OperatorCommand


class Command(OperatorCommand):
    help = "Create a tenant with its General settings and its first global admin."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--admin-password", required=True)
        parser.add_argument("--admin-name", default="")

    def handle(self, *args, name, admin_email, admin_password, admin_name, **options):
        tenant = create_tenant(
            name,
            admin_email=admin_email,
            admin_password=admin_password,
            admin_display_name=admin_name,
            actor=Actor.command_line("create_tenant"),
        )
        self.stdout.write(f"Created tenant {tenant.name} with global admin {admin_email.lower()}.")
