import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_sign_in_see_my_groups_and_sign_out(
    live_server, page, member, sign_in, screenshot, csp_errors
):
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/")
    screenshot(page, "sign-in")
    sign_in(page, member)
    expect(page.get_by_role("heading", name="My groups", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Discover groups")).to_be_visible()
    screenshot(page, "my-groups-empty")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/")
    assert csp_errors == []
