"""The policy: one table of roles × actions, then every setting, license rule, type and limit.

Each refusal's reason text is asserted, and `can()` must agree with `groups_for()`.
"""

from dataclasses import dataclass

import pytest
from django.db.models import Case, When

from groups import actions
from groups.models import Group, GroupSource, GroupType, JoinRequest, MembershipPolicy
from groups.policy import (
    MAX_GROUPS_CREATED_PER_USER,
    MAX_OWNERS_PER_GROUP,
    Action,
    Decider,
    Reason,
    can,
    can_create,
    can_use_groups_panel,
    creatable_types,
    groups_for,
    requests_for,
)
from tenants.errors import Conflict, Invalid, NotAllowed
from tests.conftest import set_settings
from tests.factories import GroupFactory, UserFactory

A = Action
T, F = True, False
ROLES = [
    "owner",
    "member",
    "requester",
    "outsider",
    "tenant_admin",
    "other_tenant_user",
    "unlicensed_user",
]
GROUP_ACTIONS = [
    A.VIEW, A.VIEW_MEMBERS, A.JOIN, A.LEAVE, A.EDIT, A.DELETE,
    A.MANAGE_MEMBERS, A.MANAGE_OWNERS, A.VIEW_REQUESTS, A.DECIDE_REQUESTS,
]  # fmt: skip
# The `group` fixture: an owner-approval security group; owners manage requests (Yes).
EXPECTED = {
    #                   view vmem join leave edit del  mmem mown vreq decide
    "owner":            [T,   T,   T,   F,    T,   T,   T,   T,   T,   T],
    "member":           [T,   T,   T,   T,    F,   F,   F,   F,   F,   F],
    "requester":        [T,   F,   T,   F,    F,   F,   F,   F,   F,   F],
    "outsider":         [T,   F,   T,   F,    F,   F,   F,   F,   F,   F],
    "tenant_admin":     [T,   T,   T,   F,    T,   T,   T,   T,   T,   T],
    "other_tenant_user":[F,   F,   F,   F,    F,   F,   F,   F,   F,   F],
    "unlicensed_user":  [T,   F,   F,   F,    F,   F,   F,   F,   F,   F],
}  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", GROUP_ACTIONS)
def test_policy_table(request, group, role, action):
    user = request.getfixturevalue(role)
    expected = EXPECTED[role][GROUP_ACTIONS.index(action)]
    decision = can(user, action, group)
    assert bool(decision) is expected, decision.reason
    assert groups_for(user, action).filter(pk=group.pk).exists() is expected
    if not expected:
        assert decision.reason


REQUEST_EXPECTED = {
    #                   view  cancel decide
    "owner":            [T,   F,     T],
    "member":           [F,   F,     F],
    "requester":        [T,   T,     F],
    "outsider":         [F,   F,     F],
    "tenant_admin":     [T,   T,     T],
    "other_tenant_user":[F,   F,     F],
    "unlicensed_user":  [F,   F,     F],
}  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", [A.VIEW_REQUEST, A.CANCEL_REQUEST, A.DECIDE_REQUEST])
def test_request_policy_table(request, group, role, action):
    join_request = JoinRequest.objects.get(group=group, status="pending")
    user = request.getfixturevalue(role)
    expected = REQUEST_EXPECTED[role][
        [A.VIEW_REQUEST, A.CANCEL_REQUEST, A.DECIDE_REQUEST].index(action)
    ]
    assert bool(can(user, action, join_request)) is expected
    assert requests_for(user, action).filter(pk=join_request.pk).exists() is expected


@pytest.mark.django_db
def test_annotated_decisions_agree_with_single_object_decisions(
    group, owner, outsider, unlicensed_user
):
    for user in (owner, outsider, unlicensed_user):
        decider = Decider(user)
        row = decider.annotate(Group.objects.filter(pk=group.pk), GROUP_ACTIONS).get()
        for action in GROUP_ACTIONS:
            assert decider.can(action, row) == can(user, action, group)


@pytest.mark.django_db
def test_unknown_action_is_refused(group, tenant_admin):
    decision = can(tenant_admin, "teleport", group)
    assert not decision
    assert "Unknown action" in decision.reason
    assert not groups_for(tenant_admin, "teleport").exists()


@pytest.mark.django_db
def test_inactive_user_may_do_nothing(group, member):
    member.is_active = False
    assert not can(member, A.VIEW, group)
    assert not groups_for(member, A.VIEW).exists()


# --- Excluded group types --------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("group_type", [GroupType.MAIL_ENABLED_SECURITY, GroupType.DISTRIBUTION])
def test_excluded_types_offer_no_self_service(tenant_admin, owner, outsider, group_type):
    group = actions.create_group(
        actor=tenant_admin,
        display_name="Mail list",
        group_type=group_type,
        source=GroupSource.ADMIN_CENTER,
        membership_policy=MembershipPolicy.OPEN,
        owners=[owner],
    )
    assert can(outsider, A.VIEW, group)
    for user, action in [
        (outsider, A.JOIN),
        (owner, A.EDIT),
        (owner, A.MANAGE_MEMBERS),
        (owner, A.VIEW_REQUESTS),
    ]:
        decision = can(user, action, group)
        assert not decision
        assert decision.reason == Reason.NOT_SELF_SERVICE
    decision = can_create(owner, group_type=group_type, membership_policy=MembershipPolicy.OPEN)
    assert decision.reason == Reason.NOT_SELF_SERVICE
    assert group_type not in creatable_types(owner)
    # A global admin still manages them (admin center).
    assert can(tenant_admin, A.MANAGE_MEMBERS, group)


# --- General settings, each both ways --------------------------------------------------------


@pytest.mark.django_db
def test_owners_manage_requests_yes(group, owner, outsider):
    assert can(owner, A.VIEW_REQUESTS, group)
    assert can(owner, A.DECIDE_REQUESTS, group)
    assert can(outsider, A.JOIN, group)


@pytest.mark.django_db
def test_owners_manage_requests_no(tenant, group, owner, outsider, tenant_admin, open_group):
    set_settings(tenant, owners_can_manage_requests=False)
    assert can(owner, A.VIEW_REQUESTS, group).reason == Reason.REQUESTS_NOT_MANAGED
    assert can(owner, A.DECIDE_REQUESTS, group).reason == Reason.REQUESTS_NOT_MANAGED
    assert (
        "Owners can manage group membership requests in the Access Panel"
        in Reason.REQUESTS_NOT_MANAGED
    )
    # owner_approval groups accept no new requests; open groups still can be joined
    assert can(outsider, A.JOIN, group).reason == Reason.REQUESTS_OFF
    assert can(outsider, A.JOIN, open_group)
    # owners still manage members; global admins are never limited
    assert can(owner, A.MANAGE_MEMBERS, group)
    assert can(tenant_admin, A.DECIDE_REQUESTS, group)


@pytest.mark.django_db
def test_restrict_access_to_groups_yes(tenant, member, tenant_admin):
    set_settings(tenant, restrict_access_to_groups=True)
    decision = can_use_groups_panel(member)
    assert not decision
    assert decision.reason == Reason.RESTRICTED
    assert "Restrict access to Groups in the Access Panel" in decision.reason
    assert can_use_groups_panel(tenant_admin)


@pytest.mark.django_db
def test_restrict_access_to_groups_no(member):
    assert can_use_groups_panel(member)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("setting", "group_type", "other_type"),
    [
        ("users_can_create_security_groups", GroupType.SECURITY, GroupType.MICROSOFT365),
        ("users_can_create_microsoft365_groups", GroupType.MICROSOFT365, GroupType.SECURITY),
    ],
)
def test_users_can_create_groups_no(
    tenant, owner, tenant_admin, requester, setting, group_type, other_type
):
    owned = GroupFactory(
        created_by=owner, group_type=group_type, membership_policy=MembershipPolicy.OWNER_APPROVAL
    )
    other = GroupFactory(created_by=owner, group_type=other_type)
    actions.request_to_join(owned, actor=requester, justification="please")
    set_settings(tenant, **{setting: False})
    open_ = MembershipPolicy.OPEN
    decision = can_create(owner, group_type=group_type, membership_policy=open_)
    assert decision.reason == Reason.create_off(group_type)
    assert "No" in decision.reason
    assert can_create(owner, group_type=other_type, membership_policy=open_)
    assert creatable_types(owner) == [other_type]
    # "can't change existing groups for which they are an owner"
    assert can(owner, A.EDIT, owned).reason == Reason.edit_off(group_type)
    assert not can(owner, A.DELETE, owned)
    assert can(owner, A.EDIT, other)
    # "However, they can still manage the memberships of those groups and approve requests"
    assert can(owner, A.MANAGE_MEMBERS, owned)
    assert can(owner, A.DECIDE_REQUESTS, owned)
    # Global admins are never limited.
    assert can_create(tenant_admin, group_type=group_type, membership_policy=open_)
    assert can(tenant_admin, A.EDIT, owned)


@pytest.mark.django_db
@pytest.mark.parametrize("group_type", [GroupType.SECURITY, GroupType.MICROSOFT365])
def test_users_can_create_groups_yes(owner, group_type):
    assert can_create(owner, group_type=group_type, membership_policy=MembershipPolicy.OPEN)


@pytest.mark.django_db
def test_owners_who_can_assign_owners_all(group, owner):
    assert can(owner, A.MANAGE_OWNERS, group)


@pytest.mark.django_db
def test_owners_who_can_assign_owners_selected(tenant, group, owner, member, tenant_admin):
    second_owner = UserFactory(tenant=tenant)
    actions.add_owner(group, actor=owner, person=second_owner)
    set_settings(
        tenant, owners_who_can_assign_owners="selected", selected_owner_assigners=[second_owner]
    )
    decision = can(owner, A.MANAGE_OWNERS, group)
    assert decision.reason == Reason.OWNER_ASSIGN_SELECTED
    assert "Owners who can assign members as group owners" in decision.reason
    assert can(second_owner, A.MANAGE_OWNERS, group)
    assert can(tenant_admin, A.MANAGE_OWNERS, group)
    # Selected people still need to own the group.
    assert not can(member, A.MANAGE_OWNERS, group)


# --- Premium license -------------------------------------------------------------------------


@pytest.mark.django_db
def test_license_matrix(tenant, unlicensed_user, open_group, group, tenant_admin):
    # Request to join, including an open join
    # Joining an open group is a join, not a request (review round 1: words that contradict).
    assert can(unlicensed_user, A.JOIN, open_group).reason == Reason.JOIN_OPEN_LICENSE
    assert "Joining a group needs a Premium license" in Reason.JOIN_OPEN_LICENSE
    assert can(unlicensed_user, A.JOIN, group).reason == Reason.JOIN_LICENSE
    # Create with owner approval needs it; other policies don't.
    decision = can_create(
        unlicensed_user, group_type=GroupType.SECURITY, membership_policy="owner_approval"
    )
    assert decision.reason == Reason.CREATE_OWNER_APPROVAL_LICENSE
    assert "Premium license" in decision.reason
    assert can_create(unlicensed_user, group_type=GroupType.SECURITY, membership_policy="open")
    # Without a license, an owner still manages their group but can't approve or deny.
    owned = GroupFactory(created_by=unlicensed_user, membership_policy=MembershipPolicy.CLOSED)
    actions.update_group(
        owned, actor=tenant_admin, membership_policy=MembershipPolicy.OWNER_APPROVAL
    )
    assert can(unlicensed_user, A.MANAGE_MEMBERS, owned)
    assert can(unlicensed_user, A.EDIT, owned)
    assert can(unlicensed_user, A.VIEW_REQUESTS, owned)
    assert can(unlicensed_user, A.DECIDE_REQUESTS, owned).reason == Reason.DECIDE_LICENSE


@pytest.mark.django_db
def test_unlicensed_owner_cant_switch_a_group_to_owner_approval(unlicensed_user):
    owned = GroupFactory(created_by=unlicensed_user)
    with pytest.raises(NotAllowed, match="Premium license"):
        actions.update_group(
            owned, actor=unlicensed_user, membership_policy=MembershipPolicy.OWNER_APPROVAL
        )


# --- Who may see what (docs/visibility.md) ---------------------------------------------------


@pytest.mark.django_db
def test_owner_of_one_group_cant_see_another_groups_members_or_requests(tenant, group, requester):
    """Seed scenario 1: neither business owner sees the other's memberships."""
    manager = UserFactory(tenant=tenant)
    travel = GroupFactory(created_by=manager, membership_policy=MembershipPolicy.OWNER_APPROVAL)
    owner = group.ownerships.get().user
    for action in (A.VIEW_MEMBERS, A.MANAGE_MEMBERS, A.VIEW_REQUESTS, A.DECIDE_REQUESTS):
        assert not can(owner, action, travel)
        assert not can(manager, action, group)
    request_for_group = JoinRequest.objects.get(group=group, requester=requester)
    assert not can(manager, A.VIEW_REQUEST, request_for_group)
    assert not requests_for(manager, A.VIEW_REQUEST).exists()


@pytest.mark.django_db
def test_nothing_across_tenants(group, other_tenant_user):
    assert not groups_for(other_tenant_user, A.VIEW).exists()
    assert can(other_tenant_user, A.VIEW, group).reason == Reason.NOT_FOUND
    foreign_admin = UserFactory(tenant=other_tenant_user.tenant, role="global_admin")
    for action in GROUP_ACTIONS:
        assert not can(foreign_admin, action, group)


# --- Limits ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_at_most_100_owners(tenant, owner):
    group = GroupFactory(created_by=owner)
    for _ in range(MAX_OWNERS_PER_GROUP - 1):
        person = UserFactory(tenant=tenant, has_premium_license=False)
        actions.add_owner(group, actor=owner, person=person)
    one_too_many = UserFactory(tenant=tenant, has_premium_license=False)
    with pytest.raises(Conflict, match="at most 100 owners"):
        actions.add_owner(group, actor=owner, person=one_too_many)
    assert group.ownerships.count() == MAX_OWNERS_PER_GROUP


@pytest.mark.django_db
def test_a_user_creates_at_most_250_groups(owner, tenant_admin):
    for n in range(MAX_GROUPS_CREATED_PER_USER):
        GroupFactory(created_by=owner, display_name=f"g{n}")
    decision = can_create(owner, group_type=GroupType.SECURITY, membership_policy="open")
    assert decision.reason == Reason.CREATE_LIMIT
    assert "250" in decision.reason
    with pytest.raises(NotAllowed, match="250"):
        GroupFactory(created_by=owner, display_name="one too many")
    # Global admins have no such limit.
    assert can_create(tenant_admin, group_type=GroupType.SECURITY, membership_policy="open")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"display_name": ""}, "Name is required"),
        ({"display_name": "   "}, "Name is required"),
        ({"display_name": "x" * 257}, "at most 256 characters"),
        ({"description": "d" * 1025}, "at most 1,024 characters"),
        ({"display_name": "bad\x00name"}, "NUL"),
    ],
)
def test_name_and_description_limits(owner, fields, message):
    values = {"display_name": "ok", "description": "", **fields}
    with pytest.raises(Invalid, match=message):
        actions.create_group(actor=owner, group_type="security", source="access_panel", **values)
    assert not Group.objects.exists()


@pytest.mark.django_db
def test_limits_at_the_edge_are_accepted(owner):
    group = actions.create_group(
        actor=owner,
        group_type="security",
        source="access_panel",
        display_name="n" * 256,
        description="d" * 1024,
    )
    assert len(group.display_name) == 256


@pytest.mark.django_db
def test_display_names_are_unique_per_tenant_case_insensitively(owner, other_tenant_user):
    GroupFactory(created_by=owner, display_name="Finance")
    with pytest.raises(Conflict, match="already exists"):
        GroupFactory(created_by=owner, display_name="FINANCE")
    # Another tenant may use the same name.
    assert GroupFactory(created_by=other_tenant_user, display_name="finance")


# --- The inverse question: who may do it? ----------------------------------------------------

SETTINGS_COMBINATIONS = [
    {
        "owners_can_manage_requests": manage,
        "users_can_create_security_groups": create,
        "owners_who_can_assign_owners": assigners,
    }
    for manage in (True, False)
    for create in (True, False)
    for assigners in ("all", "selected")
]


@dataclass
class World:
    """Groups of every type and policy (half of them letting members renew), their owners and
    members, and people in every role, for the tests that hold two readings of the rules to
    the same answers under every combination of settings."""

    groups: list[Group]
    people: list
    co_owner: object

    def each_setting(self, tenant):
        from tenants.actions import update_general_settings
        from tests.factories import OPERATOR

        for values in SETTINGS_COMBINATIONS:
            selected = (
                [self.co_owner] if values["owners_who_can_assign_owners"] == "selected" else []
            )
            update_general_settings(
                tenant, actor=OPERATOR, selected_owner_assigners=selected, **values
            )
            yield values


@pytest.fixture
def world(tenant, tenant_admin, owner, member, outsider, unlicensed_user) -> World:
    from tenants.actions import update_user as change_person

    co_owner = UserFactory(tenant=tenant, display_name="Cora Co-owner")
    gone = UserFactory(tenant=tenant, display_name="Gus Gone")
    groups = []
    for group_type in GroupType.values:
        for policy in MembershipPolicy.values:
            group = actions.create_group(
                actor=tenant_admin,
                display_name=f"{group_type} {policy}",
                group_type=group_type,
                source=GroupSource.ADMIN_CENTER,
                membership_policy=policy,
                owners=[owner, co_owner, unlicensed_user, gone],
            )
            actions.add_members(group, actor=tenant_admin, people=[member, unlicensed_user, gone])
            groups.append(group)
    renewable = [group.pk for group in groups[::2]]
    Group.objects.filter(pk__in=renewable).update(members_can_renew=True)
    groups = list(Group.objects.filter(pk__in=[group.pk for group in groups]).order_by("pk"))
    gone = change_person(gone, actor=tenant_admin, is_active=False)
    people = [tenant_admin, owner, co_owner, member, outsider, unlicensed_user, gone]
    return World(groups, people, co_owner)


ALL_GROUP_ACTIONS = [*GROUP_ACTIONS, A.RENEW_OWN]


@pytest.mark.django_db
def test_who_may_agrees_with_can_for_every_person_action_group_and_setting(
    tenant, world, other_tenant_user
):
    """who_may() restates the rules over people; it must never drift from can()."""
    from groups.policy import who_may

    for values in world.each_setting(tenant):
        listed = {
            (group.pk, action): set(who_may(action, group).values_list("pk", flat=True))
            for group in world.groups
            for action in ALL_GROUP_ACTIONS
        }
        for person in world.people:
            decider = Decider(person)
            for row in decider.annotate(Group.objects.filter(tenant=tenant), ALL_GROUP_ACTIONS):
                for action in ALL_GROUP_ACTIONS:
                    may = bool(decider.can(action, row))
                    is_listed = person.pk in listed[(row.pk, action)]
                    assert is_listed is may, (values, person.display_name, row.display_name, action)
        for group in world.groups:
            assert not who_may(A.VIEW, group).filter(pk=other_tenant_user.pk).exists()


@pytest.mark.django_db
def test_rules_read_in_python_agree_with_the_same_rules_in_sql(
    tenant, world, other_tenant_user, django_assert_num_queries
):
    """`can()` reads a group's rules in Python from an annotated row; lists filter and order
    by the same rules in SQL. Same refusal (the same first failing rule), same groups."""
    from groups.policy import decision_from, first_failure

    people = [*world.people, other_tenant_user]
    for values in world.each_setting(tenant):
        for person in people:
            decider = Decider(person)
            rows = list(decider.annotate(Group.objects.filter(tenant=tenant), ALL_GROUP_ACTIONS))
            for action in ALL_GROUP_ACTIONS:
                rules = decider.rules(action, Group)
                in_sql = dict(
                    Group.objects.filter(tenant=tenant)
                    .annotate(failed=first_failure(rules))
                    .values_list("pk", "failed")
                )
                allowed = set(decider.queryset(action, Group).values_list("pk", flat=True))
                ordered = set(  # as Discover orders by it: a CASE over the same rules
                    Group.objects.filter(tenant=tenant)
                    .annotate(ok=Case(When(decider.allows(action), then=1), default=0))
                    .filter(ok=1)
                    .values_list("pk", flat=True)
                )
                assert ordered == (allowed if not decider.refusal else set())
                with django_assert_num_queries(0):
                    decisions = {row.pk: decider.can(action, row) for row in rows}
                for row in rows:
                    label = (values, person.display_name, row.display_name, action)
                    assert decisions[row.pk] == decision_from(rules, in_sql[row.pk]), label
                    assert bool(decisions[row.pk]) is (row.pk in allowed), label
                    assert decider.can(action, Group(pk=row.pk)) == decisions[row.pk], label


@pytest.mark.django_db
def test_who_may_decide_a_request_never_includes_its_requester(tenant, owner, tenant_admin):
    from groups.policy import who_may_decide

    co_owner = UserFactory(tenant=tenant, display_name="Cora Co-owner")
    group = GroupFactory(created_by=owner, membership_policy=MembershipPolicy.OWNER_APPROVAL)
    actions.add_owner(group, actor=owner, person=co_owner)
    join_request = actions.request_to_join(group, actor=co_owner, justification="me too")
    deciders = set(who_may_decide(join_request))
    admins = set(tenant.users.filter(role="global_admin"))
    assert tenant_admin in admins
    assert deciders == {owner} | admins  # not co_owner: they asked
    for person in (owner, co_owner, *admins):
        assert bool(can(person, A.DECIDE_REQUEST, join_request)) is (person in deciders)


@pytest.mark.django_db
def test_a_row_annotated_for_one_person_is_never_read_for_another(group, owner, outsider):
    """A Decider reads facts only from a row that carries its own viewer's: else it asks."""
    from groups.selectors import with_viewer_status

    owners_row = Decider(owner).annotate(Group.objects.filter(pk=group.pk), [A.EDIT]).get()
    assert Decider(owner).can(A.EDIT, owners_row)
    assert not Decider(outsider).can(A.EDIT, owners_row)
    # Annotated for the owner, then another person's status on top: the outsider's facts now.
    relabelled = with_viewer_status(
        Decider(owner).annotate(Group.objects.filter(pk=group.pk), [A.EDIT]), outsider
    ).get()
    assert Decider(outsider).can(A.EDIT, relabelled).reason == Reason.NOT_OWNER
    assert Decider(owner).can(A.EDIT, relabelled)  # asked the database, not the outsider's facts


@pytest.mark.django_db
def test_a_row_without_what_a_rule_reads_asks_the_database(group, owner, django_assert_num_queries):
    decider = Decider(owner)
    assert decider.settings  # read once, before counting
    bare = decider.annotate(Group.objects.filter(pk=group.pk).only("pk"), [A.EDIT]).get()
    with django_assert_num_queries(1):  # the group's columns: never one query per column
        decided = decider.can(A.EDIT, bare)
    assert decided == can(owner, A.EDIT, group)
    annotated = decider.annotate(Group.objects.filter(pk=group.pk), [A.EDIT]).get()
    with django_assert_num_queries(0):  # annotated for EDIT, read for LEAVE: the same facts
        decided = decider.can(A.LEAVE, annotated)
    assert decided == can(owner, A.LEAVE, group)
