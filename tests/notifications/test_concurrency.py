"""Two housekeeping runs at the same moment on PostgreSQL do no duplicate work."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from groups import actions
from groups.models import Group, JoinRequest, Membership, MembershipPolicy
from notifications import housekeeping
from notifications.models import Delivery, Digest, Milestone, Notification
from tenants.actions import update_lifecycle_settings
from tenants.models import LifecycleSettings, OutboxEvent
from tests.factories import OPERATOR, GroupFactory, UserFactory

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def _due_work(tenant, owner):
    """Something of every kind due at once, for several requests, members and groups."""
    update_lifecycle_settings(
        tenant, actor=OPERATOR, group_lifetime_days=30, group_expiration_applies_to="all"
    )
    LifecycleSettings.objects.filter(tenant=tenant).update(
        group_expiration_since=timezone.now() - timedelta(days=400)
    )
    people = [UserFactory(tenant=tenant, display_name=f"Person {n}") for n in range(12)]
    group = GroupFactory(created_by=owner, membership_policy=MembershipPolicy.OWNER_APPROVAL)
    requests = [actions.request_to_join(group, actor=p, justification="x").pk for p in people[:8]]
    ages = [4, 4, 8, 8, 20, 20, 20, 20]  # days: reminder, escalation, expiry
    for pk, age in zip(requests, ages, strict=True):
        JoinRequest.objects.filter(pk=pk).update(created_at=timezone.now() - timedelta(days=age))
    actions.add_members(group, actor=owner, people=people[8:])
    soon = Membership.objects.filter(user__in=people[8:10])
    soon.update(ends_at=timezone.now() + timedelta(hours=12), term_days=30)
    Membership.objects.filter(user__in=people[10:]).update(
        ends_at=timezone.now() - timedelta(minutes=1), term_days=30
    )
    old = [GroupFactory(created_by=owner, display_name=f"Old {n}") for n in range(3)]
    Group.objects.filter(pk__in=[g.pk for g in old]).update(
        created_at=timezone.now() - timedelta(days=90)
    )
    warned = GroupFactory(created_by=owner, display_name="Nearly")
    Group.objects.filter(pk=warned.pk).update(created_at=timezone.now() - timedelta(days=20))
    Notification.objects.update(delivery=Delivery.DIGEST)  # everyone's digest is due
    Group.objects.filter(pk=group.pk).update(created_at=timezone.now())  # stays


def _kinds() -> dict[str, int]:
    kinds = [
        "request.reminded",
        "request.escalated",
        "request.expired",
        "membership.ending",
        "member.removed",
        "group.expiring",
        "group.expired",
        "digest.ready",
    ]
    return {kind: OutboxEvent.objects.filter(kind=kind).count() for kind in kinds}


def test_two_housekeeping_runs_at_once_do_no_duplicate_work(on_postgres, tenant, owner, settings):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "DIGEST_HOUR": 0}
    _due_work(tenant, owner)
    from notifications import inbox

    for event in OutboxEvent.objects.filter(kind__in=inbox.KINDS):  # make the notifications
        inbox.store(event, inbox.plan(event))
    Notification.objects.update(delivery=Delivery.DIGEST)
    before = _kinds()
    now = timezone.now()
    barrier = threading.Barrier(2)
    reports, errors = [None, None], []

    def run(index: int) -> None:
        try:
            barrier.wait()
            reports[index] = housekeeping.run(now=now)
        except Exception as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    done = {kind: count - before[kind] for kind, count in _kinds().items()}
    assert done == {
        "request.reminded": 4,  # 4 and 8 days old (the 20-day-old ones expired first)
        "request.escalated": 2,  # 8 days old
        "request.expired": 4,
        "membership.ending": 2,
        "member.removed": 2,
        "group.expiring": 2,  # "Nearly" (in 10 days) and the new group (in 30)
        "group.expired": 3,
        "digest.ready": Digest.objects.count(),
    }
    assert done["digest.ready"] > 0
    total = reports[0].total + reports[1].total
    assert total == sum(done.values())  # what one run did, the other didn't
    assert Milestone.objects.count() == len(set(Milestone.objects.values_list("name", flat=True)))
    assert Digest.objects.count() == len({d.recipient_id for d in Digest.objects.all()})
