"""The API's docs page and the token pages, as people use them in Chromium."""

import re

import pytest
from playwright.sync_api import expect

from api.models import ApiToken

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_api_docs_page_works_under_the_csp(live_server, page, csp_errors, screenshot):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/api/v1/docs")
    expect(page.get_by_role("heading", name=re.compile("Access Panel API"))).to_be_visible()
    operation = page.locator(".opblock-summary-path", has_text="/api/v1/groups").first
    expect(operation).to_be_visible()
    screenshot(page, "api-docs-1280")
    assert csp_errors == []


def test_a_person_creates_copies_and_revokes_an_api_token(
    live_server, page, owner, sign_in, screenshot
):
    sign_in(page, owner)
    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Name").fill("Nightly sync")
    page.get_by_label("Expires").select_option(label="30 days")
    page.get_by_role("button", name="Create token").click()
    shown = page.get_by_role("textbox", name="Token")
    expect(shown).to_have_value(re.compile(r"^ap_"))
    screenshot(page, "api-token-created-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "api-token-created-390")
    page.reload()
    expect(page.get_by_role("textbox", name="Token")).to_have_count(0)  # shown once
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke").click()
    expect(page.get_by_text("“Nightly sync” revoked")).to_be_visible()
    assert ApiToken.objects.get(user=owner).revoked_at is not None


def test_a_global_admin_creates_a_scim_token(live_server, page, tenant_admin, sign_in, screenshot):
    sign_in(page, tenant_admin)
    page.goto(f"{live_server.url}/admin-center/")
    page.get_by_role("link", name="SCIM tokens").click()
    page.get_by_label("Name").fill("Microsoft Entra ID")
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_role("textbox", name="Token")).to_have_value(re.compile(r"^sc_"))
    expect(page.get_by_role("cell", name=re.compile("Microsoft Entra ID"))).to_be_visible()
    screenshot(page, "admin-scim-tokens-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "admin-scim-tokens-390")
