"""Operator commands: bad input exits non-zero with one clear line."""

import sys

from django.core.management.base import BaseCommand, CommandError

from tenants.errors import Refusal


class OperatorCommand(BaseCommand):
    """Turns refusals into CommandError (one line on stderr, exit code 1)."""

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)

        def one_line_error(message: str):
            sys.stderr.write(f"CommandError: {message} (see manage.py {subcommand} --help)\n")
            sys.exit(2)

        parser.error = one_line_error
        return parser

    def execute(self, *args, **options):
        try:
            return super().execute(*args, **options)
        except Refusal as refusal:
            raise CommandError(refusal.message) from None


def tenant_named(name: str):
    from tenants.models import Tenant

    tenant = Tenant.objects.filter(name__iexact=name.strip()).first()
    if tenant is None:
        raise CommandError(f"Unknown tenant {name!r}.")
    return tenant
