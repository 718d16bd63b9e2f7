"""Provisioning by real `manage.py db_worker` processes against a real SCIM server: the
approval's person appears, a removal deactivates, a worker killed mid-batch and restarted
leaves no duplicate, and two workers at once provision nobody twice."""

import signal

import pytest

from applications import actions as app_actions
from groups import actions
from provisioning.models import RemoteAccount
from tests.factories import GroupFactory, UserFactory
from tests.processes import db_worker, wait_for
from tests.provisioning.conftest import provisioning_deliveries

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

WORKER_ENV = {
    "PROVISIONING_ALLOW_PRIVATE_ADDRESSES": "1",  # the SCIM server is on 127.0.0.1
    "PROVISIONING_CLAIM_SECONDS": "3",  # a killed worker's claims lapse quickly
    "OUTBOX_LEASE_SECONDS": "3",
}


@pytest.fixture
def crew_group(owner, expenses, tenant_admin):
    group = GroupFactory(created_by=owner, display_name="Crew")
    app_actions.assign(expenses, actor=tenant_admin, group=group)
    return group


def _crowd(tenant, size: int) -> list:
    return [UserFactory(tenant=tenant, email=f"person{n:02d}@contoso.test") for n in range(size)]


def _posts(faults) -> int:
    return sum(1 for seen in faults.seen if seen.startswith("POST /v2/Users"))


def _all_done() -> bool:
    return not provisioning_deliveries().exclude(status="done").exists()


def test_a_real_worker_provisions_a_new_member_and_deactivates_a_removed_one(
    scim_target, provision_to, crew_group, owner, requester
):
    provision_to(scim_target.url)
    with db_worker(env=WORKER_ENV):
        actions.add_members(crew_group, actor=owner, people=[requester])
        wait_for(lambda: scim_target.active() == {requester.email}, what="the account")
        [account] = scim_target.users()
        assert account["externalId"] == str(requester.pk)

        actions.remove_member(crew_group, actor=owner, person=requester)
        wait_for(lambda: scim_target.active() == set(), what="the deactivation")
    assert [user["id"] for user in scim_target.users()] == [account["id"]]  # never deleted


def test_killing_the_worker_mid_batch_and_restarting_it_provisions_everyone_once(
    proxy, scim_target, provision_to, crew_group, owner, tenant
):
    url, faults = proxy
    provision_to(url)
    faults.delay = 0.4  # each write takes a while: the kill lands in the middle
    people = _crowd(tenant, 12)
    actions.add_members(crew_group, actor=owner, people=people)
    with db_worker(env=WORKER_ENV) as first:
        wait_for(lambda: _posts(faults) >= 3, what="the first worker to start creating")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    assert len(scim_target.users()) < len(people)  # cut short

    with db_worker(env=WORKER_ENV):
        wait_for(_all_done, timeout=120, what="a second worker to finish")
    assert scim_target.active() == {person.email for person in people}  # each once (by_user_name)
    accounts = RemoteAccount.objects.exclude(remote_id="")
    assert sorted(accounts.values_list("remote_id", flat=True)) == sorted(
        user["id"] for user in scim_target.users()
    )


@pytest.mark.postgres_only
def test_two_workers_at_once_create_nobody_twice(
    on_postgres, proxy, scim_target, provision_to, crew_group, owner, tenant
):
    url, faults = proxy
    provision_to(url)
    faults.delay = 0.05
    people = _crowd(tenant, 30)
    actions.add_members(crew_group, actor=owner, people=people)
    with db_worker(env=WORKER_ENV), db_worker(env=WORKER_ENV):
        wait_for(_all_done, timeout=120, what="two workers to provision everyone")
    assert scim_target.active() == {person.email for person in people}
    assert _posts(faults) == len(people)  # one POST /Users per person, across both workers
