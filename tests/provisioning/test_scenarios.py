"""The seed's scenarios with provisioning on: each application's SCIM server (a real
scim2-server apiece) holds exactly the people with access, step after step."""

from contextlib import ExitStack

import pytest

from applications import actions as app_actions
from applications.models import Access
from groups import actions
from groups.models import JoinRequest, MembershipPolicy
from provisioning.actions import configure_provisioning
from provisioning.models import ProvisioningAttempt
from provisioning.reconcile import reconcile
from tests.factories import UserFactory
from tests.provisioning.conftest import deliver
from tests.scim_target import TOKEN, scim_server

pytestmark = pytest.mark.django_db


def _holds_exactly_who_has_access(servers: dict) -> None:
    for application, server in servers.items():
        with_access = Access.objects.filter(application=application, blocked=False)
        assert server.active() == set(with_access.values_list("user__email", flat=True)), (
            application.name
        )


def test_self_service_provisions_both_sites_then_travel_through_a_site(tenant, tenant_admin):
    anna, ben, cleo = (
        UserFactory(tenant=tenant, email=f"{name}@contoso.test", display_name=name.title())
        for name in ("anna", "ben", "cleo")
    )
    marketing = app_actions.create_application(
        actor=tenant_admin, name="Marketing", kind="site", owners=[anna]
    )
    sales = app_actions.create_application(
        actor=tenant_admin, name="Sales", kind="site", owners=[ben]
    )
    travel = app_actions.create_application(actor=tenant_admin, name="Travel", kind="saas_app")
    with ExitStack() as stack:
        servers = {app: stack.enter_context(scim_server()) for app in (marketing, sales, travel)}
        for application, server in servers.items():
            configure_provisioning(
                application, actor=tenant_admin, scim_url=server.url, token=TOKEN, enabled=True
            )

        # Anna creates an owner-approval group; both site owners give it their site.
        visitors = actions.create_group(
            actor=anna,
            display_name="Site visitors",
            group_type="security",
            source="access_panel",
            membership_policy=MembershipPolicy.OWNER_APPROVAL,
        )
        app_actions.assign(marketing, actor=anna, group=visitors)
        app_actions.assign(sales, actor=ben, group=visitors)

        # Cleo asks with a justification; Anna approves: Cleo is in both sites.
        actions.request_to_join(visitors, actor=cleo, justification="Campaign launch")
        deliver()
        assert all(server.active() == set() for server in servers.values())  # not yet
        actions.approve_request(JoinRequest.objects.get(requester=cleo), actor=anna)
        deliver()
        assert servers[marketing].active() == servers[sales].active() == {cleo.email}
        _holds_exactly_who_has_access(servers)

        # Travel's admin grants Travel to the Marketing site: its people get Travel too.
        app_actions.assign(travel, actor=tenant_admin, granting_application=marketing)
        deliver()
        assert servers[travel].active() == {cleo.email}
        _holds_exactly_who_has_access(servers)

        # Cleo leaves the group: deactivated everywhere, deleted nowhere.
        actions.leave_group(visitors, actor=cleo)
        deliver()
        _holds_exactly_who_has_access(servers)
        assert all(len(server.users()) == 1 for server in servers.values())


def test_delegated_group_management_keeps_the_application_in_step(
    tenant, tenant_admin, owner, scim_target, provision_to, expenses
):
    """Scenario 1: direct access moved into the owner's group (nobody's account flickers),
    the owner adds people with no admin step, the admin blocks one."""
    alex, bianca, carlos = (
        UserFactory(tenant=tenant, email=f"{name}@contoso.test") for name in ("alex", "bia", "cy")
    )
    for person in (alex, bianca):
        app_actions.assign(expenses, actor=tenant_admin, user=person)
    provision_to(scim_target.url)
    reconcile(expenses.pk)  # the worker's job on switch-on
    servers = {expenses: scim_target}
    _holds_exactly_who_has_access(servers)
    ids_before = {user["userName"]: user["id"] for user in scim_target.users()}

    users = actions.create_group(
        actor=tenant_admin,
        display_name="Expenses users",
        group_type="security",
        source="admin_center",
        owners=[owner],
    )
    app_actions.move_direct_access(expenses, actor=tenant_admin, group=users, remove_direct=True)
    actions.add_members(users, actor=owner, people=[carlos])
    deliver()
    _holds_exactly_who_has_access(servers)
    assert {u["userName"]: u["id"] for u in scim_target.users()}.items() >= ids_before.items()
    assert not ProvisioningAttempt.objects.filter(operation="deactivate").exists()

    app_actions.block(expenses, actor=tenant_admin, person=bianca, reason="Left the team")
    deliver()
    _holds_exactly_who_has_access(servers)
    assert scim_target.active() == {alex.email, carlos.email}
