"""Operator commands (the README's list): success, or one clear line and a non-zero exit."""

import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from groups.models import Group, JoinRequest
from tenants.models import AuditEvent, Tenant, User


@pytest.mark.django_db
def test_create_tenant_creates_settings_and_first_admin(capsys):
    call_command(
        "create_tenant",
        "Northwind",
        "--admin-email",
        "Boss@Northwind.test",
        "--admin-password",
        "pw-123456",
    )
    tenant = Tenant.objects.get(name="Northwind")
    admin = User.objects.get(email="boss@northwind.test")
    assert admin.tenant == tenant and admin.is_global_admin and admin.check_password("pw-123456")
    assert tenant.settings.owners_can_manage_requests is False
    assert AuditEvent.objects.filter(tenant=tenant, action="tenant.created").count() == 1
    assert "Created tenant Northwind" in capsys.readouterr().out


@pytest.mark.django_db
def test_create_tenant_refuses_a_duplicate_name(tenant):
    with pytest.raises(CommandError, match="already exists"):
        call_command(
            "create_tenant", "contoso", "--admin-email", "x@y.test", "--admin-password", "p"
        )


@pytest.mark.django_db
def test_create_tenant_refuses_a_bad_email():
    with pytest.raises(CommandError, match="not a valid email"):
        call_command(
            "create_tenant", "Acme", "--admin-email", "not-an-email", "--admin-password", "p"
        )
    assert not Tenant.objects.filter(name="Acme").exists()


@pytest.mark.django_db
def test_create_user_with_role_and_license(tenant):
    call_command(
        "create_user",
        "ana@contoso.test",
        "--tenant",
        "Contoso",
        "--role",
        "global_admin",
        "--premium",
    )
    ana = User.objects.get(email="ana@contoso.test")
    assert ana.tenant == tenant and ana.is_global_admin and ana.has_premium_license
    assert not ana.has_usable_password()


@pytest.mark.django_db
def test_create_user_refuses_unknown_tenant():
    with pytest.raises(CommandError, match="Unknown tenant 'Nowhere'"):
        call_command("create_user", "ana@x.test", "--tenant", "Nowhere")


@pytest.mark.django_db
def test_create_user_refuses_duplicate_email(member):
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_user", member.email.upper(), "--tenant", "Contoso")


@pytest.mark.django_db
def test_create_user_refuses_when_premium_seats_are_taken(tenant):
    Tenant.objects.filter(pk=tenant.pk).update(premium_seats=1)  # the first admin holds the seat
    with pytest.raises(CommandError, match="Premium seats"):
        call_command("create_user", "ana@contoso.test", "--tenant", "Contoso", "--premium")
    assert not User.objects.filter(email="ana@contoso.test").exists()


@pytest.mark.django_db
def test_seed_demo_is_idempotent():
    call_command("seed_demo")
    counts = (
        Tenant.objects.count(),
        User.objects.count(),
        Group.objects.count(),
        JoinRequest.objects.count(),
    )
    call_command("seed_demo")
    assert counts == (
        Tenant.objects.count(),
        User.objects.count(),
        Group.objects.count(),
        JoinRequest.objects.count(),
    )
    assert set(Tenant.objects.values_list("name", flat=True)) == {"Contoso", "Fabrikam"}
    contoso = Tenant.objects.get(name="Contoso")
    assert contoso.settings.owners_can_manage_requests is True
    assert User.objects.filter(tenant=contoso, has_premium_license=False).exists()
    assert JoinRequest.objects.filter(status="pending").exists()
    kinds = set(
        Group.objects.filter(tenant=contoso).values_list(
            "group_type", "source", "membership_policy"
        )
    )
    assert len(kinds) == 4 * 3 * 3


def test_bad_input_exits_non_zero_with_one_line():
    result = subprocess.run(
        [sys.executable, "manage.py", "create_user", "x@y.test"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "--tenant" in lines[0]
