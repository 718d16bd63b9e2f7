"""A group's member count and pending count (groups/counts.py) stay equal to a recount after
every kind of change: join, request, approve, deny, cancel, add many, remove, leave, approve
many, a deactivated or deleted person, memberships ending, expiry and restore."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from groups import actions, counts, lifecycle
from groups.models import Group, JoinRequest, MembershipPolicy
from notifications import housekeeping
from tenants.actions import delete_user, update_lifecycle_settings, update_user
from tests.factories import OPERATOR, GroupFactory, UserFactory

pytestmark = pytest.mark.django_db


def assert_counts_right(tenant) -> None:
    ids = list(Group.with_deleted.filter(tenant=tenant).values_list("pk", flat=True))
    assert counts.stored(ids) == counts.recounted(ids)


def _approval_group(owner, name="Launch") -> Group:
    return GroupFactory(
        created_by=owner, display_name=name, membership_policy=MembershipPolicy.OWNER_APPROVAL
    )


def test_counts_follow_every_change_of_members_and_requests(tenant, owner, tenant_admin):
    people = [UserFactory(tenant=tenant) for _ in range(8)]
    group, other = _approval_group(owner), _approval_group(owner, "Second")
    open_group = GroupFactory(created_by=owner, membership_policy=MembershipPolicy.OPEN)
    assert_counts_right(tenant)

    actions.request_to_join(open_group, actor=people[0])  # join an open group
    requests = [
        actions.request_to_join(group, actor=person, justification="x") for person in people[:6]
    ]
    actions.request_to_join(other, actor=people[0], justification="x")
    assert_counts_right(tenant)
    assert Group.objects.get(pk=group.pk).pending_count == 6

    actions.approve_request(requests[0], actor=owner)
    actions.deny_request(requests[1], actor=owner, reason="no")
    actions.cancel_request(requests[2], actor=people[2])
    assert_counts_right(tenant)

    # Approve many across two groups at once; a refused one (already decided) changes nothing.
    other_request = JoinRequest.objects.get(group=other, requester=people[0])
    actions.close_requests(
        [requests[3].pk, requests[1].pk, other_request.pk], actor=owner, status="approved"
    )
    assert_counts_right(tenant)

    # Adding people approves their pending requests with the add; adding again adds nothing.
    actions.add_members(group, actor=owner, people=[people[4], people[6], people[7]])
    actions.add_members(group, actor=owner, people=[people[6]])
    assert_counts_right(tenant)
    assert Group.objects.get(pk=group.pk).pending_count == 1

    actions.remove_member(group, actor=owner, person=people[6])
    actions.leave_group(open_group, actor=people[0])
    assert_counts_right(tenant)

    # A deactivated person's requests are cancelled; a deleted person's memberships go.
    update_user(people[5], actor=tenant_admin, is_active=False)
    assert_counts_right(tenant)
    assert Group.objects.get(pk=group.pk).pending_count == 0
    delete_user(people[7], actor=tenant_admin)
    assert_counts_right(tenant)

    # Deleting a group takes its counts with it; the others stay right.
    actions.delete_group(other, actor=owner)
    assert_counts_right(tenant)


START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_counts_follow_ending_memberships_expiry_and_restore(tenant, owner, tenant_admin):
    with time_machine.travel(START, tick=False) as clock:
        update_lifecycle_settings(
            tenant,
            actor=OPERATOR,
            group_lifetime_days=30,
            group_expiration_applies_to="all",
            expire_requests_after_days=None,
        )
        people = [UserFactory(tenant=tenant) for _ in range(4)]
        group = _approval_group(owner)
        actions.add_members(
            group, actor=owner, people=people[:2], ends_at=timezone.now() + timedelta(days=5)
        )
        actions.add_members(group, actor=owner, people=[people[2]])
        actions.request_to_join(group, actor=people[3], justification="x")
        assert_counts_right(tenant)

        clock.move_to(START + timedelta(days=6))
        assert housekeeping.run().memberships_ended == 2
        assert_counts_right(tenant)
        assert Group.objects.get(pk=group.pk).member_count == 1

        clock.move_to(START + timedelta(days=31))
        assert housekeeping.run().groups_expired == 1
        assert_counts_right(tenant)
        assert Group.with_deleted.get(pk=group.pk).pending_count == 0

        lifecycle.restore_group(Group.with_deleted.get(pk=group.pk), actor=tenant_admin)
        assert_counts_right(tenant)
        assert Group.objects.get(pk=group.pk).member_count == 1


def test_requests_expire_and_are_counted_down(tenant, owner):
    with time_machine.travel(START, tick=False) as clock:
        update_lifecycle_settings(tenant, actor=OPERATOR, expire_requests_after_days=14)
        group = _approval_group(owner)
        for person in [UserFactory(tenant=tenant) for _ in range(3)]:
            actions.request_to_join(group, actor=person, justification="x")
        clock.move_to(START + timedelta(days=15))
        housekeeping.run()
        assert JoinRequest.objects.filter(group=group, status="expired").count() == 3
        assert_counts_right(tenant)
        assert Group.objects.get(pk=group.pk).pending_count == 0
