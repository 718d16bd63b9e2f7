"""Reconcile (`manage.py reconcile_provisioning`, the worker's periodic job): the application
ends up holding exactly the people with access, whatever was changed there behind our back."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from applications import actions as app_actions
from groups import actions
from provisioning.models import RemoteAccount
from provisioning.reconcile import reconcile
from tests.factories import GroupFactory, UserFactory
from tests.provisioning.conftest import deliver
from tests.scim_target import unused_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def crew(tenant, owner, expenses, tenant_admin):
    """Three people in a group that gives Expenses."""
    group = GroupFactory(created_by=owner, display_name="Crew")
    app_actions.assign(expenses, actor=tenant_admin, group=group)
    people = [UserFactory(tenant=tenant, email=f"crew{n}@contoso.test") for n in range(3)]
    actions.add_members(group, actor=owner, people=people)
    return group, people


def _run(*args) -> str:
    out = StringIO()
    call_command("reconcile_provisioning", *args, stdout=out)
    return out.getvalue()


def test_switching_on_for_an_application_that_already_gives_access_provisions_everyone(
    scim_target, provision_to, crew, expenses
):
    _, people = crew  # access came before provisioning: no event will provision them
    provision_to(scim_target.url)
    assert scim_target.users() == []
    output = _run("--application", str(expenses.pk))
    assert "Expenses: 3 people checked, 3 created" in output
    assert scim_target.active() == {person.email for person in people}
    assert "nothing to fix" in _run()  # a second run changes nothing


def test_reconcile_fixes_what_was_changed_at_the_application(
    scim_target, provision_to, crew, owner, expenses
):
    group, (kept, deactivated_there, deleted_there) = crew
    provision_to(scim_target.url)
    reconcile(expenses.pk)
    leaver = UserFactory(email="leaver@contoso.test", tenant=kept.tenant)
    actions.add_members(group, actor=owner, people=[leaver])
    deliver()
    actions.remove_member(group, actor=owner, person=leaver)
    deliver()
    accounts = {a.person_id: a.remote_id for a in RemoteAccount.objects.all()}

    # Behind our back: one deactivated, one deleted, the leaver switched on again, and a
    # user of the application's own that isn't ours.
    scim_target.patch(accounts[deactivated_there.pk], active=False)
    scim_target.delete(accounts[deleted_there.pk])
    scim_target.patch(accounts[leaver.pk], active=True)
    stranger = scim_target.create("stranger@elsewhere.example")

    [report] = reconcile(expenses.pk)
    assert report.fixed == {"create": 1, "deactivate": 1, "reactivate": 1}, str(report)
    users = scim_target.by_user_name()
    assert {name for name, user in users.items() if user["active"]} == {
        kept.email,
        deactivated_there.email,
        deleted_there.email,
        stranger["userName"],  # not ours: left alone
    }
    recreated = RemoteAccount.objects.get(person_id=deleted_there.pk)
    assert recreated.remote_id == users[deleted_there.email]["id"] != accounts[deleted_there.pk]
    assert users[leaver.email]["active"] is False


def test_a_down_endpoint_stops_the_run_with_a_reason(provision_to, crew, expenses):
    provision_to(unused_url())
    with pytest.raises(CommandError, match="could not be fixed"):
        _run("--application", str(expenses.pk))
    [report] = reconcile(expenses.pk)
    assert report.stopped


def test_the_command_refuses_an_unknown_application_or_one_not_provisioned(expenses):
    with pytest.raises(CommandError, match="No application with id 999999"):
        _run("--application", "999999")
    with pytest.raises(CommandError, match="Provisioning is off"):
        _run("--application", str(expenses.pk))
