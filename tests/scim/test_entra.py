"""What Microsoft Entra ID sends (its SCIM provisioning docs' requests, quirks included):
capitalised ops, "False" as text, `remove` of members with a value list, attributes we don't
keep (ignored), and a group PATCH whose cost doesn't grow with the group."""

import pytest

from groups import actions
from groups.models import Membership
from tests.factories import OPERATOR, GroupFactory, UserFactory
from tests.scim.conftest import PATCH_OP, USER_SCHEMA

pytestmark = pytest.mark.django_db
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def entra_patch(scim, path, *operations):
    return scim._send("patch", path, {"schemas": [PATCH_OP], "Operations": list(operations)}, None)


def test_entra_creates_a_user_with_attributes_we_dont_keep(scim, tenant):
    answer = scim.post(
        "/Users",
        {
            "schemas": [USER_SCHEMA, ENTERPRISE],
            "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
            "userName": "Test_User_ab6490ee@contoso.test",
            "active": True,
            "emails": [{"primary": True, "type": "work", "value": "test.user@contoso.test"}],
            "meta": {"resourceType": "User"},
            "name": {"formatted": "Test User", "familyName": "User", "givenName": "Test"},
            "roles": [],
            ENTERPRISE: {"department": "Sales"},
        },
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["emails"][0]["value"] == "test.user@contoso.test"


def test_entra_updates_a_user_ignoring_what_we_dont_keep(scim, member):
    answer = entra_patch(
        scim,
        f"/Users/{member.pk}",
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "mia.m@contoso.test"},
        {"op": "Replace", "path": "name.familyName", "value": "Member"},
        {"op": "Add", "path": "name.givenName", "value": "Mia"},
        {"op": "Replace", "path": "title", "value": "Engineer"},
        {"op": "Replace", "path": f"{ENTERPRISE}:department", "value": "Sales"},
        {"op": "Add", "path": 'phoneNumbers[type eq "work"].value', "value": "+1 555 0100"},
        {"op": "Add", "path": 'addresses[type eq "work"].locality', "value": "Seattle"},
        {"op": "Replace", "path": "displayName", "value": "Mia M."},
    )
    assert answer.status_code == 200, answer.content
    member.refresh_from_db()
    assert (member.email, member.display_name) == ("mia.m@contoso.test", "Mia M.")


def test_entra_sends_only_what_we_dont_keep(scim, member):
    answer = entra_patch(
        scim, f"/Users/{member.pk}", {"op": "Add", "path": "name.givenName", "value": "Mia"}
    )
    assert answer.status_code == 200, answer.content
    pathless = entra_patch(
        scim,
        f"/Users/{member.pk}",
        {"op": "Replace", "value": {"name.givenName": "Mia", ENTERPRISE: {"department": "x"}}},
    )
    assert pathless.status_code == 200, pathless.content


@pytest.mark.parametrize("disabled", ["False", False])
def test_entra_disables_a_user_with_false_as_text(scim, member, disabled):
    answer = entra_patch(
        scim, f"/Users/{member.pk}", {"op": "Replace", "path": "active", "value": disabled}
    )
    assert answer.status_code == 200, answer.content
    member.refresh_from_db()
    assert member.is_active is False
    entra_patch(scim, f"/Users/{member.pk}", {"op": "Replace", "value": {"active": "True"}})
    member.refresh_from_db()
    assert member.is_active is True


def entra_members(op: str, people) -> dict:
    """Entra ID's add or remove of members: named, capitalised, `$ref` null."""
    return {
        "name": f"{op.lower()}Member",
        "op": op,
        "path": "members",
        "value": [{"$ref": None, "value": str(person.pk)} for person in people],
    }


def member_ids(group) -> set[int]:
    return set(Membership.objects.filter(group=group).values_list("user_id", flat=True))


def test_entra_adds_and_removes_members_with_value_lists(scim, group, member, outsider, owner):
    path = f"/Groups/{group.pk}"
    added = entra_patch(scim, path, entra_members("Add", [outsider, owner]))
    assert added.status_code == 200, added.content
    assert member_ids(group) == {member.pk, outsider.pk, owner.pk}
    removed = entra_patch(scim, path, entra_members("Remove", [member, outsider]))
    assert removed.status_code == 200, removed.content
    assert member_ids(group) == {owner.pk}


def test_a_remove_listing_a_member_without_a_value_changes_nothing(scim, group, member):
    answer = entra_patch(
        scim, f"/Groups/{group.pk}", {"op": "Remove", "path": "members", "value": [{}]}
    )
    assert (answer.status_code, answer.json()["scimType"]) == (400, "invalidValue")
    assert Membership.objects.filter(group=group, user=member).exists()


@pytest.mark.parametrize("already_members", [10, 300])
def test_adding_100_members_costs_the_same_whatever_the_group_size(
    scim, tenant, owner, django_assert_max_num_queries, already_members
):
    group = GroupFactory(created_by=owner, display_name=f"Big {already_members}")
    people = [
        UserFactory(tenant=tenant, has_premium_license=False) for _ in range(already_members + 100)
    ]
    actions.add_members(group, actor=OPERATOR, people=people[:already_members])
    newcomers = people[already_members:]
    # 27 today: token and group (3), the named members only (2), who is a person (1), them
    # (1), the add (about 18: lock, policy, present, bulk insert, pending requests, audit and
    # outbox rows, the worker's task, the access of those added), and the answer (2). Not one
    # per member added, nor one per member already there.
    with django_assert_max_num_queries(30):
        answer = entra_patch(
            scim,
            f"/Groups/{group.pk}",
            {"op": "Add", "path": "members", "value": [{"value": str(p.pk)} for p in newcomers]},
        )
    assert answer.status_code == 200, answer.content
    assert Membership.objects.filter(group=group).count() == already_members + 100


def test_removing_members_costs_the_same_whatever_their_number(
    scim, tenant, owner, django_assert_max_num_queries
):
    group = GroupFactory(created_by=owner, display_name="Leavers")
    people = [UserFactory(tenant=tenant, has_premium_license=False) for _ in range(100)]
    actions.add_members(group, actor=OPERATOR, people=people)
    with django_assert_max_num_queries(30):  # as adding them, one DELETE for all
        answer = entra_patch(
            scim,
            f"/Groups/{group.pk}",
            {"op": "Remove", "path": "members", "value": [{"value": str(p.pk)} for p in people]},
        )
    assert answer.status_code == 200, answer.content
    assert not Membership.objects.filter(group=group).exists()
