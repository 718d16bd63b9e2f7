"""axe-core on every page of the panel, on a desktop and a phone-sized viewport.

Each page must have no serious or critical violation, the phone layout must not scroll
sideways, and every page is saved as a screenshot (artifacts/screenshots/<page>-<width>.png).
"""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from groups import actions
from groups.models import MembershipPolicy
from tests.factories import GroupFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

VIEWPORTS = {1280: 800, 390: 844}
BLOCKING = ("serious", "critical")
_axe = Axe()


@pytest.fixture(params=sorted(VIEWPORTS, reverse=True), ids=lambda w: f"w{w}")
def width(request, page):
    page.set_viewport_size({"width": request.param, "height": VIEWPORTS[request.param]})
    return request.param


@pytest.fixture
def audit(width, screenshot, csp_errors):
    """audit(page, "name"): screenshot, axe, and (on the phone) no sideways scroll."""

    def check(page, name: str) -> None:
        page.wait_for_load_state("networkidle")
        screenshot(page, f"{name}-{width}")
        violations = _axe.run(page).response["violations"]
        blocking = [v for v in violations if v["impact"] in BLOCKING]
        assert not blocking, f"{name} at {width}px:\n" + "\n".join(_describe(v) for v in blocking)
        if width < 576:
            fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
            assert fits, f"{name} scrolls sideways at {width}px: " + page.evaluate(
                "`scrollWidth ${document.documentElement.scrollWidth} > ${window.innerWidth}`"
            )
        low = _navbar_contrast_failures(page)
        assert not low, f"{name} at {width}px: navbar text below 4.5:1 on the gradient: {low}"
        assert csp_errors == [], f"{name}: {csp_errors}"

    return check


# axe reports text on a gradient as "incomplete" (it can't measure it), so the navbar's text is
# checked here against both ends of its gradient.
_NAVBAR_TEXT = """() => {
  const bar = document.querySelector('.app-navbar');
  if (!bar) return null;
  const texts = [];
  for (const el of bar.querySelectorAll('*')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own || !el.checkVisibility()) continue;
    let solid = false;  // an element with its own background (a badge) is axe's to check
    for (let e = el; e && e !== bar; e = e.parentElement) {
      const bg = getComputedStyle(e).backgroundColor;
      if (bg !== 'rgba(0, 0, 0, 0)' && bg !== 'transparent') { solid = true; break; }
    }
    if (!solid) texts.push([el.textContent.trim().slice(0, 40), getComputedStyle(el).color]);
  }
  return {gradient: getComputedStyle(bar).backgroundImage, texts};
}"""


def _rgba(css: str) -> tuple[float, float, float, float]:
    parts = [float(v) for v in re.findall(r"[\d.]+", css)]
    return (*parts[:3], parts[3] if len(parts) > 3 else 1.0)


def _luminance(rgb) -> float:
    def channel(v: float) -> float:
        v /= 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(foreground: str, background: tuple) -> float:
    *fg, alpha = _rgba(foreground)
    blended = [alpha * f + (1 - alpha) * b for f, b in zip(fg, background[:3], strict=True)]
    light, dark = sorted((_luminance(blended), _luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _navbar_contrast_failures(page) -> list[str]:
    found = page.evaluate(_NAVBAR_TEXT)
    if not found:
        return []
    stops = [_rgba(c) for c in re.findall(r"rgba?\([^)]*\)", found["gradient"])]
    assert stops, f"no gradient colours in {found['gradient']!r}"
    failures = []
    for text, color in found["texts"]:
        worst = min(_contrast(color, stop) for stop in stops)
        if worst < 4.5:
            failures.append(f"{text!r} {color} {worst:.2f}:1")
    return failures


def _describe(violation: dict) -> str:
    targets = [" ".join(map(str, node["target"])) for node in violation["nodes"][:5]]
    return f"  [{violation['impact']}] {violation['id']}: {violation['help']} → {targets}"


@pytest.fixture
def rich_data(tenant, owner, member, requester, group, open_group, closed_group):
    """The requester owns Book club, is in Lunch club and waits on Site collaborators."""
    GroupFactory(
        created_by=requester,
        display_name="Book club",
        description="Monthly reading group.",
        membership_policy=MembershipPolicy.OPEN,
    )
    actions.request_to_join(open_group, actor=requester, justification="")
    actions.add_members(group, actor=owner, people=[owner])
    for n in range(3):
        person = UserFactory(tenant=tenant, display_name=f"Applicant {n}")
        actions.request_to_join(
            group, actor=person, justification="I need the launch site.\nUrgently."
        )
    return group


def test_sign_in_page(live_server, page, audit):
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    audit(page, "sign-in")


def test_my_groups_empty(live_server, page, outsider, sign_in, audit):
    sign_in(page, outsider)
    expect(page.get_by_text("You don't own any groups yet.")).to_be_visible()
    audit(page, "my-groups-empty")


def test_my_groups_with_data(live_server, page, requester, rich_data, sign_in, audit):
    sign_in(page, requester)
    owned = page.get_by_role("region", name=re.compile(r"^Groups I own"))
    expect(owned.get_by_role("link", name="Book club")).to_be_visible()
    joined = page.get_by_role("region", name=re.compile(r"^Groups I'm in"))
    expect(joined.get_by_role("link", name="Lunch club")).to_be_visible()
    expect(page.get_by_role("button", name="Cancel request")).to_be_visible()
    audit(page, "my-groups")


def test_discover(live_server, page, tenant_admin, requester, rich_data, sign_in, audit):
    actions.create_group(
        actor=tenant_admin,
        group_type="mail_enabled_security",
        source="admin_center",
        display_name="All staff announcements",
        membership_policy="open",
    )
    sign_in(page, requester)
    page.goto(f"{live_server.url}/groups/")
    expect(page.get_by_role("heading", name="Discover groups", level=1)).to_be_visible()
    audit(page, "discover")


def test_discover_search_results(live_server, page, requester, rich_data, sign_in, audit):
    sign_in(page, requester)
    page.goto(f"{live_server.url}/groups/")
    page.get_by_role("searchbox", name="Search groups").press_sequentially("zzz", delay=20)
    expect(page.get_by_text("No groups match “zzz”")).to_be_visible()
    audit(page, "discover-no-match")


def test_group_page_as_owner(live_server, page, owner, rich_data, sign_in, audit):
    sign_in(page, owner)
    page.goto(f"{live_server.url}/groups/{rich_data.pk}/")
    expect(page.get_by_role("region", name="Owner tools")).to_be_visible()
    expect(page.get_by_role("button", name="Approve")).to_have_count(4)
    audit(page, "group-owner")


def test_group_page_as_member(live_server, page, member, rich_data, sign_in, audit):
    sign_in(page, member)
    page.goto(f"{live_server.url}/groups/{rich_data.pk}/")
    expect(page.get_by_role("button", name="Leave group")).to_be_visible()
    audit(page, "group-member")


def test_group_page_as_requester(live_server, page, requester, rich_data, sign_in, audit):
    sign_in(page, requester)
    page.goto(f"{live_server.url}/groups/{rich_data.pk}/")
    expect(page.get_by_role("button", name="Cancel request")).to_be_visible()
    audit(page, "group-requester")


def test_group_page_request_form(live_server, page, outsider, rich_data, sign_in, audit):
    sign_in(page, outsider)
    page.goto(f"{live_server.url}/groups/{rich_data.pk}/")
    expect(page.get_by_label("Business justification")).to_be_visible()
    audit(page, "group-request-form")


def test_create_group(live_server, page, owner, sign_in, audit):
    sign_in(page, owner)
    page.goto(f"{live_server.url}/groups/new/")
    expect(page.get_by_role("heading", name="Create group", level=1)).to_be_visible()
    audit(page, "create-group")
    # Non-text contrast (WCAG 1.4.11, which axe doesn't check): a control's outline is 3:1.
    for control in (
        page.get_by_label("Name"),
        page.get_by_label("Group type"),
        page.get_by_role("radio", name=re.compile(r"^Closed")),
    ):
        border = control.evaluate("el => getComputedStyle(el).borderTopColor")
        assert _contrast(border, (255, 255, 255, 1)) >= 3, f"{control}: border {border}"


def test_create_group_with_errors(live_server, page, owner, group, sign_in, audit):
    sign_in(page, owner)
    page.goto(f"{live_server.url}/groups/new/")
    page.get_by_label("Name").fill("site COLLABORATORS")  # taken, case-insensitively
    page.get_by_role("button", name="Create group").click()
    expect(page.locator(".invalid-feedback, .alert-danger, .alert-block").first).to_be_visible()
    audit(page, "create-group-errors")


def test_edit_group(live_server, page, owner, group, sign_in, audit):
    sign_in(page, owner)
    page.goto(f"{live_server.url}/groups/{group.pk}/")
    page.get_by_role("link", name="Edit group").click()
    expect(page.get_by_role("heading", name="Edit group", level=1)).to_be_visible()
    expect(page.get_by_label("Name")).to_have_value("Site collaborators")
    audit(page, "edit-group")


def test_add_members_with_preview(live_server, page, tenant, owner, member, group, sign_in, audit):
    for n in range(3):
        UserFactory(tenant=tenant, email=f"new{n}@contoso.test", display_name=f"New person {n}")
    sign_in(page, owner)
    page.goto(f"{live_server.url}/groups/{group.pk}/members/add/")
    page.get_by_label("Find people").press_sequentially("new", delay=20)
    page.get_by_role("button", name="Add New person 0").click()
    expect(page.get_by_role("button", name="Remove New person 0")).to_be_visible()
    page.get_by_label("Paste email addresses").fill(
        "new0@contoso.test\nnew1@contoso.test\nmia@contoso.test\nstranger@contoso.test"
    )
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("button", name="Add 2 members")).to_be_visible()
    audit(page, "add-members-preview")


def test_approvals_with_rows_and_after_a_decision(
    live_server, page, owner, rich_data, sign_in, audit
):
    sign_in(page, owner)
    page.goto(f"{live_server.url}/approvals/")
    expect(page.get_by_role("button", name="Approve", exact=True)).to_have_count(4)
    audit(page, "approvals")
    row = page.get_by_role("row").filter(has_text="Rita Requester")
    row.get_by_role("button", name="Approve").click()
    expect(row.get_by_text("Approved", exact=True)).to_be_visible()
    audit(page, "approvals-after-decision")
    page.reload()
    expect(page.get_by_role("region", name="Recently decided")).to_contain_text("Rita Requester")
    audit(page, "approvals-recent")


def test_approvals_empty(live_server, page, owner, open_group, sign_in, audit):
    sign_in(page, owner)
    page.goto(f"{live_server.url}/approvals/")
    expect(page.get_by_text("No requests are waiting for you")).to_be_visible()
    audit(page, "approvals-empty")


def test_forbidden_page(live_server, page, outsider, group, sign_in, audit):
    sign_in(page, outsider)
    response = page.goto(f"{live_server.url}/groups/{group.pk}/edit/")
    assert response.status == 403
    audit(page, "forbidden")


def test_not_found_page(live_server, page, outsider, sign_in, audit):
    sign_in(page, outsider)
    response = page.goto(f"{live_server.url}/groups/987654/")
    assert response.status == 404
    audit(page, "not-found")


def test_mobile_navigation_opens(live_server, page, owner, group, sign_in, width, audit):
    """On a phone the navigation collapses behind the toggle; it must open and be usable."""
    sign_in(page, owner)
    nav = page.get_by_role("navigation", name="Main")
    if width >= 768:
        expect(nav.get_by_role("link", name="Discover groups")).to_be_visible()
        return
    toggle = nav.get_by_role("button", name="Toggle navigation")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(nav.get_by_role("link", name="Discover groups")).to_be_visible()
    audit(page, "nav-open")
    nav.get_by_role("link", name="Discover groups").click()
    expect(page.get_by_role("heading", name="Discover groups", level=1)).to_be_visible()


def test_row_actions_stay_in_view(
    live_server, page, tenant, owner, requester, rich_data, sign_in, width
):
    """No Join/Leave/Approve/Deny button hides behind a sideways scroll (tables stack on phones)."""

    def in_view(locator, what: str) -> None:
        for button in locator.all():
            box = button.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= width + 1, (
                f"{what} at {width}px is outside the viewport: {box}"
            )

    outsider = UserFactory(tenant=tenant, display_name="Newcomer")
    sign_in(page, outsider)
    page.goto(f"{live_server.url}/groups/")
    in_view(page.get_by_role("button", name="Join group"), "Join group (Discover)")
    in_view(page.get_by_role("link", name="Request to join"), "Request to join (Discover)")
    page.context.clear_cookies()
    sign_in(page, requester)
    in_view(page.get_by_role("button", name="Leave group"), "Leave group (My groups)")
    in_view(page.get_by_role("button", name="Cancel request"), "Cancel request (My groups)")
    page.context.clear_cookies()
    sign_in(page, owner)
    page.goto(f"{live_server.url}/approvals/")
    in_view(page.get_by_role("checkbox", name="Select all"), "Select all (Approvals)")
    in_view(page.get_by_role("button", name="Approve", exact=True), "Approve (Approvals)")
    in_view(page.get_by_role("button", name="Deny"), "Deny (Approvals)")


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/admin-center/settings/", "admin-settings"),
        ("/admin-center/groups/", "admin-groups"),
        ("/admin-center/groups/new/", "admin-create-group"),
        ("/admin-center/requests/", "admin-requests"),
        ("/admin-center/users/", "admin-users"),
        ("/admin-center/scim-tokens/", "admin-scim-tokens"),
        ("/admin-center/audit/", "admin-audit"),
        ("/api-tokens/", "api-tokens"),
    ],
)
def test_admin_center_pages(live_server, page, tenant_admin, group, sign_in, audit, path, name):
    sign_in(page, tenant_admin)
    page.goto(f"{live_server.url}{path}")
    audit(page, name)


@pytest.fixture
def application(tenant_admin, owner, member, rich_data):
    """Expenses, owned by the owner, given to the rich group, with one direct user and a block."""
    from applications import actions as app_actions

    expenses = app_actions.create_application(
        actor=tenant_admin, name="Expenses", kind="saas_app", owners=[owner]
    )
    app_actions.assign(expenses, actor=tenant_admin, group=rich_data)
    app_actions.assign(expenses, actor=tenant_admin, user=member)
    app_actions.block(expenses, actor=tenant_admin, person=owner, reason="Auditor: no spending")
    return expenses


@pytest.mark.parametrize(
    ("who", "path", "name"),
    [
        ("tenant_admin", "/admin-center/applications/", "admin-applications"),
        ("tenant_admin", "/admin-center/applications/{pk}/", "admin-application"),
        ("owner", "/applications/{pk}/", "application-owner"),
        ("member", "/", "my-groups-my-apps"),
    ],
)
def test_application_pages(
    request, live_server, page, application, sign_in, audit, who, path, name
):
    sign_in(page, request.getfixturevalue(who))
    page.goto(f"{live_server.url}{path.format(pk=application.pk)}")
    expect(page.get_by_text("Expenses").first).to_be_visible()
    audit(page, name)


@pytest.fixture
def provisioned(application, tenant_admin, member):
    """Expenses with provisioning on, and a log with a success, a retry and a failure."""
    from provisioning.models import ProvisioningAttempt, ProvisioningTarget
    from tenants.secrets import seal

    ProvisioningTarget.objects.create(
        application=application,
        scim_url="https://expenses.example/scim/v2",
        enabled=True,
        sealed_token=seal("a token"),
    )
    row = {"tenant_id": application.tenant_id, "application": application, "user": member}
    label = f"{member.display_name} <{member.email}>"
    ProvisioningAttempt.objects.create(
        **row, person_label=label, operation="create", outcome="success", http_status=201
    )
    ProvisioningAttempt.objects.create(
        **row,
        person_label=label,
        operation="deactivate",
        outcome="retrying",
        http_status=503,
        error="503 Service Unavailable: the application is down for maintenance",
    )
    ProvisioningAttempt.objects.create(
        **row,
        person_label=label,
        operation="create",
        outcome="failed",
        http_status=400,
        error='400 Bad Request: {"detail": "userName must be an email address", '
        '"scimType": "invalidValue", "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"]}',
    )
    return application


@pytest.mark.parametrize(
    ("path", "name", "shows"),
    [
        ("/admin-center/applications/{pk}/provisioning/", "admin-provisioning", "Latest attempts"),
        ("/admin-center/applications/{pk}/", "admin-application-provisioned", "SCIM endpoint"),
        ("/admin-center/provisioning/", "admin-provisioning-log", "userName must be an email"),
        ("/admin-center/", "admin-overview-provisioning", "Provisioning failures, last 7 days"),
    ],
)
def test_provisioning_pages(
    live_server, page, provisioned, tenant_admin, sign_in, audit, path, name, shows
):
    sign_in(page, tenant_admin)
    page.goto(f"{live_server.url}{path.format(pk=provisioned.pk)}")
    expect(page.get_by_text(shows).first).to_be_visible()
    audit(page, name)


def test_admin_center_overview(
    live_server, page, tenant, tenant_admin, owner, rich_data, sign_in, audit
):
    """Charts drawn as SVG with their numbers as tables; axe at both widths, no sideways scroll."""
    from datetime import timedelta

    from django.utils import timezone

    from groups.models import JoinRequest

    now = timezone.now()
    for n, join_request in enumerate(JoinRequest.objects.filter(status="pending")):
        JoinRequest.objects.filter(pk=join_request.pk).update(
            created_at=now - timedelta(days=n * 4)
        )
    decided = JoinRequest.objects.filter(status="pending").order_by("pk").first()
    actions.deny_request(decided, actor=owner, reason="Not this quarter")
    actions.create_group(
        actor=tenant_admin, display_name="Nobody's", group_type="security", source="admin_center"
    )
    sign_in(page, tenant_admin)
    page.goto(f"{live_server.url}/admin-center/")
    expect(page.get_by_role("heading", name="Overview", level=1)).to_be_visible()
    expect(
        page.get_by_role("img", name="Requests to join per day over the last 30 days, by outcome")
    ).to_be_visible()
    page.get_by_text("The numbers, day by day").click()
    expect(page.get_by_role("table", name="Requests to join per day, by outcome")).to_be_visible()
    audit(page, "admin-overview")


def test_password_reset_page(live_server, page, audit):
    page.goto(f"{live_server.url}/accounts/password/reset/")
    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
    expect(page.get_by_role("link", name="Back to sign in")).to_be_visible()
    audit(page, "password-reset")


def test_a_denied_requester_sees_the_outcome(
    live_server, page, owner, requester, group, sign_in, audit
):
    from groups.models import JoinRequest

    actions.deny_request(
        JoinRequest.objects.get(requester=requester), actor=owner, reason="Launch team only"
    )
    sign_in(page, requester)
    expect(page.get_by_role("heading", name="Recent decisions")).to_be_visible()
    audit(page, "my-groups-recent-decisions")
    page.goto(f"{live_server.url}/groups/{group.pk}/")
    expect(page.get_by_text("Your last request")).to_be_visible()
    audit(page, "group-last-decision")


# --- Notifications and lifecycle (docs/notifications.md, docs/lifecycle.md) --------------------


@pytest.fixture
def lifecycle_data(tenant, tenant_admin, owner, member, requester, rich_data):
    """Expiration for every group (90 days), a 90-day default with member renewal on the
    rich group, Mia's membership ending in 5 days, a group that expired, a reminder, decided
    requests, and the notifications the worker made of all that."""
    from datetime import timedelta

    from django.utils import timezone

    from groups import lifecycle
    from groups.models import Group, JoinRequest
    from notifications import housekeeping
    from tenants import outbox
    from tenants.actions import update_lifecycle_settings
    from tenants.models import LifecycleSettings
    from tests.factories import OPERATOR

    long_ago = timezone.now() - timedelta(days=400)
    update_lifecycle_settings(
        tenant, actor=OPERATOR, group_lifetime_days=90, group_expiration_applies_to="all"
    )
    LifecycleSettings.objects.filter(tenant=tenant).update(group_expiration_since=long_ago)
    lifecycle.set_membership_options(
        rich_data, actor=owner, default_membership_days=90, members_can_renew=True
    )
    actions.remove_member(rich_data, actor=owner, person=member)
    actions.add_members(
        rich_data, actor=owner, people=[member], ends_at=timezone.now() + timedelta(days=5)
    )
    old = GroupFactory(created_by=owner, display_name="Spring campaign 2025")
    actions.add_members(old, actor=owner, people=[member])
    Group.objects.filter(pk=old.pk).update(created_at=long_ago)
    pending = list(JoinRequest.objects.filter(group=rich_data, status="pending").order_by("pk"))
    actions.deny_request(pending[1], actor=owner, reason="Only the launch team for now.")
    actions.approve_request(pending[2], actor=owner)
    JoinRequest.objects.filter(pk=pending[0].pk).update(
        created_at=timezone.now() - timedelta(days=4)
    )
    housekeeping.run()  # a reminder, Mia's 7-day warning, the old group expires
    outbox.deliver_ready()
    return rich_data


@pytest.mark.parametrize(
    ("who", "path", "name"),
    [
        ("owner", "/notifications/", "notifications"),
        ("owner", "/notifications/preferences/", "notification-preferences"),
        ("outsider", "/notifications/", "notifications-empty"),
        ("owner", "/groups/{pk}/", "group-owner-lifecycle"),
        ("member", "/groups/{pk}/", "group-member-ends-soon"),
        ("owner", "/groups/{pk}/members/add/", "add-members-end-date"),
        ("tenant_admin", "/admin-center/lifecycle/", "admin-lifecycle"),
        ("tenant_admin", "/admin-center/groups/deleted/", "admin-deleted-groups"),
        ("tenant_admin", "/admin-center/requests/history/", "admin-request-history"),
    ],
)
def test_lifecycle_pages(
    request, live_server, page, lifecycle_data, sign_in, audit, who, path, name
):
    sign_in(page, request.getfixturevalue(who))
    page.goto(f"{live_server.url}{path.format(pk=lifecycle_data.pk)}")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    audit(page, name)
    width = page.viewport_size["width"]
    for button in page.get_by_role("button", name=re.compile("^(Renew|Remove member)$")).all():
        box = button.bounding_box()  # the member table's buttons stay in view on a phone
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width + 1, (name, box)


def _link_of(person, label: str) -> str:
    from django.core import mail

    from tests.notifications.conftest import link

    message = next(
        m for m in reversed(mail.outbox) if m.to == [person.email] and "Approve" in m.body
    )
    return link(message, label)


@pytest.mark.parametrize("label", ["Approve", "Deny", "Open"])
def test_email_link_pages(live_server, page, owner, rich_data, sign_in, audit, label):
    from tenants import outbox

    outbox.deliver_ready()
    sign_in(page, owner)
    page.goto(f"{live_server.url}{_link_of(owner, label)}")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    audit(page, f"email-link-{label.lower()}")
    if label == "Approve":
        page.get_by_role("button", name="Approve").click()
        expect(page.get_by_text("request to join")).to_be_visible()
        page.goto(f"{live_server.url}{_link_of(owner, label)}")
        expect(page.get_by_text("already used")).to_be_visible()
        audit(page, "email-link-used")


def test_an_email_in_the_products_look(page, owner, rich_data, width, screenshot):
    """The HTML part of a request email, loaded in Chromium: looked at, at both widths."""
    from django.core import mail

    from tenants import outbox
    from tests.notifications.conftest import html_of

    outbox.deliver_ready()
    message = next(m for m in mail.outbox if m.to == [owner.email])
    page.set_content(html_of(message))
    screenshot(page, f"email-new-request-{width}")
    violations = _axe.run(page).response["violations"]
    assert not [v for v in violations if v["impact"] in BLOCKING], violations
    if width < 576:
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
