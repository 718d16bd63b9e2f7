"""People's sign-in addresses come from the directory: nobody changes their own, every change is
an audited action of a global admin or the CLI, and allauth's EmailAddress rows follow."""

import importlib

import pytest
from allauth.account.models import EmailAddress
from django.apps import apps
from django.core.management import CommandError, call_command
from django.urls import reverse

from tenants.actions import change_email
from tenants.errors import Conflict, Invalid, NotAllowed
from tenants.models import AuditEvent, User
from tests.factories import OPERATOR, PASSWORD, UserFactory


def _addresses(user) -> list[tuple[str, bool, bool]]:
    return list(EmailAddress.objects.filter(user=user).values_list("email", "primary", "verified"))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/accounts/email/", "/accounts/confirm-email/", "/accounts/confirm-email/abc-1:x/"]
)
def test_allauths_email_management_is_gone(client, member, path):
    client.force_login(member)
    assert client.get(path).status_code == 404
    for action in ("action_add", "action_primary", "action_send", "action_remove"):
        response = client.post(path, {"email": "ceo@fabrikam.example", action: ""})
        assert response.status_code == 404
    member.refresh_from_db()
    assert member.email == "mia@contoso.test"
    assert _addresses(member) == [("mia@contoso.test", True, True)]


@pytest.mark.django_db
def test_a_new_person_has_one_primary_verified_address(tenant):
    person = UserFactory(tenant=tenant, email="New.Person@Contoso.test")
    assert _addresses(person) == [("new.person@contoso.test", True, True)]
    operator = User.objects.create_superuser("op@example.test", "pw")
    assert _addresses(operator) == [("op@example.test", True, True)]


@pytest.mark.django_db
def test_a_global_admin_changes_an_address_in_the_admin_center(client, tenant_admin, member):
    client.force_login(tenant_admin)
    before = AuditEvent.objects.count()
    response = client.post(
        f"/admin-center/users/{member.pk}/email/", {"email": " Mia.M@Contoso.test "}, follow=True
    )
    assert "now signs in as mia.m@contoso.test" in response.content.decode()
    member.refresh_from_db()
    assert member.email == "mia.m@contoso.test"
    assert _addresses(member) == [("mia.m@contoso.test", True, True)]
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.latest("id")
    assert (event.action, event.surface, event.actor_id) == (
        "user.email_changed",
        "admin_center",
        tenant_admin.pk,
    )
    assert event.data == {"email": {"old": "mia@contoso.test", "new": "mia.m@contoso.test"}}
    client.logout()
    login = reverse("account_login")
    client.post(login, {"login": "mia@contoso.test", "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    client.post(login, {"login": "mia.m@contoso.test", "password": PASSWORD})
    assert client.session["_auth_user_id"] == str(member.pk)


@pytest.mark.django_db
def test_password_reset_mail_goes_to_the_directory_address_only(client, member, mailoutbox):
    change_email(member, new_email="mia.new@contoso.test", actor=OPERATOR)
    client.post(reverse("account_reset_password"), {"email": "mia@contoso.test"})
    client.post(reverse("account_reset_password"), {"email": "mia.new@contoso.test"})
    assert [message.to for message in mailoutbox if "reset" in message.body.lower()] == [
        ["mia.new@contoso.test"]
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("new_email", "refusal", "says"),
    [
        ("rita@contoso.test", Conflict, "already exists"),
        ("felix@fabrikam.test", Conflict, "already exists"),
        ("not-an-email", Invalid, "not a valid email address"),
        ("a" * 250 + "@contoso.test", Invalid, "at most 254 characters"),
    ],
)
def test_taken_or_bad_addresses_are_refused_and_nothing_changes(
    client, tenant_admin, member, requester, other_tenant_user, new_email, refusal, says
):
    with pytest.raises(refusal, match=says):
        change_email(member, new_email=new_email, actor=tenant_admin)
    client.force_login(tenant_admin)
    response = client.post(
        f"/admin-center/users/{member.pk}/email/", {"email": new_email}, follow=True
    )
    assert response.status_code == 200
    assert says in response.content.decode()
    member.refresh_from_db()
    assert member.email == "mia@contoso.test"
    assert _addresses(member) == [("mia@contoso.test", True, True)]
    assert not AuditEvent.objects.filter(action="user.email_changed").exists()


@pytest.mark.django_db
def test_only_a_global_admin_of_the_tenant_changes_an_address(client, owner, member):
    with pytest.raises(NotAllowed):
        change_email(member, new_email="x@contoso.test", actor=owner)
    with pytest.raises(NotAllowed):
        change_email(member, new_email="x@contoso.test", actor=member)
    client.force_login(member)
    assert (
        client.post(f"/admin-center/users/{member.pk}/email/", {"email": "x@c.test"}).status_code
        == 403
    )


@pytest.mark.django_db
def test_another_tenants_admin_gets_404(client, member, other_tenant):
    fabrikam_admin = UserFactory(tenant=other_tenant, role="global_admin")
    client.force_login(fabrikam_admin)
    response = client.post(f"/admin-center/users/{member.pk}/email/", {"email": "x@f.test"})
    assert response.status_code == 404
    member.refresh_from_db()
    assert member.email == "mia@contoso.test"


@pytest.mark.django_db
def test_django_admin_changes_an_address_through_the_action(client, tenant_admin, member):
    client.force_login(tenant_admin)
    response = client.post(
        f"/admin/tenants/user/{member.pk}/change/",
        {
            "email": "mia.admin@contoso.test",
            "display_name": member.display_name,
            "role": "member",
            "has_premium_license": "on",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    member.refresh_from_db()
    assert _addresses(member) == [("mia.admin@contoso.test", True, True)]
    event = AuditEvent.objects.get(action="user.email_changed")
    assert event.surface == "django_admin"


@pytest.mark.django_db
def test_the_cli_changes_an_address(member, capsys):
    call_command("change_email", "MIA@contoso.test", "mia.cli@contoso.test")
    member.refresh_from_db()
    assert member.email == "mia.cli@contoso.test"
    assert "now signs in as mia.cli@contoso.test" in capsys.readouterr().out
    event = AuditEvent.objects.get(action="user.email_changed")
    assert (event.actor_kind, event.surface) == ("system", "cli")
    with pytest.raises(CommandError, match="No one has"):
        call_command("change_email", "nobody@contoso.test", "x@contoso.test")


@pytest.mark.django_db
def test_the_migration_rebuilds_every_persons_addresses_from_the_directory(member, requester):
    """Rows people added to themselves before the fix (other people's addresses) are gone."""
    EmailAddress.objects.filter(user=member).update(primary=False)
    EmailAddress.objects.create(user=member, email="ceo@fabrikam.example", primary=True)
    EmailAddress.objects.filter(user=requester).delete()
    migration = importlib.import_module(
        "tenants.migrations.0006_email_addresses_and_tenant_changes"
    )
    migration.sync_email_addresses(apps, None)
    assert _addresses(member) == [("mia@contoso.test", True, True)]
    assert _addresses(requester) == [("rita@contoso.test", True, True)]


def test_an_address_can_t_become_someone_elses_scim_user_name(tenant_admin, member, tenant):
    """A person whose userName is their address (none of their own) takes the new address as
    userName: it must not be another person's userName (SCIM would find two)."""
    other = UserFactory(tenant=tenant, email="bea@contoso.test")
    User.objects.filter(pk=other.pk).update(scim_user_name="shared@contoso.test")
    with pytest.raises(Conflict, match="userName"):
        change_email(member, new_email="shared@contoso.test", actor=tenant_admin)
    member.refresh_from_db()
    assert member.email != "shared@contoso.test"
