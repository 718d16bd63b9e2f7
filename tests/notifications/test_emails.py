"""Emails, sent by the worker: every person who may decide a new request, the requester on
each decision (who and why), people added or removed by someone else. Sending never blocks or
undoes the change; a redelivered event sends nothing twice; SMTP trouble is retried."""

import smtplib
from datetime import timedelta

import pytest
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from groups import actions
from groups.models import GroupSource, JoinRequest, MembershipPolicy
from notifications import inbox
from notifications.models import Notification
from tenants.models import OutboxDelivery, OutboxEvent, User
from tests.conftest import set_settings
from tests.factories import GroupFactory, UserFactory
from tests.notifications.conftest import html_of, link, to

pytestmark = pytest.mark.django_db


@pytest.fixture
def co_owners(tenant, owner):
    """Two more owners of the `group` fixture's group: every owner must be told."""
    return [
        UserFactory(tenant=tenant, display_name="Cora Co-owner", email="cora@contoso.test"),
        UserFactory(tenant=tenant, display_name="Cal Co-owner", email="cal@contoso.test"),
    ]


def _approval_group(owner, co_owners=(), **extra):
    group = GroupFactory(
        created_by=owner,
        display_name="Site collaborators",
        membership_policy=MembershipPolicy.OWNER_APPROVAL,
        **extra,
    )
    for person in co_owners:
        actions.add_owner(group, actor=owner, person=person)
    return group


def test_every_owner_gets_the_new_request_email(
    tenant, owner, co_owners, requester, tenant_admin, unlicensed_user, deliver, mailoutbox
):
    group = _approval_group(owner, co_owners)
    actions.add_owner(group, actor=owner, person=unlicensed_user)  # may not decide: no license
    actions.request_to_join(group, actor=requester, justification="Launch work")
    deliver()

    told = sorted(m.to[0] for m in mailoutbox)
    assert told == sorted(p.email for p in (owner, *co_owners))  # not the admins, not Uma
    for message in mailoutbox:
        assert message.subject == "Rita Requester asks to join “Site collaborators”"
        assert "Business justification: “Launch work”" in message.body
        html = html_of(message)  # every email has an HTML part in the product's look
        assert "Access Panel" in html and "#4f46e5" in html
        for label in ("Approve", "Deny", "Open"):
            assert link(message, label).startswith("/notifications/links/")
    links = {link(m, "Approve") for m in mailoutbox}
    assert len(links) == 3  # each owner's links are their own


def test_when_owners_dont_manage_requests_the_global_admins_are_told(
    tenant, owner, requester, tenant_admin, deliver, mailoutbox
):
    group = _approval_group(owner)
    actions.request_to_join(group, actor=requester, justification="x")
    set_settings(tenant, owners_can_manage_requests=False)  # before the worker gets to it
    deliver()
    admins = User.objects.filter(tenant=tenant, role="global_admin")
    assert sorted(m.to[0] for m in mailoutbox) == sorted(a.email for a in admins)
    assert tenant_admin.email in {m.to[0] for m in mailoutbox}


def test_a_request_to_a_group_with_no_owner_goes_to_the_global_admins(
    tenant, tenant_admin, requester, deliver, mailoutbox
):
    group = actions.create_group(
        actor=tenant_admin,
        display_name="Nobody's",
        group_type="security",
        source=GroupSource.ADMIN_CENTER,
        membership_policy=MembershipPolicy.OWNER_APPROVAL,
    )
    actions.request_to_join(group, actor=requester, justification="x")
    deliver()
    assert tenant_admin.email in {m.to[0] for m in mailoutbox}
    assert all(User.objects.get(email=m.to[0]).is_global_admin for m in mailoutbox)


def test_a_deny_email_carries_the_reason_and_who_decided(
    owner, requester, group, deliver, mailoutbox
):
    join_request = JoinRequest.objects.get(requester=requester, status="pending")
    actions.deny_request(join_request, actor=owner, reason="Only the launch team")
    deliver()
    [message] = to(mailoutbox, requester)
    assert message.subject == "Your request to join “Site collaborators” was denied"
    assert "Denied by Olivia Owner." in message.body
    assert "Reason: “Only the launch team”" in message.body
    assert "Only the launch team" in html_of(message)


def test_an_approval_email_says_who_approved_and_until_when(
    owner, requester, group, deliver, mailoutbox
):
    join_request = JoinRequest.objects.get(requester=requester, status="pending")
    ends = timezone.now() + timedelta(days=30)
    actions.approve_request(join_request, actor=owner, ends_at=ends)
    deliver()
    [message] = to(mailoutbox, requester)
    assert message.subject == "Your request to join “Site collaborators” was approved"
    assert "Approved by Olivia Owner." in message.body
    assert f"Your membership ends on {inbox.day(ends)}." in message.body


def test_people_added_or_removed_by_someone_else_are_told_a_self_join_isnt(
    owner, member, outsider, open_group, deliver, mailoutbox
):
    actions.add_members(open_group, actor=owner, people=[member])
    actions.request_to_join(open_group, actor=outsider)  # joins an open group: no email
    actions.remove_member(open_group, actor=owner, person=member)
    deliver()
    assert to(mailoutbox, outsider) == []
    added, removed = to(mailoutbox, member)
    assert added.subject == "You were added to “Lunch club”"
    assert "Added by Olivia Owner." in added.body
    assert removed.subject == "You were removed from “Lunch club”"
    assert to(mailoutbox, owner) == []


def test_a_redelivered_event_sends_nothing_twice(owner, requester, group, deliver, mailoutbox):
    deliver()
    event = OutboxEvent.objects.get(kind="request.created")
    inbox.handle(event)  # at least once: the worker may run it again
    inbox.handle(event)
    assert len(to(mailoutbox, owner)) == 1
    assert Notification.objects.filter(event=event).count() == 1


def test_sending_never_blocks_the_change_and_smtp_trouble_is_retried_once_per_person(
    tenant, owner, co_owners, requester, deliver, mailoutbox, monkeypatch
):
    group = _approval_group(owner, co_owners)
    real_send = EmailMultiAlternatives.send
    calls = []

    def flaky(message, fail_silently=False):
        calls.append(message.to[0])
        if message.to[0] == co_owners[0].email and calls.count(co_owners[0].email) == 1:
            raise smtplib.SMTPServerDisconnected("try again later")
        return real_send(message, fail_silently)

    monkeypatch.setattr(EmailMultiAlternatives, "send", flaky)
    join_request = actions.request_to_join(group, actor=requester, justification="x")
    assert join_request.status == "pending"  # the change is committed whatever the mail does
    deliver()
    delivery = OutboxDelivery.objects.get(event__kind="request.created", handler="notifications")
    assert delivery.status == "pending" and "Mail server trouble" in delivery.last_error
    sent_first = sorted(m.to[0] for m in mailoutbox)
    deliver()  # the worker retries
    delivery.refresh_from_db()
    assert delivery.status == "done"
    assert sorted(m.to[0] for m in mailoutbox) == sorted(p.email for p in (owner, *co_owners))
    assert len(mailoutbox) == 3  # nobody got it twice
    assert set(sent_first) < {m.to[0] for m in mailoutbox}


def test_a_permanent_refusal_is_recorded_not_retried(
    owner, requester, group, deliver, mailoutbox, monkeypatch
):
    def refuse(message, fail_silently=False):
        raise smtplib.SMTPRecipientsRefused({message.to[0]: (550, b"No such user")})

    monkeypatch.setattr(EmailMultiAlternatives, "send", refuse)
    deliver()
    notification = Notification.objects.get(kind="request_new")
    assert "550" in notification.email_error and notification.emailed_at is None
    assert OutboxDelivery.objects.get(event__kind="request.created").status == "done"
