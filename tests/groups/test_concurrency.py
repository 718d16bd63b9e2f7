"""Races: row locks make concurrent decisions and requests yield exactly one outcome.

These need PostgreSQL (SQLite serialises whole-database writes and has no row locks).
"""

import threading

import pytest
from django.db import connection

from groups import actions
from groups.models import JoinRequest, Membership, MembershipPolicy
from tenants.errors import Conflict, Refusal
from tests.factories import OPERATOR, GroupFactory, UserFactory

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def _race(workers: list, *, threads_start_together: bool = True) -> list:
    """Run each callable in its own thread and database connection; collect outcomes."""
    barrier = threading.Barrier(len(workers))
    outcomes: list = [None] * len(workers)

    def run(index, work):
        try:
            if threads_start_together:
                barrier.wait()
            outcomes[index] = work()
        except Exception as error:  # the outcome of a refused racer
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_two_owners_deciding_the_same_request_at_once_yield_one_decision(on_postgres, tenant):
    first, second, requester = (UserFactory(tenant=tenant) for _ in range(3))
    group = GroupFactory(created_by=first, membership_policy=MembershipPolicy.OWNER_APPROVAL)
    actions.add_owner(group, actor=first, person=second)
    for _ in range(5):
        join_request = actions.request_to_join(group, actor=requester, justification="please")
        outcomes = _race(
            [
                lambda req=join_request: actions.approve_request(req, actor=first),
                lambda req=join_request: actions.deny_request(req, actor=second),
            ]
        )
        decided = [o for o in outcomes if isinstance(o, JoinRequest)]
        refused = [o for o in outcomes if isinstance(o, Conflict)]
        assert len(decided) == 1 and len(refused) == 1, outcomes
        assert "already" in refused[0].message
        join_request.refresh_from_db()
        assert join_request.status == decided[0].status
        members = Membership.objects.filter(group=group, user=requester).count()
        assert members == (1 if join_request.status == "approved" else 0)
        if members:
            actions.leave_group(group, actor=requester)


def test_twenty_simultaneous_requests_by_one_user_make_one_pending_request(on_postgres, tenant):
    owner, requester = UserFactory(tenant=tenant), UserFactory(tenant=tenant)
    group = GroupFactory(created_by=owner, membership_policy=MembershipPolicy.OWNER_APPROVAL)
    outcomes = _race(
        [
            lambda: actions.request_to_join(group, actor=requester, justification="me")
            for _ in range(20)
        ]
    )
    assert sum(isinstance(o, JoinRequest) for o in outcomes) == 1, outcomes
    assert all(isinstance(o, JoinRequest | Conflict) for o in outcomes), outcomes
    assert (
        JoinRequest.objects.filter(group=group, requester=requester, status="pending").count() == 1
    )


def test_twenty_simultaneous_joins_of_an_open_group_make_one_membership(on_postgres, tenant):
    owner, joiner = UserFactory(tenant=tenant), UserFactory(tenant=tenant)
    group = GroupFactory(created_by=owner, membership_policy=MembershipPolicy.OPEN)
    outcomes = _race([lambda: actions.request_to_join(group, actor=joiner) for _ in range(20)])
    assert sum(isinstance(o, JoinRequest) for o in outcomes) == 1, outcomes
    assert Membership.objects.filter(group=group, user=joiner).count() == 1


def _deadlocks(outcomes: list) -> list:
    return [o for o in outcomes if isinstance(o, Exception) and "deadlock" in str(o).lower()]


@pytest.mark.parametrize("other", ["add_members", "delete_group", "deactivate_requester", "cancel"])
def test_deciding_races_other_changes_without_deadlock(on_postgres, tenant, other):
    """Every action locks the group before the request (and people with NO KEY UPDATE)."""
    from tenants.actions import update_user

    owner = UserFactory(tenant=tenant)
    for round_number in range(6):
        requester = UserFactory(tenant=tenant)
        group = GroupFactory(
            created_by=owner,
            display_name=f"{other} {round_number}",
            membership_policy=MembershipPolicy.OWNER_APPROVAL,
        )
        join_request = actions.request_to_join(group, actor=requester, justification="x")
        competitor = {
            "add_members": lambda g=group, r=requester: actions.add_members(
                g, actor=owner, people=[r]
            ),
            "delete_group": lambda g=group: actions.delete_group(g, actor=owner),
            "deactivate_requester": lambda r=requester: update_user(
                r, actor=OPERATOR, is_active=False
            ),
            "cancel": lambda jr=join_request, r=requester: actions.cancel_request(jr, actor=r),
        }[other]
        outcomes = _race(
            [lambda jr=join_request: actions.approve_request(jr, actor=owner), competitor]
        )
        assert _deadlocks(outcomes) == [], outcomes
        unexpected = [
            o for o in outcomes if isinstance(o, Exception) and not isinstance(o, Refusal)
        ]
        assert unexpected == [], outcomes  # every loser is told why; nothing else breaks
        status = JoinRequest.objects.filter(pk=join_request.pk).values_list("status", flat=True)
        members = Membership.objects.filter(user=requester).count()
        assert status.get() in {"approved", "cancelled"}, status.get()  # never pending
        if other == "delete_group":  # the request is kept (approved first, or cancelled with
            assert members == 0  # the group); the membership went with the group
        else:
            # A membership exists exactly when the request was approved (or the owner added them).
            assert members == (1 if status.get() == "approved" else 0)
