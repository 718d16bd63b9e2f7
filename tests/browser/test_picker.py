"""The one people picker (Add members, Add owners, the "Selected" setting) in a real browser,
and the Admin center's Create group with one membership choice shown as chosen."""

import pytest
from playwright.sync_api import expect

from groups.models import Membership
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _search(picker, text: str) -> None:
    box = picker.get_by_role("searchbox")
    box.fill("")
    box.press_sequentially(text, delay=15)


def test_chosen_people_survive_a_new_search_and_members_are_marked(
    live_server, page, tenant, owner, member, group, sign_in, screenshot, csp_errors
):
    grady = UserFactory(tenant=tenant, display_name="Grady Archie", email="grady@contoso.test")
    lee = UserFactory(tenant=tenant, display_name="Lee Gu", email="lee@contoso.test")
    sign_in(page, owner)
    page.goto(f"{live_server.url}/groups/{group.pk}/members/add/")
    picker = page.locator("[data-picker]")
    _search(picker, "grady")
    picker.get_by_role("button", name="Add Grady Archie").click()
    expect(picker.get_by_role("button", name="Remove Grady Archie")).to_be_visible()
    _search(picker, "mia")
    expect(picker.get_by_text("Already a member")).to_be_visible()  # Mia is in
    expect(picker.get_by_role("button", name="Add Mia Member")).to_have_count(0)
    _search(picker, "lee")
    picker.get_by_role("button", name="Add Lee Gu").click()
    _search(picker, "grady")  # Grady's button says so, and his chip is still there
    expect(picker.get_by_role("button", name="Added Grady Archie")).to_be_visible()
    expect(picker.locator(".picker-chip")).to_have_count(2)
    screenshot(page, "picker-add-members")
    page.get_by_role("button", name="Add members", exact=True).click()
    expect(page.get_by_text("Added 2 members.")).to_be_visible()
    assert set(Membership.objects.filter(group=group).values_list("user_id", flat=True)) == {
        member.pk,
        grady.pk,
        lee.pk,
    }
    assert csp_errors == []


def test_a_chip_can_be_removed_and_add_owners_uses_the_picker(
    live_server, page, tenant, owner, member, outsider, group, sign_in, screenshot
):
    sign_in(page, owner)
    page.goto(f"{live_server.url}/groups/{group.pk}/")
    picker = page.locator("[data-picker]")
    _search(picker, "otto")
    picker.get_by_role("button", name="Add Otto Outsider").click()
    _search(picker, "mia")
    picker.get_by_role("button", name="Add Mia Member").click()
    picker.get_by_role("button", name="Remove Otto Outsider").click()
    expect(picker.locator(".picker-chip")).to_have_count(1)
    _search(picker, "olivia")
    expect(picker.get_by_text("Already an owner")).to_be_visible()
    screenshot(page, "picker-add-owners")
    page.get_by_role("button", name="Add owners").click()
    expect(page.get_by_text("Mia Member is now an owner.")).to_be_visible()
    assert set(group.ownerships.values_list("user_id", flat=True)) == {owner.pk, member.pk}


def test_the_selected_setting_adds_people_found_with_the_picker(
    live_server, page, tenant, tenant_admin, owner, sign_in, screenshot
):
    sign_in(page, tenant_admin)
    page.goto(f"{live_server.url}/admin-center/settings/")
    page.get_by_role("group", name="Owners who can assign members as group owners").get_by_label(
        "Selected", exact=True
    ).check()
    picker = page.locator("[data-picker]")
    _search(picker, "olivia")
    picker.get_by_role("button", name="Add Olivia Owner").click()
    screenshot(page, "picker-settings")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("General settings saved")).to_be_visible()
    expect(page.get_by_role("button", name="Remove Olivia Owner")).to_be_visible()
    tenant.settings.refresh_from_db()
    assert list(tenant.settings.selected_owner_assigners.all()) == [owner]


def test_admin_center_create_group_shows_one_membership_choice_chosen(
    live_server, page, tenant_admin, sign_in, screenshot
):
    sign_in(page, tenant_admin)
    page.goto(f"{live_server.url}/admin-center/groups/new/")
    radios = page.get_by_role("group", name="Membership").get_by_role("radio")
    expect(radios).to_have_count(4)
    expect(radios.first).to_be_checked()
    filled = page.evaluate(
        """() => [...document.querySelectorAll('input[name=membership_policy]')].map(
               r => getComputedStyle(r).backgroundColor)"""
    )
    assert filled[0] != filled[1] and len(set(filled[1:])) == 1, filled  # only one looks chosen
    screenshot(page, "admin-center-create-group")
    # A radio group with nothing chosen matches :indeterminate: none of its radios may look chosen.
    none_chosen = page.evaluate(
        """() => [...document.querySelectorAll('input[name=membership_policy]')].map(r => {
               r.checked = false; return getComputedStyle(r).backgroundColor; })"""
    )
    assert set(none_chosen) == {filled[1]}, none_chosen
