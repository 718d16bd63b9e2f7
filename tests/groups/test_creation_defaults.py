"""The seed's table of defaults at creation: 3 sources × 2 types."""

import pytest

from groups.actions import create_group
from groups.models import GroupSource, GroupType, MembershipPolicy
from groups.policy import Action, can
from tenants.errors import NotAllowed

OPEN, CLOSED = MembershipPolicy.OPEN, MembershipPolicy.CLOSED


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("source", "group_type", "creator_role", "expected_policy", "creator_owns"),
    [
        # "Azure AD PowerShell": security → only owners add members; M365 → open to join.
        (GroupSource.API, GroupType.SECURITY, "member", CLOSED, True),
        (GroupSource.API, GroupType.MICROSOFT365, "member", OPEN, True),
        (GroupSource.API, GroupType.SECURITY, "global_admin", CLOSED, False),
        (GroupSource.API, GroupType.MICROSOFT365, "global_admin", OPEN, False),
        # "Azure portal": same policies, and "Owner is not assigned automatically".
        (GroupSource.ADMIN_CENTER, GroupType.SECURITY, "global_admin", CLOSED, False),
        (GroupSource.ADMIN_CENTER, GroupType.MICROSOFT365, "global_admin", OPEN, False),
        # "Access panel": open to join for all users; the creator owns it.
        (GroupSource.ACCESS_PANEL, GroupType.SECURITY, "member", OPEN, True),
        (GroupSource.ACCESS_PANEL, GroupType.MICROSOFT365, "member", OPEN, True),
    ],
)
def test_creation_source_defaults(
    tenant,
    owner,
    tenant_admin,
    outsider,
    source,
    group_type,
    creator_role,
    expected_policy,
    creator_owns,
):
    creator = tenant_admin if creator_role == "global_admin" else owner
    group = create_group(
        actor=creator, display_name="New group", group_type=group_type, source=source
    )
    assert group.membership_policy == expected_policy
    assert group.source == source
    owners = list(group.ownerships.values_list("user_id", flat=True))
    assert owners == ([creator.pk] if creator_owns else [])
    # Visible to everyone in the tenant; "available to join" only when open.
    assert can(outsider, Action.VIEW, group)
    assert bool(can(outsider, Action.JOIN, group)) is (expected_policy == OPEN)
    if expected_policy == CLOSED:
        assert can(outsider, Action.JOIN, group).reason.startswith("Not available to join")


@pytest.mark.django_db
@pytest.mark.parametrize("policy", list(MembershipPolicy))
@pytest.mark.parametrize("group_type", [GroupType.SECURITY, GroupType.MICROSOFT365])
def test_membership_options_can_be_chosen_at_creation_in_the_access_panel(
    owner, group_type, policy
):
    group = create_group(
        actor=owner,
        display_name=f"{group_type} {policy}",
        group_type=group_type,
        source=GroupSource.ACCESS_PANEL,
        membership_policy=policy,
    )
    assert group.membership_policy == policy


@pytest.mark.django_db
def test_members_cant_create_in_the_admin_center(owner):
    with pytest.raises(NotAllowed, match="Only global admins"):
        create_group(
            actor=owner,
            display_name="x",
            group_type=GroupType.SECURITY,
            source=GroupSource.ADMIN_CENTER,
        )
