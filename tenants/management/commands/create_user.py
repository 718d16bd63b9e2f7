from tenants.actions import create_user
from tenants.actors import Actor
from tenants.management.commands._base import OperatorCommand, tenant_named
from tenants.models import User


class Command(OperatorCommand):
    help = "Create a user in a tenant."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--tenant", required=True)
        parser.add_argument("--name", default="", help="Display name (default: from the email).")
        parser.add_argument("--role", choices=User.Role.values, default=User.Role.MEMBER)
        parser.add_argument("--premium", action="store_true", help="Assign a Premium license.")
        parser.add_argument("--password", default=None, help="Without it: reset by email or SSO.")

    def handle(self, *args, email, tenant, name, role, premium, password, **options):
        user = create_user(
            email,
            tenant=tenant_named(tenant),
            actor=Actor.command_line("create_user"),
            display_name=name,
            role=role,
            premium=premium,
            password=password,
        )
        self.stdout.write(f"Created {user.email} ({user.get_role_display()}) in {user.tenant}.")
