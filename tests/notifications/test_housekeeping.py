"""Housekeeping with time moved by time-machine: reminders at N days, escalation at M, expiry
at K (each exactly once); memberships that end with warnings, removal and an access event;
group expiration, then restore within 30 days; daily digests; idempotence."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from applications import actions as app_actions
from applications.models import Access
from groups import actions, lifecycle
from groups.models import Group, GroupSource, JoinRequest, Membership, MembershipPolicy
from notifications import housekeeping
from notifications.models import Delivery, Digest, Notification, Preference
from tenants.actions import update_lifecycle_settings
from tenants.models import AuditEvent, OutboxEvent
from tests.factories import OPERATOR, GroupFactory, UserFactory
from tests.notifications.conftest import to

pytestmark = pytest.mark.django_db

START = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.get_fixed_timezone(0))


@pytest.fixture
def clock():
    """The clock starts at START; clock.at(days=…) moves it, as the worker would find it."""
    with time_machine.travel(START, tick=False) as traveller:

        class Clock:
            def at(self, **delta) -> datetime:
                moment = START + timedelta(**delta)
                traveller.move_to(moment)
                return moment

        yield Clock()


def _events(kind: str) -> int:
    return OutboxEvent.objects.filter(kind=kind).count()


def test_reminder_at_n_days_escalation_at_m_and_expiry_at_k_each_exactly_once(
    clock, tenant, owner, requester, tenant_admin, deliver, mailoutbox
):
    group = GroupFactory(
        created_by=owner, display_name="Site", membership_policy=MembershipPolicy.OWNER_APPROVAL
    )
    join_request = actions.request_to_join(group, actor=requester, justification="x")
    deliver()
    mailoutbox.clear()

    clock.at(days=3, seconds=-1)
    assert housekeeping.run().total == 0
    clock.at(days=3)
    assert housekeeping.run().reminders == 1
    assert housekeeping.run().total == 0
    deliver()
    [reminder] = to(mailoutbox, owner)
    assert reminder.subject == "Reminder: Rita Requester has waited 3 days to join “Site”"
    assert "Approve: " in reminder.body

    clock.at(days=7)
    report = housekeeping.run()
    assert (report.escalations, report.reminders) == (1, 0)
    deliver()
    escalated = [m for m in mailoutbox if m.subject.startswith("Escalated")]
    assert {m.to[0] for m in escalated} == set(
        tenant.users.filter(role="global_admin").values_list("email", flat=True)
    )

    clock.at(days=14)
    assert housekeeping.run().requests_expired == 1
    assert housekeeping.run().total == 0
    join_request.refresh_from_db()
    assert join_request.status == "expired" and join_request.decided_by is None
    expired = AuditEvent.objects.get(action="request.expired")
    assert expired.actor_label == "System: request expiry"
    deliver()
    [told] = [m for m in to(mailoutbox, requester) if "expired" in m.subject]
    assert "Nobody approved or denied it within 14 days." in told.body
    assert any("Rita Requester's request" in m.subject for m in to(mailoutbox, owner))
    assert (_events("request.reminded"), _events("request.escalated")) == (1, 1)


def test_requests_never_expire_when_the_setting_is_empty(clock, tenant, owner, requester):
    update_lifecycle_settings(tenant, actor=OPERATOR, expire_requests_after_days=None)
    group = GroupFactory(created_by=owner, membership_policy=MembershipPolicy.OWNER_APPROVAL)
    join_request = actions.request_to_join(group, actor=requester, justification="x")
    clock.at(days=400)
    housekeeping.run()
    join_request.refresh_from_db()
    assert join_request.status == "pending"


def _application_for(group, admin):
    app = app_actions.create_application(actor=admin, name="Expenses", kind="saas_app")
    app_actions.assign(app, actor=admin, group=group)
    return app


def test_a_membership_ends_on_time_with_warnings_removal_and_an_access_event(
    clock, tenant, owner, member, tenant_admin, deliver, mailoutbox
):
    group = GroupFactory(created_by=owner, display_name="Expenses users")
    expenses = _application_for(group, tenant_admin)
    actions.add_members(group, actor=owner, people=[member], ends_at=START + timedelta(days=10))
    assert Access.objects.filter(user=member, application=expenses).exists()
    deliver()
    mailoutbox.clear()

    clock.at(days=2, hours=23)
    assert housekeeping.run().membership_warnings == 0
    clock.at(days=3)
    assert housekeeping.run().membership_warnings == 1  # 7 days before
    clock.at(days=9)
    assert housekeeping.run().membership_warnings == 1  # 1 day before
    assert housekeeping.run().total == 0
    deliver()
    subjects = [m.subject for m in to(mailoutbox, member)]
    assert subjects == [
        "Your membership of “Expenses users” ends in 7 days",
        "Your membership of “Expenses users” ends in 1 day",
    ]
    assert len(to(mailoutbox, owner)) == 2  # the owners are warned too

    clock.at(days=10)
    assert housekeeping.run().memberships_ended == 1
    assert housekeeping.run().total == 0
    assert not Membership.objects.filter(user=member, group=group).exists()
    assert not Access.objects.filter(user=member, application=expenses).exists()
    revoked = OutboxEvent.objects.get(kind="access.revoked")
    assert revoked.payload == {
        "target_type": "application",
        "target_id": expenses.pk,
        "application_id": expenses.pk,
        "user_id": member.pk,
    }
    removed = AuditEvent.objects.get(action="member.removed")
    assert removed.actor_label == "System: membership ends"
    deliver()
    assert to(mailoutbox, member)[-1].subject == "Your membership of “Expenses users” ended"


def test_renewing_moves_the_end_by_its_term_and_the_warnings_start_again(
    clock, tenant, owner, member, deliver
):
    group = GroupFactory(created_by=owner)
    actions.add_members(group, actor=owner, people=[member], ends_at=START + timedelta(days=10))
    clock.at(days=9, hours=1)
    assert housekeeping.run().membership_warnings == 1  # straight to "tomorrow"
    renewed = lifecycle.renew_membership(group, actor=owner, person=member)
    assert renewed.ends_at == START + timedelta(days=20)  # + the 10-day term
    clock.at(days=10)
    assert housekeeping.run().memberships_ended == 0
    clock.at(days=19, hours=1)
    assert housekeeping.run().membership_warnings == 1  # the new end date's warning
    assert _events("membership.renewed") == 1


def test_a_group_default_duration_applies_to_joins_approvals_and_adds(
    clock, tenant, owner, member, requester, outsider
):
    group = GroupFactory(created_by=owner, membership_policy=MembershipPolicy.OWNER_APPROVAL)
    lifecycle.set_membership_options(
        group, actor=owner, default_membership_days=30, members_can_renew=True
    )
    open_group = GroupFactory(created_by=owner, membership_policy=MembershipPolicy.OPEN)
    lifecycle.set_membership_options(
        open_group, actor=owner, default_membership_days=5, members_can_renew=False
    )
    actions.add_members(group, actor=owner, people=[member])
    actions.approve_request(
        actions.request_to_join(group, actor=requester, justification="x"), actor=owner
    )
    actions.request_to_join(open_group, actor=outsider)
    ends = {m.user_id: m.ends_at for m in Membership.objects.all()}
    assert ends[member.pk] == ends[requester.pk] == START + timedelta(days=30)
    assert ends[outsider.pk] == START + timedelta(days=5)
    # Members renew their own when the group allows it; otherwise only owners may.
    lifecycle.renew_membership(group, actor=member, person=member)
    from tenants.errors import NotAllowed

    with pytest.raises(NotAllowed, match="can't renew their own"):
        lifecycle.renew_membership(open_group, actor=outsider, person=outsider)


def test_group_expiry_warns_the_owners_then_restore_within_30_days(
    clock, tenant, owner, member, tenant_admin, deliver, mailoutbox
):
    update_lifecycle_settings(
        tenant, actor=OPERATOR, group_lifetime_days=60, group_expiration_applies_to="all"
    )
    group = GroupFactory(created_by=owner, display_name="Launch")
    expenses = _application_for(group, tenant_admin)
    actions.add_members(group, actor=owner, people=[member])
    deliver()
    mailoutbox.clear()

    warned = []
    for day in (29, 30, 44, 45, 58, 59):
        clock.at(days=day, hours=1)
        warned.append(housekeeping.run().group_warnings)
    assert warned == [0, 1, 0, 1, 0, 1]  # 30, 15 and 1 days before
    deliver()
    assert [m.subject for m in to(mailoutbox, owner)] == [
        "“Launch” expires in 30 days",
        "“Launch” expires in 15 days",
        "“Launch” expires in 1 day",
    ]

    clock.at(days=60, hours=1)
    assert housekeeping.run().groups_expired == 1
    assert housekeeping.run().total == 0
    assert not Group.objects.filter(pk=group.pk).exists()  # hidden everywhere
    assert Group.with_deleted.get(pk=group.pk).deleted_at is not None
    assert not Access.objects.filter(user=member, application=expenses).exists()
    assert OutboxEvent.objects.filter(kind="access.revoked", payload__user_id=member.pk).exists()
    deliver()
    assert to(mailoutbox, owner)[-1].subject == "“Launch” expired and was deleted"
    assert to(mailoutbox, member)[-1].subject == (
        "You were removed from “Launch”: the group expired"
    )

    clock.at(days=75)
    restored = lifecycle.restore_group(Group.with_deleted.get(pk=group.pk), actor=tenant_admin)
    assert restored.deleted_at is None
    assert Membership.objects.filter(group=group, user=member).exists()
    assert group.ownerships.filter(user=owner).exists()
    assert Access.objects.filter(user=member, application=expenses).exists()
    assert AuditEvent.objects.filter(action="group.restored").count() == 1
    clock.at(days=80)
    assert housekeeping.run().groups_expired == 0  # its lifetime started again


def test_an_expired_group_is_gone_after_30_days_and_its_requests_are_kept(
    clock, tenant, owner, member, requester, tenant_admin
):
    update_lifecycle_settings(
        tenant,
        actor=OPERATOR,
        group_lifetime_days=30,
        group_expiration_applies_to="all",
        expire_requests_after_days=None,
    )
    group = GroupFactory(
        created_by=owner, display_name="Pilot", membership_policy=MembershipPolicy.OWNER_APPROVAL
    )
    decided = actions.request_to_join(group, actor=member, justification="early")
    actions.deny_request(decided, actor=owner, reason="full")
    waiting = actions.request_to_join(group, actor=requester, justification="late")
    clock.at(days=30, hours=1)
    assert housekeeping.run().groups_expired == 1
    waiting.refresh_from_db()
    assert (waiting.status, waiting.decision_reason) == ("expired", "The group expired.")
    clock.at(days=61)
    assert housekeeping.run().groups_purged == 1
    assert not Group.with_deleted.filter(pk=group.pk).exists()
    kept = JoinRequest.objects.filter(tenant=tenant, group_name="Pilot").order_by("pk")
    assert [(r.status, r.decision_reason) for r in kept] == [
        ("denied", "full"),
        ("expired", "The group expired."),
    ]
    with pytest.raises(Exception, match="no longer exists"):
        lifecycle.restore_group(Group(pk=group.pk, tenant=tenant), actor=tenant_admin)


def test_the_policy_gives_old_groups_30_days_before_they_expire(clock, tenant, owner):
    old = GroupFactory(created_by=owner, display_name="Old")
    clock.at(days=400)
    update_lifecycle_settings(
        tenant, actor=OPERATOR, group_lifetime_days=30, group_expiration_applies_to="all"
    )
    report = housekeeping.run()
    assert (report.groups_expired, report.group_warnings) == (0, 1)  # "in 30 days"
    clock.at(days=429)
    assert housekeeping.run().groups_expired == 0
    clock.at(days=430, seconds=1)
    assert housekeeping.run().groups_expired == 1
    assert not Group.objects.filter(pk=old.pk).exists()


def test_only_selected_groups_expire_when_the_policy_says_selected(
    clock, tenant, owner, tenant_admin
):
    chosen, other = GroupFactory(created_by=owner), GroupFactory(created_by=owner)
    update_lifecycle_settings(
        tenant, actor=OPERATOR, group_lifetime_days=30, group_expiration_applies_to="selected"
    )
    lifecycle.select_groups_for_expiration(tenant.pk, actor=tenant_admin, groups=[chosen])
    clock.at(days=31)
    assert housekeeping.run().groups_expired == 1
    assert Group.objects.filter(pk=other.pk).exists()
    assert not Group.objects.filter(pk=chosen.pk).exists()


def test_an_ownerless_groups_warnings_go_to_the_alternate_address(
    clock, tenant, tenant_admin, deliver, mailoutbox
):
    update_lifecycle_settings(
        tenant,
        actor=OPERATOR,
        group_lifetime_days=30,
        group_expiration_applies_to="all",
        ownerless_group_email="it-team@contoso.test",
    )
    actions.create_group(
        actor=tenant_admin,
        display_name="Orphan",
        group_type="security",
        source=GroupSource.ADMIN_CENTER,
    )
    clock.at(days=1)
    housekeeping.run()
    deliver()
    [message] = [m for m in mailoutbox if m.to == ["it-team@contoso.test"]]
    assert message.subject == "“Orphan” expires in 29 days (it has no owner)"


def test_an_ownerless_group_with_no_alternate_address_warns_the_global_admins(
    clock, tenant, tenant_admin, deliver, mailoutbox
):
    update_lifecycle_settings(
        tenant, actor=OPERATOR, group_lifetime_days=30, group_expiration_applies_to="all"
    )
    actions.create_group(
        actor=tenant_admin,
        display_name="Orphan",
        group_type="security",
        source=GroupSource.ADMIN_CENTER,
    )
    clock.at(days=1)
    housekeeping.run()
    deliver()
    [message] = to(mailoutbox, tenant_admin)
    assert message.subject == "“Orphan” expires in 29 days (it has no owner)"
    assert "goes to the global admins" in message.body


def test_the_digest_is_one_email_per_person_per_day_with_everything_in_it(
    clock, tenant, owner, tenant_admin, deliver, mailoutbox, settings
):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "DIGEST_HOUR": 7}
    for kind in ("request_new", "member_added"):
        Preference.objects.create(user=owner, kind=kind, delivery=Delivery.DIGEST)
    group = GroupFactory(created_by=owner, membership_policy=MembershipPolicy.OWNER_APPROVAL)
    people = [UserFactory(tenant=tenant, display_name=f"Asker {n}") for n in range(3)]
    for person in people:
        actions.request_to_join(group, actor=person, justification=f"reason {person.pk}")
    other = GroupFactory(created_by=tenant_admin, display_name="Other")
    actions.add_members(other, actor=tenant_admin, people=[owner])
    deliver()
    assert to(mailoutbox, owner) == []  # nothing at once: they chose the digest

    clock.at(hours=-3)  # 06:00, before the digest hour
    assert housekeeping.run().digests == 0
    clock.at(hours=1)
    assert housekeeping.run().digests == 1
    assert housekeeping.run().digests == 0
    deliver()
    [digest] = to(mailoutbox, owner)
    assert digest.subject == "Your Access Panel digest: 4 updates"
    for person in people:
        assert f"{person.display_name} asks to join" in digest.body
    assert "You were added to “Other”" in digest.body
    assert Notification.objects.filter(recipient=owner, emailed_at__isnull=True).count() == 0

    actions.request_to_join(group, actor=UserFactory(tenant=tenant), justification="late")
    deliver()
    clock.at(hours=5)
    assert housekeeping.run().digests == 0  # one per day: this one waits for tomorrow
    clock.at(days=1, hours=1)
    assert housekeeping.run().digests == 1
    deliver()
    assert len(to(mailoutbox, owner)) == 2
    assert Digest.objects.filter(recipient=owner).count() == 2


def test_run_twice_at_the_same_moment_does_nothing_twice(
    clock, tenant, owner, member, requester, tenant_admin
):
    update_lifecycle_settings(
        tenant, actor=OPERATOR, group_lifetime_days=30, group_expiration_applies_to="all"
    )
    group = GroupFactory(created_by=owner, membership_policy=MembershipPolicy.OWNER_APPROVAL)
    actions.request_to_join(group, actor=requester, justification="x")
    actions.add_members(group, actor=owner, people=[member], ends_at=START + timedelta(days=8))
    clock.at(days=7, hours=1)
    first = housekeeping.run()
    assert (first.reminders, first.escalations, first.membership_warnings) == (1, 1, 1)
    assert first.group_warnings == 1
    events, audit = OutboxEvent.objects.count(), AuditEvent.objects.count()
    call_command("housekeeping", verbosity=0)
    assert housekeeping.run().total == 0
    assert (OutboxEvent.objects.count(), AuditEvent.objects.count()) == (events, audit)


def test_the_worker_runs_housekeeping_as_a_periodic_job(clock, tenant, owner, requester):
    from notifications.tasks import housekeeping as task
    from tenants import worker

    job = worker._jobs["housekeeping"]
    assert job.task is task and job.interval == timedelta(minutes=10)
    group = GroupFactory(created_by=owner, membership_policy=MembershipPolicy.OWNER_APPROVAL)
    actions.request_to_join(group, actor=requester, justification="x")
    clock.at(days=3)
    assert "reminders 1" in task.call()
    assert "reminders 0" in task.call()
