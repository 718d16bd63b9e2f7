"""The API's writes that the scenarios don't reach, each checked in the database, and other
tenants' ids (404) on applications, assignments and blocks."""

import pytest

from applications import actions as app_actions
from applications.models import Application, Assignment, Block
from groups.models import Group, JoinRequest, Ownership
from tenants.actions import update_user
from tests.factories import OPERATOR, GroupFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(tenant_admin, owner, group):
    site = app_actions.create_application(
        actor=tenant_admin, name="Marketing", kind="site", owners=[owner]
    )
    app_actions.assign(site, actor=tenant_admin, group=group)
    return site


@pytest.fixture
def other_admin(other_tenant_user):
    return update_user(other_tenant_user, actor=OPERATOR, role="global_admin")


def test_an_owner_edits_a_group(api_as, owner, group):
    answer = api_as(owner).patch(
        f"/groups/{group.pk}", {"displayName": "Launch crew", "membershipPolicy": "open"}
    )
    assert answer.status_code == 200, answer.content
    assert (answer.json()["displayName"], answer.json()["membershipPolicy"]) == (
        "Launch crew",
        "open",
    )
    group.refresh_from_db()
    assert (group.display_name, group.membership_policy) == ("Launch crew", "open")


def test_an_owner_deletes_a_group(api_as, owner, member, group):
    assert api_as(member).delete(f"/groups/{group.pk}").status_code == 403
    assert api_as(owner).delete(f"/groups/{group.pk}").status_code == 204
    assert not Group.objects.filter(pk=group.pk).exists()
    assert api_as(owner).get(f"/groups/{group.pk}").status_code == 404


def test_an_owner_removes_an_owner(api_as, owner, member, group):
    as_owner = api_as(owner)
    as_owner.post(f"/groups/{group.pk}/owners", {"userId": member.pk})
    assert as_owner.delete(f"/groups/{group.pk}/owners/{member.pk}").status_code == 204
    assert list(Ownership.objects.filter(group=group).values_list("user_id", flat=True)) == [
        owner.pk
    ]
    again = as_owner.delete(f"/groups/{group.pk}/owners/{member.pk}")
    assert again.status_code == 409


def test_a_requester_cancels_their_request(api_as, requester, outsider, group):
    pending = JoinRequest.objects.get(group=group, requester=requester)
    assert api_as(outsider).post(f"/requests/{pending.pk}/cancel").status_code == 404
    answer = api_as(requester).post(f"/requests/{pending.pk}/cancel")
    assert answer.status_code == 200 and answer.json()["status"] == "cancelled"
    pending.refresh_from_db()
    assert pending.status == JoinRequest.Status.CANCELLED


def test_a_global_admin_edits_and_deletes_an_application(api_as, tenant_admin, owner, site):
    refused = api_as(owner).patch(f"/applications/{site.pk}", {"name": "Mine"})
    assert refused.status_code == 403
    edited = api_as(tenant_admin).patch(
        f"/applications/{site.pk}", {"name": "Marketing hub", "description": "Campaigns"}
    )
    assert edited.status_code == 200, edited.content
    site.refresh_from_db()
    assert (site.name, site.description) == ("Marketing hub", "Campaigns")
    assert api_as(owner).delete(f"/applications/{site.pk}").status_code == 403
    assert api_as(tenant_admin).delete(f"/applications/{site.pk}").status_code == 204
    assert not Application.objects.filter(pk=site.pk).exists()


def test_an_application_owner_removes_an_assignment(api_as, owner, outsider, site):
    assignment = Assignment.objects.get(application=site)
    path = f"/applications/{site.pk}/assignments/{assignment.pk}"
    assert api_as(outsider).delete(path).status_code == 404
    assert api_as(owner).delete(path).status_code == 204
    assert not Assignment.objects.filter(pk=assignment.pk).exists()
    assert api_as(owner).delete(path).status_code == 404


def test_another_tenants_applications_assignments_and_blocks_are_not_found(
    api_as, site, member, other_admin
):
    as_other = api_as(other_admin)
    assignment = Assignment.objects.get(application=site)
    base = f"/applications/{site.pk}"
    for path in (base, f"{base}/assignments", f"{base}/access"):
        assert as_other.get(path).status_code == 404, path
    assert as_other.patch(base, {"name": "Taken over"}).status_code == 404
    assert as_other.delete(f"{base}/assignments/{assignment.pk}").status_code == 404
    assert as_other.post(f"{base}/blocks", {"userId": member.pk, "reason": "x"}).status_code == 404
    assert as_other.delete(f"{base}/blocks/{member.pk}").status_code == 404
    assert as_other.delete(base).status_code == 404
    assert Assignment.objects.filter(pk=assignment.pk).exists()
    assert not Block.objects.exists()
    site.refresh_from_db()
    assert site.name == "Marketing"


def test_another_tenants_people_and_groups_cant_be_assigned_or_blocked(
    api_as, tenant_admin, site, other_tenant_user
):
    as_admin = api_as(tenant_admin)
    other_group = GroupFactory(created_by=other_tenant_user, display_name="Fabrikam staff")
    group = as_admin.post(
        f"/applications/{site.pk}/assignments",
        {"principalType": "group", "principalId": other_group.pk},
    )
    assert (group.status_code, group.json()["error"]["field"]) == (422, "principalId")
    person = as_admin.post(
        f"/applications/{site.pk}/assignments",
        {"principalType": "user", "principalId": other_tenant_user.pk},
    )
    assert (person.status_code, person.json()["error"]["field"]) == (422, "principalId")
    blocked = as_admin.post(
        f"/applications/{site.pk}/blocks", {"userId": other_tenant_user.pk, "reason": "x"}
    )
    assert blocked.status_code == 422
    assert not Block.objects.exists()
    assert Assignment.objects.filter(application=site).count() == 1
