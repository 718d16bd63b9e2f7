"""Both scenarios of docs/domain.md, end to end in a real browser, through applications and sites.

Set-up that a scenario takes as given (the business owner's group, the people who already use
the application) is made through actions; every step the scenario is about goes through the UI.
"""

import re

import pytest
from playwright.sync_api import expect

from applications import actions as app_actions
from applications.models import Access
from groups import actions
from groups.models import MembershipPolicy
from tests.factories import GroupFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _has(person, application) -> bool:
    return Access.objects.filter(user=person, application=application, blocked=False).exists()


def test_scenario_1_delegated_group_management(
    live_server, page, tenant, tenant_admin, sign_in, screenshot, csp_errors
):
    olivia = UserFactory(tenant=tenant, display_name="Olivia Owner", email="olivia@contoso.test")
    manny = UserFactory(tenant=tenant, display_name="Manny Manager", email="manny@contoso.test")
    alex, bianca, carlos = (
        UserFactory(tenant=tenant, display_name=n, email=f"{n.split()[0].lower()}@contoso.test")
        for n in ("Alex Wilber", "Bianca Pisani", "Carlos Slattery")
    )
    expenses = app_actions.create_application(actor=tenant_admin, name="Expenses", kind="saas_app")
    for person in (alex, bianca):  # people already accessing the application
        app_actions.assign(expenses, actor=tenant_admin, user=person)
    users = GroupFactory(
        created_by=tenant_admin,
        display_name="Expenses users",
        source="admin_center",
        membership_policy=MembershipPolicy.CLOSED,
    )
    actions.add_owner(users, actor=tenant_admin, person=olivia)
    travel = GroupFactory(created_by=manny, display_name="Travel bookers")
    actions.add_members(travel, actor=manny, people=[carlos])

    # The admin assigns "Expenses" to the group and moves everyone with direct access into it.
    sign_in(page, tenant_admin)
    page.goto(f"{live_server.url}/admin-center/applications/")
    page.get_by_role("link", name="Expenses").click()
    assignments = page.get_by_role("region", name=re.compile(r"^Access given to"))
    assignments.get_by_label("Group name").fill("Expenses users")
    assignments.get_by_role("button", name="Give access").click()
    expect(
        page.get_by_role("status").filter(has_text="Expenses users now has access.")
    ).to_be_visible()
    move = page.get_by_role("region", name="Move direct access into a group")
    move.get_by_label("Group name").fill("Expenses users")
    move.get_by_label(re.compile("Then remove their direct assignments")).check()
    move.get_by_role("button", name="Preview").click()
    preview = page.get_by_role("region", name="Preview of the move")
    expect(preview).to_contain_text("2 will be added to the group")
    screenshot(page, "scenario-1-move-preview")
    preview.get_by_role("button", name=re.compile(r"^Move 2 into the group")).click()
    expect(page.get_by_role("status").filter(has_text="Moved direct access")).to_be_visible()
    who = page.get_by_role("region", name=re.compile(r"^Who has access"))
    for name in ("Alex Wilber", "Bianca Pisani"):
        expect(who.get_by_role("row").filter(has_text=name)).to_contain_text(
            "group “Expenses users”"
        )
    assert users.memberships.count() == 2

    # The business owner adds one more person, who gets access with no admin step.
    page.context.clear_cookies()
    sign_in(page, olivia)
    page.goto(f"{live_server.url}/groups/{users.pk}/members/add/")
    page.get_by_label("Paste email addresses").fill(carlos.email)
    page.get_by_role("button", name="Preview").click()
    page.get_by_role("button", name="Add 1 member").click()
    expect(page.get_by_role("status").filter(has_text="Added 1 member.")).to_be_visible()
    assert _has(carlos, expenses)

    # The second owner sees neither the first group's members nor its requests.
    page.context.clear_cookies()
    sign_in(page, manny)
    page.goto(f"{live_server.url}/groups/{users.pk}/")
    members = page.get_by_role("region", name=re.compile(r"^Members"))
    expect(members).to_contain_text("Only the group's owners, its members and global admins")
    expect(members).not_to_contain_text("Alex Wilber")
    expect(page.get_by_role("region", name=re.compile(r"^Requests to join"))).to_have_count(0)

    # The admin sees everyone with access and blocks one person.
    page.context.clear_cookies()
    sign_in(page, tenant_admin)
    page.goto(f"{live_server.url}/admin-center/applications/{expenses.pk}/")
    who = page.get_by_role("region", name=re.compile(r"^Who has access"))
    expect(who.get_by_role("row")).to_have_count(4)  # header + Alex, Bianca, Carlos
    blocks = page.get_by_role("region", name=re.compile(r"^Block access"))
    blocks.get_by_label("Person's email").fill(bianca.email)
    blocks.get_by_label("Reason").fill("Moved to another team")
    blocks.get_by_role("button", name="Block access").click()
    row = page.get_by_role("region", name=re.compile(r"^Who has access")).get_by_role("row")
    expect(row.filter(has_text="Bianca Pisani")).to_contain_text("Blocked")
    expect(row.filter(has_text="Bianca Pisani")).to_contain_text("Moved to another team")
    assert not _has(bianca, expenses) and _has(alex, expenses)
    screenshot(page, "scenario-1-blocked")
    assert csp_errors == []


def test_scenario_2_self_service_sites_and_travel(
    live_server, page, tenant, tenant_admin, sign_in, screenshot, csp_errors
):
    sam = UserFactory(tenant=tenant, display_name="Sam Sites", email="sam@contoso.test")
    tara = UserFactory(tenant=tenant, display_name="Tara Teams", email="tara@contoso.test")
    rita = UserFactory(tenant=tenant, display_name="Rita Requester", email="rita@contoso.test")
    tom = UserFactory(tenant=tenant, display_name="Tom Travel", email="tom@contoso.test")
    sams_site, taras_site = (
        app_actions.create_application(actor=tenant_admin, name=name, kind="site", owners=[who])
        for name, who in (("Sam's site", sam), ("Tara's site", tara))
    )
    travel = app_actions.create_application(
        actor=tenant_admin, name="Travel", kind="saas_app", owners=[tom]
    )
    shared = GroupFactory(
        created_by=sam,
        display_name="Site collaborators",
        membership_policy=MembershipPolicy.OWNER_APPROVAL,
    )
    actions.add_owner(shared, actor=sam, person=tara)

    # Each site owner selects the group on their site's page.
    for owner, site in ((sam, sams_site), (tara, taras_site)):
        page.context.clear_cookies()
        sign_in(page, owner)
        page.get_by_role("link", name=site.name).click()  # My apps: applications you own
        page.get_by_label("Group name").fill("Site collaborators")
        page.get_by_role("button", name="Give access").click()
        expect(page.get_by_role("status")).to_contain_text("Site collaborators now has access.")

    # Rita asks to join from the panel; Sam approves; Rita has both sites.
    page.context.clear_cookies()
    sign_in(page, rita)
    page.goto(f"{live_server.url}/groups/{shared.pk}/")
    page.get_by_label("Business justification").fill("I coordinate the launch with both teams.")
    page.get_by_role("button", name="Request to join").click()
    expect(page.get_by_role("status").filter(has_text="Request sent.")).to_be_visible()
    page.context.clear_cookies()
    sign_in(page, sam)
    page.goto(f"{live_server.url}/approvals/")
    page.get_by_role("row").filter(has_text="Rita Requester").get_by_role(
        "button", name="Approve"
    ).click()
    expect(page.get_by_role("row").filter(has_text="Rita Requester")).to_contain_text("Approved")
    assert _has(rita, sams_site) and _has(rita, taras_site)

    # Travel's owner gives Travel to everyone with access to Sam's site.
    page.context.clear_cookies()
    sign_in(page, tom)
    page.get_by_role("link", name="Travel").click()
    page.get_by_role("radio", name="Application").check()
    page.get_by_label("Everyone with access to").select_option(label="Sam's site")
    page.get_by_role("button", name="Give access").click()
    expect(page.get_by_role("status")).to_contain_text("Sam's site now has access.")

    page.context.clear_cookies()
    sign_in(page, rita)
    apps = page.get_by_role("region", name=re.compile(r"^My apps"))
    for name in ("Sam's site", "Tara's site", "Travel"):
        expect(apps).to_contain_text(name)
    expect(apps).to_contain_text("Through site “Sam's site” → group “Site collaborators”")
    assert _has(rita, travel)
    screenshot(page, "scenario-2-my-apps")
    assert csp_errors == []
