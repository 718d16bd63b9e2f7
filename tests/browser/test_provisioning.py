"""Provisioning in a real browser against a real SCIM server: a global admin points Expenses
at the application's SCIM endpoint, tests the connection, and from then on the application
holds exactly the people with access (docs/provisioning.md)."""

import re

import pytest
from playwright.sync_api import expect

from applications import actions as app_actions
from applications.models import Access
from groups import actions
from provisioning.reconcile import reconcile
from tests.factories import GroupFactory, UserFactory
from tests.provisioning.conftest import deliver
from tests.scim_target import TOKEN, scim_server

pytestmark = pytest.mark.django_db(transaction=True)


def _with_access(application) -> set[str]:
    rows = Access.objects.filter(application=application, blocked=False)
    return set(rows.values_list("user__email", flat=True))


def test_an_admin_switches_provisioning_on_and_the_application_follows_access(
    live_server, page, tenant, tenant_admin, owner, sign_in, screenshot, csp_errors, settings
):
    settings.PROVISIONING_ALLOW_PRIVATE_ADDRESSES = True  # the SCIM server is on 127.0.0.1
    alex, bianca, carlos = (
        UserFactory(tenant=tenant, display_name=n, email=f"{n.split()[0].lower()}@contoso.test")
        for n in ("Alex Wilber", "Bianca Pisani", "Carlos Slattery")
    )
    expenses = app_actions.create_application(actor=tenant_admin, name="Expenses", kind="saas_app")
    for person in (alex, bianca):  # access from before provisioning
        app_actions.assign(expenses, actor=tenant_admin, user=person)
    users = GroupFactory(created_by=owner, display_name="Expenses users")
    app_actions.assign(expenses, actor=tenant_admin, group=users)

    with scim_server() as target:
        sign_in(page, tenant_admin)
        page.goto(f"{live_server.url}/admin-center/applications/{expenses.pk}/")
        page.get_by_role("link", name="Set up provisioning").click()
        page.get_by_label("SCIM base URL").fill(target.url)
        page.get_by_label("Bearer token").fill(TOKEN)
        page.get_by_label("Provision people with access to this application").check()
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("status")).to_contain_text("Provisioning switched on")
        expect(page.get_by_label("Bearer token")).to_have_value("")  # never shown again
        page.get_by_role("button", name="Test connection").click()
        expect(page.get_by_role("status")).to_contain_text("Connected")

        reconcile(expenses.pk)  # the worker's job on switch-on: access from before
        assert target.active() == {alex.email, bianca.email}

        actions.add_members(users, actor=owner, people=[carlos])  # the owner, no admin step
        deliver()
        assert target.active() == {alex.email, bianca.email, carlos.email}

        page.goto(f"{live_server.url}/admin-center/applications/{expenses.pk}/")
        blocks = page.get_by_role("region", name=re.compile(r"^Block access"))
        blocks.get_by_label("Person's email").fill(bianca.email)
        blocks.get_by_label("Reason").fill("Moved to another team")
        blocks.get_by_role("button", name="Block access").click()
        expect(page.get_by_role("status").first).to_be_visible()
        deliver()
        assert target.active() == _with_access(expenses) == {alex.email, carlos.email}
        assert bianca.email in target.by_user_name()  # deactivated, not deleted

        page.reload()
        provisioning = page.get_by_role("region", name="Provisioning")
        expect(provisioning).to_contain_text("2 active accounts · 1 deactivated")
        provisioning.get_by_role("link", name="Provisioning settings and log").click()
        page.get_by_role("link", name="The whole log").click()
        rows = page.get_by_role("table")
        expect(rows).to_contain_text("Deactivate")
        expect(rows).to_contain_text("Bianca Pisani")
        screenshot(page, "provisioning-log-after-a-block")
    assert not csp_errors
