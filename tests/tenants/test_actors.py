"""Actors beyond people: an API token, a tenant's SCIM client and the system call the same
actions as a person; the policy decides per kind; the audit log records actor and surface."""

import pytest
from django.core.management import call_command

from groups import actions
from groups.models import Group, JoinRequest, Membership
from tenants.actions import update_general_settings
from tenants.actors import Actor, Surface
from tenants.errors import NotAllowed, NotFound
from tenants.models import AuditEvent
from tests.admin_forms import new_group_form
from tests.factories import GroupFactory

pytestmark = pytest.mark.django_db


def _last_audit() -> AuditEvent:
    return AuditEvent.objects.latest("id")


def test_an_api_token_acts_with_its_persons_rights(group, owner, member, outsider):
    token_of_owner = Actor.api_token(owner, token_id=7, token_name="laptop")
    actions.add_members(group, actor=token_of_owner, people=[outsider])
    event = _last_audit()
    assert (event.actor, event.actor_kind, event.surface) == (owner, "api_token", "api")
    assert "API token “laptop”" in event.actor_label
    assert Membership.objects.get(group=group, user=outsider).added_via == "owner"
    token_of_member = Actor.api_token(member, token_id=8, token_name="script")
    with pytest.raises(NotAllowed, match="Only the group's owners"):
        actions.add_members(group, actor=token_of_member, people=[outsider])


def test_the_restrict_setting_limits_the_panel_not_an_api_token(tenant, owner, open_group):
    from groups.policy import Decider

    update_general_settings(
        tenant, actor=Actor.command_line("test"), restrict_access_to_groups=True
    )
    assert not Decider(owner).groups_panel()
    token = Actor.api_token(owner, token_id=1, token_name="ci")
    actions.update_group(open_group, actor=token, description="Changed through the API")


def test_a_scim_client_manages_groups_of_its_tenant_only(tenant, owner, other_tenant):
    client = Actor.scim_client(tenant_id=tenant.pk, client_id=3, name="Okta")
    group = actions.create_group(
        actor=client, display_name="From Okta", group_type="security", source="api"
    )
    assert (group.source, group.membership_policy, group.ownerships.count()) == ("api", "closed", 0)
    actions.add_members(group, actor=client, people=[owner])
    assert Membership.objects.get(group=group, user=owner).added_via == "system"
    event = _last_audit()
    assert (event.actor, event.actor_kind, event.surface) == (None, "scim_client", "scim")
    assert event.actor_label == "SCIM client “Okta”"
    with pytest.raises(NotAllowed, match="Only a person can join"):
        actions.request_to_join(group, actor=client)
    elsewhere = Actor.scim_client(tenant_id=other_tenant.pk, client_id=4, name="Other IdP")
    with pytest.raises(NotFound, match="Not found in your organisation"):
        actions.add_members(group, actor=elsewhere, people=[owner])


def test_the_system_expires_a_request(group, requester):
    """Nothing produced `expired` before actors: the expiry job acts as the system."""
    join_request = JoinRequest.objects.get(requester=requester)
    expiry = Actor.system("request expiry", tenant_id=group.tenant_id)
    result = actions.close_requests(
        [join_request.pk], actor=expiry, status=JoinRequest.Status.EXPIRED, reason="14 days"
    )
    assert [r.pk for r in result.decided] == [join_request.pk]
    join_request.refresh_from_db()
    assert (join_request.status, join_request.decided_by) == ("expired", None)
    event = _last_audit()
    assert (event.action, event.actor_kind, event.surface) == (
        "request.expired",
        "system",
        "system",
    )
    assert event.actor_label == "System: request expiry"


def test_a_system_job_of_one_tenant_cant_touch_another(group, other_tenant):
    job = Actor.system("housekeeping", tenant_id=other_tenant.pk)
    with pytest.raises(NotFound, match="Not found in your organisation"):
        actions.delete_group(group, actor=job)
    assert Group.objects.filter(pk=group.pk).exists()


# --- The actor and surface columns, for each surface that exists -----------------------------


def test_each_surface_is_recorded_and_shown_in_the_audit_log(
    client, tenant, tenant_admin, owner, open_group, outsider
):
    client.force_login(outsider)
    client.post(f"/groups/{open_group.pk}/join/")
    assert (_last_audit().surface, _last_audit().actor) == ("panel", outsider)

    client.force_login(tenant_admin)
    client.post(
        "/admin-center/groups/new/",
        {"display_name": "Made in the Admin center", "group_type": "security"},
    )
    assert (_last_audit().surface, _last_audit().action) == ("admin_center", "group.created")

    client.post("/admin/groups/group/add/", new_group_form("Made in Django admin"))
    assert (_last_audit().surface, _last_audit().action) == ("django_admin", "group.created")

    call_command("create_user", "cli@contoso.test", tenant="Contoso")
    event = _last_audit()
    assert (event.surface, event.actor_kind, event.actor_label) == (
        "cli",
        "system",
        "System: manage.py create_user",
    )

    GroupFactory(created_by=owner, display_name="Expiring", membership_policy="owner_approval")
    expiring = Group.objects.get(display_name="Expiring")
    request_ = actions.request_to_join(expiring, actor=outsider, justification="please")
    actions.close_requests(
        [request_.pk],
        actor=Actor.system("request expiry", tenant_id=tenant.pk),
        status=JoinRequest.Status.EXPIRED,
    )
    assert _last_audit().surface == "system"

    page = client.get("/admin-center/audit/").content.decode()
    assert '<th scope="col">Surface</th>' in page
    for label in ("Panel", "Admin center", "Django admin", "CLI", "System"):
        assert f'data-label="Surface">{label}</td>' in page, label
    csv = b"".join(client.get("/admin-center/audit.csv").streaming_content).decode()
    assert "actor_kind,surface" in csv.splitlines()[0]
    filtered = client.get("/admin-center/audit/", {"surface": Surface.DJANGO_ADMIN})
    assert [e.surface for e in filtered.context["page"]] == ["django_admin"]
