"""SCIM 2.0 (/scim/v2/): what an identity provider does, through our actions, in its tenant."""

import pytest

from groups.models import Group, GroupSource, GroupType, MembershipPolicy
from tenants.models import AuditEvent, User
from tests.scim.conftest import GROUP_SCHEMA, SCIM, USER_SCHEMA

pytestmark = pytest.mark.django_db


def new_user(scim, email="nora@contoso.test", **extra):
    body = {"schemas": [USER_SCHEMA], "userName": email, "displayName": "Nora New", **extra}
    return scim.post("/Users", body)


def test_discovery_is_served_without_a_token(client):
    config = client.get("/scim/v2/ServiceProviderConfig")
    assert config.status_code == 200 and config["Content-Type"] == SCIM
    assert config.json()["patch"]["supported"] is True
    assert config.json()["filter"] == {"supported": True, "maxResults": 200}
    types = client.get("/scim/v2/ResourceTypes").json()
    assert {t["id"] for t in types["Resources"]} == {"User", "Group"}
    schemas = client.get("/scim/v2/Schemas").json()
    assert {s["id"] for s in schemas["Resources"]} == {USER_SCHEMA, GROUP_SCHEMA}
    user_schema = client.get(f"/scim/v2/Schemas/{USER_SCHEMA}").json()
    assert user_schema["name"] == "User"
    assert {a["name"] for a in user_schema["attributes"]} >= {"userName", "active", "groups"}
    assert client.get("/scim/v2/Schemas/nope").status_code == 404


def test_users_need_a_valid_token(client, scim):
    assert client.get("/scim/v2/Users").status_code == 401
    answer = client.get("/scim/v2/Users", HTTP_AUTHORIZATION="Bearer sc_nope_nope")
    assert answer.status_code == 401 and answer["Content-Type"] == SCIM
    assert answer.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert answer.json()["status"] == "401"


def test_a_created_user_belongs_to_the_tokens_tenant_and_the_client_is_the_actor(scim, tenant):
    answer = new_user(scim, externalId="idp-42")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    person = User.objects.get(pk=body["id"])
    assert person.tenant == tenant and person.email == "nora@contoso.test"
    assert person.external_id == "idp-42" and body["externalId"] == "idp-42"
    assert answer["Location"].endswith(f"/scim/v2/Users/{person.pk}")
    event = AuditEvent.objects.filter(target_id=str(person.pk)).first()
    assert event is not None and event.surface == "scim"


def test_a_user_already_there_is_a_uniqueness_conflict(scim, member):
    answer = new_user(scim, email=member.email.upper())
    assert answer.status_code == 409 and answer.json()["scimType"] == "uniqueness"


def test_a_user_name_that_isnt_an_address_is_refused_and_nothing_is_written(scim):
    answer = new_user(scim, email="not an address")
    assert answer.status_code == 400 and answer.json()["scimType"] == "invalidValue"
    assert not User.objects.filter(display_name="Nora New").exists()


def test_bad_bodies_are_scim_errors(scim):
    assert scim.post("/Users", raw="{nope").json()["scimType"] == "invalidSyntax"
    assert scim.post("/Users", raw="[1]").status_code == 400
    nul = scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": "a\x00@b.test"})
    assert nul.status_code == 400


def test_active_false_deactivates_the_person(scim, member):
    answer = scim.patch(f"/Users/{member.pk}", {"op": "replace", "path": "active", "value": False})
    assert answer.status_code == 200, answer.content
    member.refresh_from_db()
    assert member.is_active is False and answer.json()["active"] is False
    scim.patch(f"/Users/{member.pk}", {"op": "replace", "value": {"active": True}})
    member.refresh_from_db()
    assert member.is_active is True


def test_put_replaces_what_we_keep(scim, member):
    body = {"schemas": [USER_SCHEMA], "userName": member.email, "displayName": "Mia M."}
    answer = scim.put(f"/Users/{member.pk}", {**body, "externalId": "x1", "active": True})
    assert answer.status_code == 200, answer.content
    member.refresh_from_db()
    assert (member.display_name, member.external_id) == ("Mia M.", "x1")


def test_delete_removes_the_person(scim, member):
    assert scim.delete(f"/Users/{member.pk}").status_code == 204
    assert not User.objects.filter(pk=member.pk).exists()
    assert scim.get(f"/Users/{member.pk}").status_code == 404


def test_another_tenants_people_and_groups_are_not_found(scim, other_tenant_user, other_tenant):
    assert scim.get(f"/Users/{other_tenant_user.pk}").status_code == 404
    assert scim.delete(f"/Users/{other_tenant_user.pk}").status_code == 404
    listed = scim.get("/Users", {"filter": f'userName eq "{other_tenant_user.email}"'}).json()
    assert listed["totalResults"] == 0
    assert scim.get("/Users/abc").status_code == 404


def test_a_group_created_over_scim_has_source_api_and_the_defaults(scim, member):
    body = {
        "schemas": [GROUP_SCHEMA],
        "displayName": "Okta Engineers",
        "externalId": "okta-1",
        "members": [{"value": str(member.pk), "type": "User"}],
    }
    answer = scim.post("/Groups", body)
    assert answer.status_code == 201, answer.content
    group = Group.objects.get(pk=answer.json()["id"])
    assert group.source == GroupSource.API and group.group_type == GroupType.SECURITY
    assert group.membership_policy == MembershipPolicy.CLOSED
    assert group.external_id == "okta-1"
    assert list(group.memberships.values_list("user_id", flat=True)) == [member.pk]
    assert [m["value"] for m in answer.json()["members"]] == [str(member.pk)]


def test_a_taken_group_name_is_a_conflict(scim, group):
    answer = scim.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": group.display_name})
    assert answer.status_code == 409


def test_patch_adds_removes_and_replaces_members(scim, group, member, outsider, requester):
    path = f"/Groups/{group.pk}"
    added = scim.patch(
        path, {"op": "add", "path": "members", "value": [{"value": str(outsider.pk)}]}
    )
    assert added.status_code == 200, added.content
    assert set(group.memberships.values_list("user_id", flat=True)) == {member.pk, outsider.pk}
    removed = scim.patch(path, {"op": "remove", "path": f'members[value eq "{member.pk}"]'})
    assert removed.status_code == 200, removed.content
    assert set(group.memberships.values_list("user_id", flat=True)) == {outsider.pk}
    replaced = scim.patch(
        path, {"op": "replace", "path": "members", "value": [{"value": str(requester.pk)}]}
    )
    assert replaced.status_code == 200, replaced.content
    assert set(group.memberships.values_list("user_id", flat=True)) == {requester.pk}
    renamed = scim.patch(path, {"op": "replace", "path": "displayName", "value": "Collaborators"})
    assert renamed.json()["displayName"] == "Collaborators"
    events = AuditEvent.objects.filter(surface="scim", tenant=group.tenant)
    assert {"member.added", "member.removed", "group.updated"} <= set(
        events.values_list("action", flat=True)
    )


def test_members_can_be_nested_security_groups(scim, owner):
    parent = scim.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "All staff"}).json()
    child = scim.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Engineers"}).json()
    nested = scim.patch(
        f"/Groups/{parent['id']}",
        {"op": "add", "path": "members", "value": [{"value": child["id"], "type": "Group"}]},
    )
    assert nested.status_code == 200, nested.content
    [member] = nested.json()["members"]
    assert (member["value"], member["display"], member["type"]) == (
        child["id"],
        "Engineers",
        "Group",
    )
    assert member["$ref"].endswith(f"/scim/v2/Groups/{child['id']}")
    cycle = scim.patch(
        f"/Groups/{child['id']}",
        {"op": "add", "path": "members", "value": [{"value": parent["id"], "type": "Group"}]},
    )
    assert cycle.status_code == 409


def test_a_member_of_another_tenant_is_refused_and_nothing_changes(scim, group, other_tenant_user):
    before = set(group.memberships.values_list("user_id", flat=True))
    answer = scim.patch(
        f"/Groups/{group.pk}",
        {"op": "add", "path": "members", "value": [{"value": str(other_tenant_user.pk)}]},
    )
    assert answer.status_code == 404
    assert set(group.memberships.values_list("user_id", flat=True)) == before


def test_delete_a_group(scim, group):
    assert scim.delete(f"/Groups/{group.pk}").status_code == 204
    assert scim.get(f"/Groups/{group.pk}").status_code == 404


def test_a_revoked_token_is_refused(scim, tenant, tenant_admin):
    from scim.actions import revoke_scim_token
    from scim.models import ScimClient

    assert scim.get("/Users").status_code == 200
    revoke_scim_token(ScimClient.objects.get(tenant=tenant), actor=tenant_admin)
    assert scim.get("/Users").status_code == 401


def test_unknown_endpoints_and_methods_are_scim_errors(scim):
    assert scim.get("/Bulk").status_code == 404
    assert scim.get("/Bulk")["Content-Type"] == SCIM
    assert scim.put("/Users", {}).status_code == 405
