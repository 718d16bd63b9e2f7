"""The SPEC's group calls, one by one, with their errors and tenant isolation."""

import pytest

from groups.models import Group, JoinRequest, Membership
from tenants.models import AuditEvent

pytestmark = pytest.mark.django_db


def _error(response) -> dict:
    return response.json()["error"]


def test_the_directory_lists_visible_groups_in_camel_case(api_as, owner, group, other_tenant_user):
    response = api_as(owner).get("/groups", {"search": "site"})
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 1 and body["page"] == 1 and body["next"] is None
    item = body["items"][0]
    assert item["displayName"] == "Site collaborators"
    assert item["membershipPolicy"] == "owner_approval" and item["selfService"] is True
    assert item["owners"][0]["email"] == owner.email and item["memberCount"] == 1
    assert api_as(other_tenant_user).get("/groups").json()["total"] == 0


def test_pagination_has_a_next_link_and_caps_the_page_size(api_as, owner):
    from tests.factories import GroupFactory

    for n in range(3):
        GroupFactory(created_by=owner, display_name=f"Paged {n}")
    first = api_as(owner).get("/groups", {"pageSize": 2}).json()
    assert len(first["items"]) == 2 and first["total"] == 3
    assert "page=2" in first["next"] and "pageSize=2" in first["next"]
    assert api_as(owner).get("/groups", {"pageSize": 5000}).json()["pageSize"] == 200


@pytest.mark.parametrize(
    ("creator", "group_type", "policy", "creator_owns"),
    [
        ("member", "security", "closed", True),
        ("tenant_admin", "security", "closed", False),
        ("member", "microsoft365", "open", True),
    ],
)
def test_groups_created_through_the_api_get_the_api_defaults(
    request, api_as, creator, group_type, policy, creator_owns
):
    person = request.getfixturevalue(creator)
    response = api_as(person).post(
        "/groups", {"displayName": f"From the API {group_type}", "groupType": group_type}
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["source"], body["membershipPolicy"]) == ("api", policy)
    assert ([o["id"] for o in body["owners"]] == [person.pk]) is creator_owns
    event = AuditEvent.objects.get(action="group.created", target_id=str(body["id"]))
    assert (event.actor, event.surface, event.actor_kind) == (person, "api", "api_token")


def test_errors_have_one_envelope_and_the_right_status(api_as, client, owner, member, group):
    as_member = api_as(member)
    assert client.get("/api/v1/groups").status_code == 401
    assert _error(client.get("/api/v1/groups"))["code"] == "unauthorized"
    bad = client.get("/api/v1/groups", HTTP_AUTHORIZATION="Bearer ap_nope_nope")
    assert bad.status_code == 401
    refused = as_member.patch(f"/groups/{group.pk}", {"displayName": "Mine"})
    assert (refused.status_code, _error(refused)["code"]) == (403, "not_allowed")
    assert _error(refused)["message"] == "Only the group's owners can do this."
    assert as_member.get("/groups/987654").status_code == 404
    taken = api_as(owner).post(
        "/groups", {"displayName": "SITE collaborators", "groupType": "security"}
    )
    assert (taken.status_code, _error(taken)["field"]) == (409, "displayName")
    too_long = api_as(owner).post("/groups", {"displayName": "x" * 300, "groupType": "security"})
    assert (too_long.status_code, _error(too_long)["field"]) == (422, "displayName")
    wrong_type = api_as(owner).post("/groups", {"displayName": "T", "groupType": "nope"})
    assert (wrong_type.status_code, _error(wrong_type)["field"]) == (422, "groupType")
    missing = api_as(owner).post("/groups", {"groupType": "security"})
    assert (missing.status_code, _error(missing)["field"]) == (422, "displayName")
    malformed = api_as(owner).post("/groups", raw="{not json")
    assert (malformed.status_code, _error(malformed)["code"]) == (400, "bad_request")
    assert api_as(owner).get("/groups", {"type": "nope"}).status_code == 422


def test_members_owners_and_joining(api_as, owner, member, outsider, requester, group):
    as_owner = api_as(owner)
    listed = as_owner.get(f"/groups/{group.pk}/members").json()
    assert [m["user"]["email"] for m in listed["items"]] == [member.email]
    added = as_owner.post(f"/groups/{group.pk}/members", {"userId": outsider.email})
    assert added.status_code == 201 and added.json()["user"]["id"] == outsider.pk
    again = as_owner.post(f"/groups/{group.pk}/members", {"userId": outsider.pk})
    assert again.status_code == 409
    assert as_owner.delete(f"/groups/{group.pk}/members/{outsider.pk}").status_code == 204
    assert not Membership.objects.filter(group=group, user=outsider).exists()
    assert as_owner.post(f"/groups/{group.pk}/owners", {"userId": member.pk}).status_code == 201
    assert {o["id"] for o in as_owner.get(f"/groups/{group.pk}/owners").json()} == {
        owner.pk,
        member.pk,
    }
    assert api_as(outsider).get(f"/groups/{group.pk}/members").status_code == 403
    asked = api_as(outsider).post(f"/groups/{group.pk}/join", {"justification": "Launch"})
    assert asked.status_code == 201 and asked.json()["status"] == "pending"


def test_requests_are_listed_and_decided(api_as, owner, requester, outsider, group):
    as_owner = api_as(owner)
    pending = as_owner.get("/requests", {"status": "pending"}).json()
    assert [r["requester"]["email"] for r in pending["items"]] == [requester.email]
    request_id = pending["items"][0]["id"]
    approved = as_owner.post(f"/requests/{request_id}/approve", {"reason": "Welcome"})
    assert approved.status_code == 200
    assert (approved.json()["status"], approved.json()["decisionReason"]) == ("approved", "Welcome")
    late = as_owner.post(f"/requests/{request_id}/deny", {})
    assert (late.status_code, _error(late)["code"]) == (409, "conflict")
    assert api_as(outsider).get("/requests").json()["total"] == 0
    assert JoinRequest.objects.get(pk=request_id).status == "approved"


def test_me_and_settings(api_as, tenant, owner, tenant_admin):
    me = api_as(owner).get("/me").json()
    assert (me["email"], me["role"], me["premiumLicense"]) == (owner.email, "member", True)
    assert me["tenant"]["name"] == "Contoso"
    assert api_as(owner).get("/settings").status_code == 403
    as_admin = api_as(tenant_admin)
    assert as_admin.get("/settings").json()["owners_can_manage_requests"] is True
    changed = as_admin.patch("/settings", {"restrict_access_to_groups": True})
    assert changed.status_code == 200 and changed.json()["restrict_access_to_groups"] is True
    event = AuditEvent.objects.latest("id")
    assert (event.action, event.surface) == ("settings.updated", "api")


def test_another_tenants_ids_are_not_found(api_as, group, other_tenant_user):
    as_other = api_as(other_tenant_user)
    for path in (f"/groups/{group.pk}", f"/groups/{group.pk}/members"):
        assert as_other.get(path).status_code == 404
    join_request = JoinRequest.objects.get(group=group)
    assert as_other.post(f"/requests/{join_request.pk}/approve", {}).status_code == 404
    assert Group.objects.filter(pk=group.pk).exists()


@pytest.mark.parametrize(
    "call",
    [
        ("get", "/groups/99999999999999999999999999", None),
        ("get", "/groups/-1", None),
        ("get", "/groups?search=a%00b", None),
        ("post", "/groups", {"displayName": "a\x00b", "groupType": "security"}),
        ("post", "/groups", {"displayName": "\ud800", "groupType": "security"}),
        ("post", "/groups/1/members", {"userId": 99999999999999999999999999}),
        ("post", "/groups/1/members", {"groupId": -5}),
        ("patch", "/groups/1", {"displayName": None}),
        ("get", "/applications/99999999999999999999999/access?page=-3&pageSize=0", None),
    ],
)
def test_odd_input_is_a_4xx_never_a_500(api_as, owner, group, call):
    method, path, body = call
    client = api_as(owner)
    response = client.get(path) if method == "get" else getattr(client, method)(path, body)
    assert 400 <= response.status_code < 500, (path, response.status_code, response.content)
    assert "error" in response.json()


def test_an_unknown_field_is_refused_naming_it_and_nothing_is_created(api_as, owner):
    answer = api_as(owner).post(
        "/groups", {"displayName": "Typo", "groupType": "security", "ownerz": [owner.email]}
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "ownerz"
    assert not Group.objects.filter(display_name="Typo").exists()
    settings = api_as(owner).patch("/settings", {"owners_can_manage": True})
    assert settings.status_code in (403, 422)
