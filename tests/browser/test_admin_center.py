"""The admin flips General settings in the Admin center; members feel it on their next page."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def second_page(browser):
    context = browser.new_context()
    yield context.new_page()
    context.close()


def _choose(page, setting: str, answer: str) -> None:
    page.get_by_role("group", name=setting).get_by_label(answer, exact=True).check()


def test_admin_restricts_groups_then_lifts_it(
    live_server, page, second_page, tenant_admin, member, group, sign_in, screenshot, csp_errors
):
    sign_in(page, tenant_admin)
    sign_in(second_page, member)
    expect(second_page.get_by_role("link", name="Discover groups")).to_be_visible()

    page.get_by_role("link", name="Admin center").click()
    expect(page.get_by_role("heading", name="Overview", level=1)).to_be_visible()
    page.get_by_role("link", name="General settings").click()
    expect(page.get_by_role("heading", name="General settings", level=1)).to_be_visible()
    _choose(page, "Restrict access to Groups in the Access Panel", "Yes")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("General settings saved")).to_be_visible()
    screenshot(page, "admin-center-settings")

    second_page.reload()
    expect(second_page.get_by_role("link", name="Discover groups")).to_have_count(0)
    expect(second_page.get_by_text("Restrict access to Groups in the Access Panel")).to_be_visible()
    assert second_page.goto(f"{live_server.url}/groups/").status == 403

    _choose(page, "Restrict access to Groups in the Access Panel", "No")
    page.get_by_role("button", name="Save").click()
    second_page.goto(f"{live_server.url}/")
    expect(second_page.get_by_role("link", name="Discover groups")).to_be_visible()
    assert csp_errors == []


def test_owners_may_not_manage_requests_and_the_approvals_page_says_so(
    live_server, page, second_page, tenant_admin, owner, group, sign_in, screenshot
):
    sign_in(page, tenant_admin)
    sign_in(second_page, owner)
    second_page.get_by_role("link", name="Approvals").click()
    expect(second_page.get_by_text("Rita Requester")).to_be_visible()

    page.goto(f"{live_server.url}/admin-center/settings/")
    _choose(page, "Owners can manage group membership requests in the Access Panel", "No")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("General settings saved")).to_be_visible()

    second_page.reload()
    expect(
        second_page.get_by_text("Owners can't manage membership requests in the Access Panel")
    ).to_be_visible()
    expect(second_page.get_by_text("Rita Requester")).to_have_count(0)
    screenshot(second_page, "approvals-owners-may-not-manage")

    # The admin decides it from the Admin center instead.
    page.get_by_role("link", name="Requests").click()
    page.get_by_role("button", name="Approve", exact=True).first.click()
    expect(page.locator("tr", has_text="Rita Requester")).to_contain_text("Approved")
    screenshot(page, "admin-center-requests")
