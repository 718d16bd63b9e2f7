"""The provisioner against a real SCIM server: people with access have an active account at
the application, people without have none or a deactivated one, whatever fails in between."""

import pytest

from applications import actions as app_actions
from groups import actions
from groups.models import JoinRequest, MembershipPolicy
from provisioning.models import ProvisioningAttempt, RemoteAccount
from provisioning.provisioner import on_access_changed
from tenants.actions import update_user
from tenants.models import OutboxEvent
from tests.factories import GroupFactory
from tests.provisioning.conftest import deliver, provisioning_deliveries
from tests.scim_target import unused_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def travellers(tenant_admin, owner, expenses):
    """An owner-approval group that gives Expenses."""
    group = GroupFactory(
        created_by=owner,
        display_name="Travellers",
        membership_policy=MembershipPolicy.OWNER_APPROVAL,
    )
    app_actions.assign(expenses, actor=tenant_admin, group=group)
    return group


def approve(group, owner, person):
    actions.request_to_join(group, actor=person, justification="Trips")
    actions.approve_request(JoinRequest.objects.get(group=group, requester=person), actor=owner)


def log(**filters) -> list[tuple[str, str]]:
    rows = ProvisioningAttempt.objects.filter(**filters).order_by("at", "id")
    return list(rows.values_list("operation", "outcome"))


def test_an_approved_person_gets_an_active_account(
    scim_target, provision_to, travellers, owner, requester
):
    provision_to(scim_target.url)
    approve(travellers, owner, requester)
    deliver()
    account = scim_target.by_user_name()[requester.email]
    assert account["externalId"] == str(requester.pk) and account["active"] is True
    assert account["displayName"] == requester.display_name
    mapping = RemoteAccount.objects.get(person_id=requester.pk)
    assert (mapping.remote_id, mapping.active) == (account["id"], True)
    assert log(user=requester) == [("create", "success")]


def test_removal_block_and_deactivation_deactivate_and_coming_back_reactivates_the_same_account(
    scim_target, provision_to, travellers, tenant_admin, owner, member, requester, expenses
):
    provision_to(scim_target.url)
    actions.add_members(travellers, actor=owner, people=[member, requester])
    deliver()
    remote_id = scim_target.by_user_name()[member.email]["id"]

    actions.remove_member(travellers, actor=owner, person=member)
    app_actions.block(expenses, actor=tenant_admin, person=requester, reason="Audit")
    deliver()
    assert scim_target.active() == set()

    actions.add_members(travellers, actor=owner, people=[member])
    app_actions.unblock(expenses, actor=tenant_admin, person=requester)
    deliver()
    assert scim_target.active() == {member.email, requester.email}
    assert scim_target.by_user_name()[member.email]["id"] == remote_id  # the same account

    update_user(requester, actor=tenant_admin, is_active=False)
    deliver()
    assert scim_target.active() == {member.email}
    assert log(user=member) == [
        ("create", "success"),
        ("deactivate", "success"),
        ("reactivate", "success"),
    ]


def test_replaying_an_event_changes_nothing(proxy, provision_to, travellers, owner, requester):
    url, faults = proxy
    provision_to(url)
    approve(travellers, owner, requester)
    deliver()
    calls = len(faults.seen)
    for event in OutboxEvent.objects.filter(kind__startswith="access."):
        on_access_changed(event)
    assert len(faults.seen) == calls  # not one call to the application
    assert log(user=requester) == [("create", "success")]


def test_someone_the_application_already_has_is_reactivated_not_created_twice(
    scim_target, provision_to, travellers, owner, requester
):
    existing = scim_target.create(requester.email.upper(), active=False)
    provision_to(scim_target.url)
    approve(travellers, owner, requester)
    deliver()
    [account] = scim_target.users()
    assert account["id"] == existing["id"] and account["active"] is True
    assert log(user=requester) == [("reactivate", "success")]


def test_two_503s_then_success_provisions_once(
    proxy, scim_target, provision_to, travellers, owner, requester
):
    url, faults = proxy
    provision_to(url)
    faults.times = 2
    approve(travellers, owner, requester)
    deliver(rounds=3)
    assert scim_target.active() == {requester.email}
    assert len(scim_target.users()) == 1
    assert log(user=requester) == [
        ("create", "retrying"),
        ("create", "retrying"),
        ("create", "success"),
    ]
    failed = ProvisioningAttempt.objects.filter(outcome="retrying").first()
    assert failed.http_status == 503 and "injected" in failed.error


def test_a_down_endpoint_leaves_the_approval_committed_and_logs_every_attempt(
    provision_to, travellers, owner, requester
):
    provision_to(unused_url())
    approve(travellers, owner, requester)
    assert travellers.memberships.filter(user=requester).exists()
    deliver(rounds=3)
    assert log(user=requester) == [("create", "retrying")] * 3
    delivery = provisioning_deliveries().get(event__kind="access.granted")
    assert delivery.status == "pending" and delivery.attempts == 3
    assert ProvisioningAttempt.objects.filter(http_status__isnull=True).count() == 3


def test_the_last_try_is_logged_as_failed(provision_to, travellers, owner, requester, settings):
    settings.OUTBOX = {**settings.OUTBOX, "MAX_ATTEMPTS": 2}
    provision_to(unused_url())
    approve(travellers, owner, requester)
    deliver(rounds=3)
    assert log(user=requester) == [("create", "retrying"), ("create", "failed")]
    assert provisioning_deliveries().get(event__kind="access.granted").status == "failed"


def test_a_4xx_fails_at_once_with_the_response_body(
    scim_target, provision_to, travellers, owner, requester
):
    provision_to(scim_target.url, token="wrong-token")
    approve(travellers, owner, requester)
    deliver(rounds=2)
    [attempt] = ProvisioningAttempt.objects.filter(user=requester)
    assert (attempt.outcome, attempt.http_status) == ("failed", 401)
    assert attempt.error  # the body, as the application answered
    assert provisioning_deliveries().get(event__kind="access.granted").status == "failed"
    assert scim_target.users() == []


def test_429_waits_as_long_as_the_application_asks(
    proxy, provision_to, travellers, owner, requester
):
    from tenants.models import OutboxDelivery

    url, faults = proxy
    provision_to(url)
    faults.times, faults.status, faults.retry_after = 1, 429, "120"
    approve(travellers, owner, requester)
    deliver()
    delivery = OutboxDelivery.objects.get(handler="provisioning", event__kind="access.granted")
    waits = (delivery.next_attempt_at - delivery.event.created_at).total_seconds()
    assert waits >= 119
    assert log(user=requester) == [("create", "retrying")]


def test_nothing_is_sent_while_provisioning_is_off(scim_target, travellers, owner, requester):
    approve(travellers, owner, requester)
    deliver()
    assert scim_target.users() == []
    assert not ProvisioningAttempt.objects.exists()


def test_adding_5000_people_enqueues_their_provisioning_in_bounded_queries(
    provision_to, scim_target, tenant, owner, travellers
):
    """One delivery per person for the provisioner, written set-based: the same queries for
    5,000 people as for 10 (SQLite splits big inserts, so it gets a smaller crowd)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tenants.models import User

    provision_to(scim_target.url)
    size = 5000 if connection.vendor == "postgresql" else 40
    counts = []
    for label, count in (("few", 10), ("many", size)):
        people = User.objects.bulk_create(
            User(tenant=tenant, email=f"{label}{n}@crowd.test", display_name=f"{label} {n}")
            for n in range(count)
        )
        with CaptureQueriesContext(connection) as captured:
            actions.add_members(travellers, actor=owner, people=people)
        counts.append(len(captured))
    assert counts[0] == counts[1], counts
    assert provisioning_deliveries().count() == 10 + size
