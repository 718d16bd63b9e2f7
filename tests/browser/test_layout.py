"""Layout findings of review round 1, checked in a real browser at 1280 and 390 px."""

import pytest
from playwright.sync_api import expect

from groups import actions
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _no_word_broken(page, locator) -> None:
    """Each part of an address between its break points (<wbr>) sits on one line, and the
    table it is in doesn't scroll sideways."""
    for element in locator.all():
        lines_per_part = element.evaluate(
            """e => [...e.childNodes].filter(n => n.nodeType === 3).map(n => {
                   const range = document.createRange(); range.selectNodeContents(n);
                   const tops = [...range.getClientRects()].map(r => Math.round(r.top));
                   return new Set(tops).size; })"""
        )
        assert set(lines_per_part) == {1}, (element.inner_text(), lines_per_part)
    assert page.evaluate(
        "[...document.querySelectorAll('.table-responsive')]"
        ".every(t => t.scrollWidth <= t.clientWidth + 1)"
    ), "a table scrolls sideways at 1280 px"


def test_emails_are_not_broken_mid_word_at_1280(
    live_server, page, tenant, tenant_admin, owner, group, sign_in, screenshot
):
    for n in range(3):
        person = UserFactory(
            tenant=tenant,
            display_name=f"Henrietta Mueller {n}",
            email=f"henrietta.muellerschmidt{n}@marketingdepartment.contoso.example",
        )
        actions.request_to_join(group, actor=person, justification="A long justification " * 8)
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, owner)
    page.goto(f"{live_server.url}/approvals/")
    _no_word_broken(page, page.locator("table .email"))
    screenshot(page, "approvals-emails-1280")
    page.context.clear_cookies()
    sign_in(page, tenant_admin)
    page.goto(f"{live_server.url}/admin-center/requests/")
    _no_word_broken(page, page.locator("table .email"))
    screenshot(page, "admin-requests-emails-1280")


def test_the_member_list_is_cards_on_a_phone(
    live_server, page, tenant, owner, group, sign_in, screenshot
):
    people = [
        UserFactory(tenant=tenant, display_name=f"Member {n}", email=f"m{n}@contoso.test")
        for n in range(3)
    ]
    actions.add_members(group, actor=owner, people=people)
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, owner)
    page.goto(f"{live_server.url}/groups/{group.pk}/")
    buttons = page.get_by_role("button", name="Remove member")
    expect(buttons.first).to_be_visible()
    displays = page.locator("#members tbody td").evaluate_all(
        "cells => [...new Set(cells.map(c => getComputedStyle(c).display))]"
    )
    assert "table-cell" not in displays, displays  # each member is a card of stacked lines
    for button in buttons.all():
        box = button.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 391, box
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    screenshot(page, "group-members-cards-390")


def test_admin_center_tabs_scroll_in_one_row_on_a_phone(
    live_server, page, tenant_admin, sign_in, screenshot
):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, tenant_admin)
    page.goto(f"{live_server.url}/admin-center/")
    tabs = page.locator(".admin-tabs")
    heights = tabs.locator(".nav-link").evaluate_all(
        "links => [...new Set(links.map(l => Math.round(l.getBoundingClientRect().top)))]"
    )
    assert len(heights) == 1, heights  # one row
    assert tabs.evaluate("t => t.scrollWidth > t.clientWidth")  # which scrolls sideways…
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")  # …alone
    screenshot(page, "admin-tabs-390")


def test_an_in_place_decision_removes_old_banners(
    live_server, page, tenant, owner, group, sign_in, screenshot
):
    other = UserFactory(tenant=tenant, display_name="Second Asker")
    actions.request_to_join(group, actor=other, justification="Me too")
    sign_in(page, owner)
    page.goto(f"{live_server.url}/approvals/")
    page.get_by_role("checkbox", name="Select the request from Second Asker").check()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Approve selected").click()
    banner = page.locator("#messages").get_by_text("Approved 1 request.")
    expect(banner).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Rita Requester")
    row.get_by_role("button", name="Approve").click()
    expect(row.get_by_text("Approved", exact=True)).to_be_visible()
    expect(banner).to_have_count(0)
    screenshot(page, "approvals-after-in-place-decision")


def test_saving_a_user_asks_only_when_deactivating(
    live_server, page, tenant_admin, member, sign_in
):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    sign_in(page, tenant_admin)
    page.goto(f"{live_server.url}/admin-center/users/?q=mia")
    page.get_by_label("Premium license for Mia Member").uncheck()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Mia Member saved.")).to_be_visible()
    assert dialogs == []
    page.get_by_label("Active: Mia Member can sign in").uncheck()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Mia Member saved.")).to_be_visible()
    assert len(dialogs) == 1 and "Deactivate Mia Member?" in dialogs[0]
    member.refresh_from_db()
    assert (member.has_premium_license, member.is_active) == (False, False)
