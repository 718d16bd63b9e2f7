"""Set-based bulk actions: adding 5,000 people or approving 500 requests costs a fixed,
small number of queries, the same as for 10 (docs/events.md, groups/actions.py)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from groups import actions, counts
from groups.models import JoinRequest, Membership, MembershipPolicy
from tenants import handlers
from tenants.models import AuditEvent, OutboxDelivery, OutboxEvent, User
from tests.factories import GroupFactory

pytestmark = pytest.mark.django_db


def _large(postgres_size: int) -> int:
    """The issue's sizes on PostgreSQL. SQLite (the demo) caps a statement at 999 parameters,
    so Django splits big bulk inserts into batches there: it gets a size below one batch
    (two handlers are subscribed with notifications: 2 x 40 deliveries of 10 columns)."""
    return postgres_size if connection.vendor == "postgresql" else 40


@pytest.fixture(autouse=True)
def subscribed_handler():
    """Count the worst case: a worker handler is subscribed, so deliveries are written too."""
    handlers.handles("bulk-probe", kinds=["member.added", "request.approved"])(lambda event: None)
    yield
    handlers.unregister("bulk-probe")


def _people(tenant, count: int, prefix: str) -> list[User]:
    """Many people at once (test setup; the product creates people through actions)."""
    return User.objects.bulk_create(
        User(
            tenant=tenant,
            email=f"{prefix}{n}@bulk.test",
            display_name=f"{prefix} {n:05d}",
            has_premium_license=True,
        )
        for n in range(count)
    )


def _queries_to_add(group, owner, people) -> int:
    with CaptureQueriesContext(connection) as queries:
        result = actions.add_members(group, actor=owner, people=people)
    assert len(result.added) == len(people)
    return len(queries)


def test_adding_5000_people_costs_what_adding_10_costs(tenant, owner):
    small, large = (GroupFactory(created_by=owner) for _ in range(2))
    few = _queries_to_add(small, owner, _people(tenant, 10, "few"))
    count = _large(5000)
    many_people = _people(tenant, count, "many")
    events_before = OutboxEvent.objects.count()
    many = _queries_to_add(large, owner, many_people)
    # savepoint, lock the group, settings, policy row, present members, insert members,
    # count them in the group's row, pending requests, audit rows, outbox events,
    # deliveries, wake-up task; then access (applications/access.py): lock the people, their
    # paths, their Access rows; release.
    assert many == few <= 16, (few, many)
    assert Membership.objects.filter(group=large).count() == count
    assert (
        AuditEvent.objects.filter(action="member.added", target_id=str(large.pk)).count() == count
    )
    assert OutboxEvent.objects.count() == events_before + count  # one event per person
    assert OutboxDelivery.objects.filter(handler="bulk-probe").count() == count + 10


def _pending(tenant, owner, count: int, prefix: str) -> list[int]:
    groups = [
        GroupFactory(created_by=owner, membership_policy=MembershipPolicy.OWNER_APPROVAL)
        for _ in range(5)
    ]
    requesters = _people(tenant, count, prefix)
    made = JoinRequest.objects.bulk_create(
        JoinRequest(group=groups[n % 5], requester=person, justification="bulk")
        for n, person in enumerate(requesters)
    )
    counts.reset(group.pk for group in groups)
    return [request.pk for request in made]


def _queries_to_approve(owner, ids) -> int:
    with CaptureQueriesContext(connection) as queries:
        result = actions.close_requests(ids, actor=owner, status=JoinRequest.Status.APPROVED)
    assert (len(result.decided), result.refused) == (len(ids), [])
    return len(queries)


def test_approving_500_requests_costs_what_approving_10_costs(tenant, owner):
    few = _queries_to_approve(owner, _pending(tenant, owner, 10, "ten"))
    count = _large(500)
    ids = _pending(tenant, owner, count, "many")
    many = _queries_to_approve(owner, ids)
    # savepoint, the requests' groups, lock the groups, settings, lock + decide the requests
    # (one query with the policy), one UPDATE, present members, insert members, the groups'
    # member and pending counts (one UPDATE), audit rows, outbox events, deliveries, wake-up
    # task; access: lock the people, their paths, their Access rows; release.
    assert many == few <= 17, (few, many)
    assert JoinRequest.objects.filter(pk__in=ids, status="approved").count() == count
    assert Membership.objects.filter(user__email__startswith="many").count() == count
    assert AuditEvent.objects.filter(action="request.approved").count() == count + 10
