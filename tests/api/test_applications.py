"""Applications through the API: create, assign, who has access and why, block, /me/access."""

import pytest

from applications import actions as app_actions
from tests.factories import GroupFactory

pytestmark = pytest.mark.django_db


def test_the_seed_scenario_2_scripted(api_as, tenant, tenant_admin, owner, requester):
    """Two sites given to one owner-approval group; a request approved; Travel given to a site."""
    as_admin, as_owner = api_as(tenant_admin), api_as(owner)
    site_a = as_admin.post(
        "/applications", {"name": "Site A", "kind": "site", "owners": [owner.email]}
    )
    site_b = as_admin.post("/applications", {"name": "Site B", "kind": "site"})
    travel = as_admin.post("/applications", {"name": "Travel", "kind": "saas_app"})
    assert site_a.status_code == 201 and site_a.json()["owners"][0]["id"] == owner.pk
    group = as_owner.post(
        "/groups",
        {
            "displayName": "Site collaborators",
            "groupType": "security",
            "membershipPolicy": "owner_approval",
        },
    ).json()
    for site in (site_a, site_b):
        given = as_admin.post(
            f"/applications/{site.json()['id']}/assignments",
            {"principalType": "group", "principalId": group["id"]},
        )
        assert given.status_code == 201 and given.json()["principalName"] == "Site collaborators"
    assert (
        as_admin.post(
            f"/applications/{travel.json()['id']}/assignments",
            {"principalType": "application", "principalId": site_a.json()["id"]},
        ).status_code
        == 201
    )
    asked = api_as(requester).post(f"/groups/{group['id']}/join", {"justification": "Launch"})
    assert as_owner.post(f"/requests/{asked.json()['id']}/approve", {}).status_code == 200
    mine = api_as(requester).get("/me/access").json()
    names = {item["application"]["name"]: item["paths"] for item in mine["items"]}
    assert set(names) == {"Site A", "Site B", "Travel"}
    assert names["Travel"] == [
        [
            {"type": "application", "id": site_a.json()["id"], "name": "Site A"},
            {"type": "group", "id": group["id"], "name": "Site collaborators"},
        ]
    ]
    access = as_owner.get(f"/applications/{site_a.json()['id']}/access").json()
    assert [row["user"]["email"] for row in access["items"]] == [requester.email]


def test_effective_access_blocks_and_owner_limits(api_as, tenant_admin, owner, member, outsider):
    expenses = app_actions.create_application(
        actor=tenant_admin, name="Expenses", kind="saas_app", owners=[owner]
    )
    app_actions.assign(expenses, actor=tenant_admin, user=member)
    as_admin, as_owner = api_as(tenant_admin), api_as(owner)
    blocked = as_admin.post(
        f"/applications/{expenses.pk}/blocks", {"userId": member.email, "reason": "Audit"}
    )
    assert blocked.status_code == 201 and blocked.json()["blocked"] is True
    row = as_owner.get(f"/applications/{expenses.pk}/access").json()["items"][0]
    assert (row["blocked"], row["blockReason"], row["paths"]) == (
        True,
        "Audit",
        [[{"type": "direct", "id": None, "name": ""}]],
    )
    assert (
        as_owner.post(
            f"/applications/{expenses.pk}/blocks", {"userId": outsider.pk, "reason": "x"}
        ).status_code
        == 403
    )  # owners don't block
    assert as_admin.delete(f"/applications/{expenses.pk}/blocks/{member.pk}").status_code == 204
    assert api_as(outsider).get(f"/applications/{expenses.pk}").status_code == 404
    loop = as_admin.post(
        f"/applications/{expenses.pk}/assignments",
        {"principalType": "application", "principalId": expenses.pk},
    )
    assert (loop.status_code, loop.json()["error"]["field"]) == (409, "principalId")


def test_nesting_through_the_members_call(api_as, tenant_admin, owner):
    parent = GroupFactory(created_by=owner, display_name="Parent")
    child = GroupFactory(created_by=owner, display_name="Child")
    as_owner = api_as(owner)
    assert as_owner.post(f"/groups/{parent.pk}/members", {"groupId": child.pk}).status_code == 201
    loop = as_owner.post(f"/groups/{child.pk}/members", {"groupId": parent.pk})
    assert loop.status_code == 409 and "loop" in loop.json()["error"]["message"]
    assert [g["id"] for g in as_owner.get(f"/groups/{parent.pk}/nested-groups").json()] == [
        child.pk
    ]
    assert as_owner.delete(f"/groups/{parent.pk}/nested-groups/{child.pk}").status_code == 204
