"""Admin center → SCIM tokens: global admins create one (shown once), list and revoke them."""

import pytest

from scim.actions import create_scim_token
from scim.models import ScimClient
from tenants.models import AuditEvent
from tests.factories import OPERATOR

pytestmark = pytest.mark.django_db


def test_a_global_admin_creates_lists_and_revokes_a_scim_token(client, tenant_admin):
    client.force_login(tenant_admin)
    page = client.post("/admin-center/scim-tokens/", {"name": "Microsoft Entra ID"}, follow=True)
    raw = page.context["created"]
    assert raw.startswith("sc_") and raw in page.content.decode()
    assert "no-store" in page["Cache-Control"]
    token = ScimClient.objects.get(tenant=tenant_admin.tenant)
    assert raw not in (token.prefix, token.digest)  # stored hashed
    listed = client.get("/admin-center/scim-tokens/")
    assert listed.context["created"] is None and raw not in listed.content.decode()
    assert "Microsoft Entra ID" in listed.content.decode()
    assert client.get("/scim/v2/Users", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    client.post(f"/admin-center/scim-tokens/{token.pk}/revoke/")
    assert client.get("/scim/v2/Users", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
    events = AuditEvent.objects.filter(tenant=tenant_admin.tenant, action__startswith="scim_token")
    assert sorted(events.values_list("action", "surface")) == [
        ("scim_token.created", "admin_center"),
        ("scim_token.revoked", "admin_center"),
    ]


def test_a_name_is_required_and_nothing_is_created_without_it(client, tenant_admin):
    client.force_login(tenant_admin)
    page = client.post("/admin-center/scim-tokens/", {"name": "  "})
    assert page.status_code == 200 and page.context["form"].errors["name"]
    assert not ScimClient.objects.exists()


def test_another_tenants_token_cant_be_revoked(client, tenant_admin, other_tenant):
    theirs, _raw = create_scim_token(other_tenant, actor=OPERATOR, name="Okta")
    client.force_login(tenant_admin)
    assert client.post(f"/admin-center/scim-tokens/{theirs.pk}/revoke/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_members_cant_create_scim_tokens(client, owner):
    client.force_login(owner)
    assert client.post("/admin-center/scim-tokens/", {"name": "Mine"}).status_code == 403
    assert not ScimClient.objects.exists()


def test_the_command_line_creates_one(capsys, tenant, client):
    from django.core.management import call_command

    call_command("create_scim_token", tenant.name)
    raw = capsys.readouterr().out.strip()
    assert client.get("/scim/v2/Users", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
