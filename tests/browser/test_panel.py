"""End-to-end flows of the Access Panel in a real browser (docs/visibility.md, docs/domain.md).

Every flow goes through the UI the way a person would: the sign-in form, the navigation links,
the HTMX search and the in-place row swaps. Direct-URL refusals go through `page.request`, which
shares the signed-in browser context's cookies.
"""

import html
import re

import pytest
from playwright.sync_api import expect

from groups import actions
from groups.models import GroupType, JoinRequest, MembershipPolicy
from tests.conftest import set_settings
from tests.factories import GroupFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _csp_listener(page) -> list[str]:
    """The `csp_errors` fixture, for pages of extra browser contexts."""
    errors: list[str] = []
    page.on(
        "console",
        lambda message: (
            errors.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return errors


def _post(page, live_server, path: str, data: dict | None = None):
    """POST from the signed-in context the way the site's own forms do (CSRF token + origin)."""
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    return page.request.post(
        f"{live_server.url}{path}",
        form=data or {},
        headers={
            "X-CSRFToken": token,
            "Referer": f"{live_server.url}/",
            "Origin": live_server.url,
        },
        max_redirects=0,
    )


# --- Seed scenario 2: self-service ------------------------------------------------------------


def test_self_service_request_and_owner_approval(
    live_server, page, new_context, owner, requester, open_group, sign_in, screenshot, csp_errors
):
    # User A creates an owner-approval group in the panel.
    sign_in(page, owner)
    page.goto(f"{live_server.url}/groups/new/")
    expect(page.get_by_role("heading", name="Create group", level=1)).to_be_visible()
    page.get_by_label("Name").fill("Marketing site editors")
    page.get_by_label("Description").fill("Edit the marketing and events sites.")
    page.get_by_label("Group type").select_option(label="Security")
    page.get_by_role("radio", name=re.compile(r"^Owner approval")).check()
    page.get_by_role("button", name="Create group").click()
    expect(page.get_by_role("heading", name="Marketing site editors", level=1)).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="You're its owner")).to_be_visible()
    group_url = page.url
    assert re.search(r"/groups/\d+/$", group_url)

    # User B, in their own browser, finds it with the live search and asks to join.
    requester_page = new_context().new_page()
    requester_csp = _csp_listener(requester_page)
    sign_in(requester_page, requester)
    requester_page.get_by_role("link", name="Discover groups").click()
    results = requester_page.locator("#results")
    expect(results.get_by_role("link", name="Lunch club")).to_be_visible()
    requester_page.get_by_role("searchbox", name="Search groups").press_sequentially(
        "marketing", delay=20
    )
    expect(requester_page).to_have_url(re.compile(r"/groups/\?q=marketing"))  # hx-push-url
    expect(results.get_by_role("link", name="Lunch club")).to_have_count(0)
    expect(results.get_by_role("button", name="Request to join")).to_have_count(0)  # it's a link
    expect(results.get_by_role("link", name="Request to join")).to_be_visible()
    results.get_by_role("link", name="Marketing site editors").click()
    expect(requester_page).to_have_url(group_url)
    requester_page.get_by_label("Business justification").fill("I publish the events calendar.")
    requester_page.get_by_role("button", name="Request to join").click()
    expect(requester_page.get_by_role("status").filter(has_text="Request sent")).to_be_visible()
    expect(requester_page.get_by_text("Request pending")).to_be_visible()
    expect(requester_page.get_by_role("button", name="Cancel request")).to_be_visible()

    # User A approves it on Approvals; HTMX swaps the row in place.
    page.get_by_role("link", name=re.compile(r"^Approvals")).click()
    expect(page.get_by_role("heading", name="Approvals", level=1)).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Rita Requester")
    expect(row).to_contain_text("I publish the events calendar.")
    url_before = page.url
    row.get_by_role("button", name="Approve").click()
    expect(row.get_by_text("Approved", exact=True)).to_be_visible()
    expect(row).to_contain_text("by Olivia Owner")
    expect(row.get_by_role("button", name="Approve")).to_have_count(0)
    assert page.url == url_before  # swapped in place, no navigation
    screenshot(page, "flow-approvals-after-approve")

    # User B is now in the group.
    requester_page.get_by_role("link", name="My groups").click()
    joined = requester_page.get_by_role("region", name=re.compile(r"^Groups I'm in"))
    expect(joined.get_by_role("link", name="Marketing site editors")).to_be_visible()
    pending = requester_page.get_by_role("region", name=re.compile(r"^My pending requests"))
    expect(pending.get_by_text("No pending requests.")).to_be_visible()
    screenshot(requester_page, "flow-my-groups-after-approval")

    assert csp_errors == []
    assert requester_csp == []


# --- What each kind of group offers --------------------------------------------------------


def test_open_group_join_is_immediate(live_server, page, outsider, open_group, sign_in, csp_errors):
    sign_in(page, outsider)
    page.goto(f"{live_server.url}/groups/{open_group.pk}/")
    access = page.get_by_role("region", name="Your access")
    expect(access.get_by_text("Not a member")).to_be_visible()
    access.get_by_role("button", name="Join group").click()
    expect(page.get_by_role("status").filter(has_text="You joined “Lunch club”.")).to_be_visible()
    expect(access.get_by_text("Member", exact=True)).to_be_visible()
    expect(access.get_by_role("button", name="Leave group")).to_be_visible()
    expect(access.get_by_role("button", name="Join group")).to_have_count(0)
    assert open_group.memberships.filter(user=outsider).exists()
    assert csp_errors == []


def test_join_from_discover_list(live_server, page, outsider, open_group, sign_in, csp_errors):
    sign_in(page, outsider)
    page.goto(f"{live_server.url}/groups/")
    row = page.get_by_role("row").filter(has_text="Lunch club")
    row.get_by_role("button", name="Join group").click()
    expect(page.get_by_role("status").filter(has_text="You joined")).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/groups/")  # back where the button was
    expect(page.get_by_role("row").filter(has_text="Lunch club")).to_contain_text("Member")
    assert csp_errors == []


def test_leave_group_asks_first(live_server, page, member, group, sign_in, csp_errors):
    sign_in(page, member)
    page.goto(f"{live_server.url}/groups/{group.pk}/")
    leave = page.get_by_role("button", name="Leave group")
    leave.click()  # Playwright dismisses the confirm(): nothing happens
    expect(page.get_by_role("region", name="Your access")).to_contain_text("Member")
    assert group.memberships.filter(user=member).exists()
    page.once("dialog", lambda dialog: dialog.accept())
    leave.click()
    expect(page.get_by_role("status").filter(has_text="You left")).to_be_visible()
    assert not group.memberships.filter(user=member).exists()
    assert csp_errors == []


def test_removing_and_renewing_a_member_from_the_table(
    live_server, page, owner, member, group, sign_in, csp_errors
):
    """The member table's rows share one form per action: each button names its person, and
    Remove asks first, naming them."""
    from datetime import timedelta

    from django.utils import timezone

    other = UserFactory(tenant=owner.tenant, display_name="Olga Other")
    actions.add_members(group, actor=owner, people=[other])
    ends = timezone.now() + timedelta(days=3)
    group.memberships.filter(user=member).update(ends_at=ends, term_days=30)
    sign_in(page, owner)
    page.goto(f"{live_server.url}/groups/{group.pk}/")
    members = page.locator("#members")
    row = members.get_by_role("row").filter(has_text=member.display_name)
    row.get_by_role("button", name="Renew").click()
    expect(page.get_by_role("status").filter(has_text="membership now ends on")).to_be_visible()
    assert group.memberships.get(user=member).ends_at > ends
    messages = []
    page.once("dialog", lambda dialog: (messages.append(dialog.message), dialog.dismiss()))
    row = members.get_by_role("row").filter(has_text=member.display_name)
    row.get_by_role("button", name="Remove member").click()
    expect(row).to_be_visible()
    assert messages == [f"Remove {member.display_name} from “{group.display_name}”?"]
    assert group.memberships.filter(user=member).exists()
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Remove member").click()
    expect(page.get_by_role("status").filter(has_text="removed from the group")).to_be_visible()
    assert not group.memberships.filter(user=member).exists()
    assert group.memberships.filter(user=other).exists()  # only the row's person
    assert csp_errors == []


def test_closed_group_is_not_available_to_join(
    live_server, page, outsider, closed_group, sign_in, csp_errors
):
    sign_in(page, outsider)
    page.goto(f"{live_server.url}/groups/{closed_group.pk}/")
    access = page.get_by_role("region", name="Your access")
    expect(access.get_by_text("Not available to join")).to_be_visible()
    expect(access.get_by_role("button")).to_have_count(0)
    page.goto(f"{live_server.url}/groups/")
    row = page.get_by_role("row").filter(has_text="Finance")
    expect(row.get_by_text("Not available to join")).to_be_visible()
    expect(row.get_by_role("button")).to_have_count(0)
    assert csp_errors == []


def test_mail_enabled_security_group_is_not_self_service(
    live_server, page, tenant_admin, outsider, sign_in, csp_errors
):
    mail_group = actions.create_group(
        actor=tenant_admin,
        group_type="mail_enabled_security",
        source="admin_center",
        display_name="All staff announcements",
        membership_policy="open",
    )
    sign_in(page, outsider)
    page.goto(f"{live_server.url}/groups/{mail_group.pk}/")
    access = page.get_by_role("region", name="Your access")
    expect(access.get_by_text("Self-service isn't available for this group type")).to_be_visible()
    expect(page.get_by_role("button", name="Join group")).to_have_count(0)
    expect(page.get_by_role("button", name="Request to join")).to_have_count(0)
    page.goto(f"{live_server.url}/groups/")
    row = page.get_by_role("row").filter(has_text="All staff announcements")
    expect(row.get_by_text("Self-service isn't available for this group type")).to_be_visible()
    expect(row.get_by_role("button")).to_have_count(0)
    # The direct POST is refused too (403 with the reason, never a partial page).
    response = _post(page, live_server, f"/groups/{mail_group.pk}/join/", {"next": "/groups/"})
    assert response.status == 403
    assert "Self-service isn't available for this group type" in html.unescape(response.text())
    assert not mail_group.memberships.filter(user=outsider).exists()
    assert csp_errors == []


def test_unlicensed_user_sees_the_premium_license_reason(
    live_server, page, unlicensed_user, open_group, group, sign_in, csp_errors
):
    sign_in(page, unlicensed_user)
    for target in (open_group, group):
        page.goto(f"{live_server.url}/groups/{target.pk}/")
        access = page.get_by_role("region", name="Your access")
        expect(access).to_contain_text("needs a Premium license")
        expect(access.get_by_role("button")).to_have_count(0)
    page.goto(f"{live_server.url}/groups/")
    row = page.get_by_role("row").filter(has_text="Lunch club")
    expect(row).to_contain_text("needs a Premium license")
    assert csp_errors == []


def test_restricted_tenant_hides_groups_from_non_admins(
    live_server, page, tenant, member, tenant_admin, sign_in, csp_errors
):
    set_settings(tenant, restrict_access_to_groups=True)
    sign_in(page, member)
    expect(page.get_by_role("heading", name="My groups", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Discover groups")).to_have_count(0)
    expect(page.get_by_role("link", name="Create group")).to_have_count(0)
    expect(page.get_by_text("Groups aren't available to you here")).to_be_visible()
    for path in ("/groups/", "/groups/new/", "/approvals/"):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 403, path
        expect(page.get_by_role("heading", name="You can't do this")).to_be_visible()
    response = page.request.get(f"{live_server.url}/groups/?q=x", headers={"HX-Request": "true"})
    assert response.status == 403

    # Global admins are never limited by the settings.
    page.context.clear_cookies()
    sign_in(page, tenant_admin)
    expect(page.get_by_role("link", name="Discover groups")).to_be_visible()
    assert page.goto(f"{live_server.url}/groups/").status == 200
    assert csp_errors == []


# --- Seed scenario 1: owners see only their own groups' people --------------------------------


def test_owner_of_another_group_sees_neither_members_nor_requests(
    live_server, page, outsider, group, sign_in, screenshot, csp_errors
):
    GroupFactory(
        created_by=outsider,
        display_name="Travel users",
        membership_policy=MembershipPolicy.OWNER_APPROVAL,
    )
    pending = JoinRequest.objects.get(group=group, status=JoinRequest.Status.PENDING)
    sign_in(page, outsider)

    response = page.goto(f"{live_server.url}/groups/{group.pk}/")
    assert response.status == 200  # the directory entry is public within the tenant
    expect(page.get_by_role("heading", name="Site collaborators", level=1)).to_be_visible()
    members = page.get_by_role("region", name=re.compile(r"^Members"))
    expect(members.get_by_role("table")).to_have_count(0)
    expect(members.get_by_role("searchbox")).to_have_count(0)
    expect(page.get_by_role("region", name=re.compile(r"^Requests to join"))).to_have_count(0)
    expect(page.get_by_role("region", name="Owner tools")).to_have_count(0)
    expect(page.get_by_text("Mia Member")).to_have_count(0)
    expect(page.get_by_text("Rita Requester")).to_have_count(0)
    expect(page.get_by_text("Launch work")).to_have_count(0)
    screenshot(page, "isolation-other-group")

    # Their Approvals page lists only their own groups' requests.
    page.get_by_role("link", name=re.compile(r"^Approvals")).click()
    expect(page.get_by_text("No requests are waiting for you")).to_be_visible()
    expect(page.get_by_text("Rita Requester")).to_have_count(0)

    # Direct URLs refuse.
    members_url = f"{live_server.url}/groups/{group.pk}/members/"
    response = page.request.get(members_url, headers={"HX-Request": "true"})
    assert response.status == 403
    assert "Mia Member" not in response.text()
    response = page.request.get(f"{live_server.url}/groups/{group.pk}/members.csv")
    assert response.status == 403
    for path in (f"/groups/{group.pk}/edit/", f"/groups/{group.pk}/members/add/"):
        assert page.goto(f"{live_server.url}{path}").status == 403, path

    for decision in ("approve", "deny"):
        response = _post(page, live_server, f"/requests/{pending.pk}/{decision}/")
        assert response.status == 404, decision
    response = _post(page, live_server, "/approvals/approve-selected/", {"request": pending.pk})
    assert response.status == 302
    pending.refresh_from_db()
    assert pending.status == JoinRequest.Status.PENDING
    assert not group.memberships.filter(user__email="rita@contoso.test").exists()

    # Django's CSRF check is what the header satisfies: without it the POST is refused.
    response = page.request.post(
        f"{live_server.url}/requests/{pending.pk}/approve/", max_redirects=0
    )
    assert response.status == 403
    assert csp_errors == []


def test_other_tenants_group_is_not_found(
    live_server, page, other_tenant_user, owner, group, sign_in, csp_errors
):
    sign_in(page, other_tenant_user)
    assert page.goto(f"{live_server.url}/groups/{group.pk}/").status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    page.goto(f"{live_server.url}/groups/")
    expect(page.get_by_text("Site collaborators")).to_have_count(0)
    assert csp_errors == []


# --- Bulk tools ----------------------------------------------------------------------------


def test_bulk_add_fifty_pasted_emails(
    live_server, page, tenant, owner, sign_in, screenshot, csp_errors
):
    target = GroupFactory(
        created_by=owner, display_name="Expenses users", group_type=GroupType.SECURITY
    )
    people = [
        UserFactory(
            tenant=tenant,
            email=f"staff{n:02d}@contoso.test",
            display_name=f"Staff {n:02d}",
            has_premium_license=False,
        )
        for n in range(47)
    ]
    unknown = ["nobody@contoso.test", "ghost@elsewhere.test", "not-an-email"]
    # Mixed case and separators, the way a pasted spreadsheet column arrives.
    pasted = "\n".join(p.email.upper() if i % 5 == 0 else p.email for i, p in enumerate(people))
    pasted = f"{pasted}\n{unknown[0]}; {unknown[1]}, {unknown[2]}"

    sign_in(page, owner)
    page.goto(f"{live_server.url}/groups/{target.pk}/")
    page.get_by_role("link", name="Add members").click()
    expect(page.get_by_role("heading", name="Add members", level=1)).to_be_visible()
    page.get_by_label("Paste email addresses").fill(pasted)
    page.get_by_role("button", name="Preview").click()

    preview = page.get_by_role("region", name="Preview")
    expect(preview).to_contain_text(
        "47 to add · 0 already in · 2 unknown · 1 not email addresses · 0 refused"
    )
    expect(preview.get_by_role("heading", name="Unknown (2)")).to_be_visible()
    for entry in unknown[:2]:
        expect(preview.get_by_role("listitem").filter(has_text=entry)).to_contain_text(
            "Not found in your organisation"
        )
    expect(preview.get_by_role("listitem").filter(has_text=unknown[2])).to_contain_text(
        "Not an email address"
    )
    expect(preview.get_by_role("table").get_by_role("row")).to_have_count(48)  # header + 47
    assert not target.memberships.exists()  # nothing changes before the confirmation
    screenshot(page, "flow-add-members-preview")

    preview.get_by_role("button", name="Add 47 members").click()
    expect(page.get_by_role("status").filter(has_text="Added 47 members.")).to_be_visible()
    expect(page.get_by_role("heading", name="Expenses users", level=1)).to_be_visible()
    expect(page.get_by_role("region", name=re.compile(r"^Members"))).to_contain_text("Staff 00")
    assert target.memberships.count() == 47
    assert csp_errors == []


def test_approve_selected_decides_every_ticked_request(
    live_server, page, tenant, owner, sign_in, screenshot, csp_errors
):
    target = GroupFactory(
        created_by=owner,
        display_name="Launch team",
        membership_policy=MembershipPolicy.OWNER_APPROVAL,
    )
    for n in range(10):
        person = UserFactory(tenant=tenant, display_name=f"Applicant {n}")
        actions.request_to_join(target, actor=person, justification="x")

    sign_in(page, owner)
    page.get_by_role("link", name=re.compile(r"^Approvals")).click()
    pending = page.get_by_role("region", name=re.compile(r"^Waiting for a decision"))
    expect(pending.get_by_role("checkbox", name=re.compile(r"^Select the request"))).to_have_count(
        10
    )
    pending.get_by_role("checkbox", name="Select all").check()
    for box in pending.get_by_role("checkbox", name=re.compile(r"^Select the request")).all():
        expect(box).to_be_checked()
    page.on("dialog", lambda dialog: dialog.accept())
    pending.get_by_role("button", name="Approve selected").click()
    expect(page.get_by_role("status").filter(has_text="Approved 10 requests.")).to_be_visible()
    expect(pending.get_by_text("No requests are waiting for you")).to_be_visible()
    recent = page.get_by_role("region", name="Recently decided")
    expect(recent.get_by_text("Approved", exact=True)).to_have_count(10)
    assert target.memberships.count() == 10
    screenshot(page, "flow-approve-selected")
    assert csp_errors == []


def test_approve_selected_without_a_selection_says_so(
    live_server, page, owner, group, sign_in, csp_errors
):
    sign_in(page, owner)
    page.goto(f"{live_server.url}/approvals/")
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Approve selected").click()
    expect(page.get_by_role("alert")).to_contain_text("Select at least one request")
    assert JoinRequest.objects.filter(group=group, status="pending").count() == 1
    assert csp_errors == []


def test_deny_with_reason_in_place(live_server, page, owner, requester, group, sign_in, csp_errors):
    sign_in(page, owner)
    page.goto(f"{live_server.url}/approvals/")
    expect(page.locator("#pending-count")).to_have_text("1")
    expect(page.locator("#nav-pending-count")).to_have_text("1")
    row = page.get_by_role("row").filter(has_text="Rita Requester")
    row.get_by_label("Reason (optional)").fill("Project has ended")
    row.get_by_role("button", name="Deny").click()
    expect(row.get_by_text("Denied", exact=True)).to_be_visible()
    expect(row).to_contain_text("“Project has ended”")
    # The counts follow the decision without a reload (out-of-band swaps).
    expect(page.locator("#pending-count")).to_have_text("0")
    expect(page.locator("#nav-pending-count")).to_have_text("")
    assert not group.memberships.filter(user=requester).exists()
    assert csp_errors == []


def test_an_htmx_refusal_is_shown_in_the_messages_area(
    live_server, page, owner, member, group, tenant_admin, sign_in, csp_errors
):
    """A 403 answered to an HTMX request is swapped into the page, not silently dropped."""
    sign_in(page, member)
    page.goto(f"{live_server.url}/groups/{group.pk}/")
    expect(page.get_by_role("region", name=re.compile(r"^Members"))).to_contain_text("Mia Member")
    actions.remove_member(group, actor=tenant_admin, person=member)  # meanwhile, elsewhere
    page.get_by_role("searchbox", name="Search members").fill("mia")
    expect(page.locator("#messages").get_by_role("alert")).to_contain_text(
        "Only the group's owners, its members and global admins can see its members."
    )
    assert csp_errors == []
