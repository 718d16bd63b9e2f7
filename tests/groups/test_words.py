"""Words that must match behaviour (review round 1, "Words that contradict behaviour"), and a
requester who learns the outcome of their request ("A requester never learns the outcome")."""

import pytest

from groups import actions
from groups.models import JoinRequest
from tests.conftest import set_settings
from tests.factories import GroupFactory


@pytest.mark.django_db
def test_an_unlicensed_person_is_told_joining_not_requesting_on_an_open_group(
    client, unlicensed_user, open_group, group
):
    client.force_login(unlicensed_user)
    open_page = client.get(f"/groups/{open_group.pk}/").content.decode()
    assert "Joining a group needs a Premium license" in open_page
    assert "Requesting to join" not in open_page
    approval_page = client.get(f"/groups/{group.pk}/").content.decode()
    assert "Requesting to join a group needs a Premium license" in approval_page
    discover = client.get("/groups/").content.decode()
    assert "Joining a group needs a Premium license" in discover


@pytest.mark.django_db
def test_who_decides_a_pending_request_follows_the_setting(client, tenant, group, requester):
    client.force_login(requester)
    for url in (f"/groups/{group.pk}/", "/"):
        assert "An owner of the group will approve or deny it." in client.get(url).content.decode()
    set_settings(tenant, owners_can_manage_requests=False)
    for url in (f"/groups/{group.pk}/", "/"):
        html = client.get(url).content.decode()
        assert "A global admin will approve or deny it" in html, url
        assert "An owner" not in html, url


@pytest.mark.django_db
def test_a_global_admin_is_not_told_to_ask_an_owner(client, tenant_admin, closed_group):
    client.force_login(tenant_admin)
    html = client.get(f"/groups/{closed_group.pk}/").content.decode()
    assert "As a global admin you can add anyone, yourself included" in html
    assert "Ask an owner" not in html and "You own this group" not in html


@pytest.mark.django_db
def test_an_owner_who_isnt_a_member_is_told_to_add_themselves(client, owner, closed_group):
    client.force_login(owner)
    html = client.get(f"/groups/{closed_group.pk}/").content.decode()
    assert "You own this group but aren't a member" in html


@pytest.mark.django_db
def test_approvals_speaks_of_the_whole_organisation_to_an_admin(client, tenant_admin, owner):
    client.force_login(tenant_admin)
    html = client.get("/approvals/").content.decode()
    assert "every group of your organisation" in html
    assert "you own" not in html
    client.force_login(owner)
    GroupFactory(created_by=owner)
    assert "groups you own" in client.get("/approvals/").content.decode()


@pytest.mark.django_db
def test_an_unlicensed_owner_of_an_open_group_isnt_told_they_cant_approve(
    client, unlicensed_user, tenant_admin
):
    open_group = GroupFactory(created_by=unlicensed_user, membership_policy="open")
    client.force_login(unlicensed_user)
    html = client.get(f"/groups/{open_group.pk}/").content.decode()
    assert "Approving or denying requests needs a Premium license" not in html
    assert "Requests to join" not in html
    approval_group = GroupFactory(created_by=unlicensed_user, membership_policy="open")
    # An owner-approval group they own (made so by an admin) does explain it.
    actions.update_group(approval_group, actor=tenant_admin, membership_policy="owner_approval")
    html = client.get(f"/groups/{approval_group.pk}/").content.decode()
    assert "Approving or denying requests needs a Premium license" in html


# --- The requester learns the outcome ---------------------------------------------------------


@pytest.mark.django_db
def test_a_denied_requester_sees_who_decided_when_and_why(client, group, owner, requester):
    join_request = JoinRequest.objects.get(requester=requester)
    actions.deny_request(join_request, actor=owner, reason="Only the launch team for now")
    client.force_login(requester)
    home = client.get("/").content.decode()
    assert "Recent decisions" in home
    for text in ("Site collaborators", "Denied", "By Olivia Owner", "Only the launch team for now"):
        assert text in home, text
    page = client.get(f"/groups/{group.pk}/").content.decode()
    assert "Your last request" in page
    assert "By Olivia Owner" in page and "Only the launch team for now" in page
    assert "Request to join" in page  # and they may ask again


@pytest.mark.django_db
def test_every_outcome_is_listed_but_open_joins_are_not(
    client, group, owner, requester, open_group
):
    actions.cancel_request(JoinRequest.objects.get(requester=requester), actor=requester)
    actions.request_to_join(open_group, actor=requester)
    second = actions.request_to_join(group, actor=requester, justification="Again")
    actions.approve_request(second, actor=owner)
    client.force_login(requester)
    home = client.get("/").content.decode()
    assert "You cancelled it" in home and "Approved" in home
    assert home.count("decision-outcome") == 2  # the open join is not a decision
    assert "Lunch club" not in home.split("Recent decisions")[1]


@pytest.mark.django_db
def test_the_join_form_returns_to_the_group_page_after_an_error(client, group, outsider):
    client.force_login(outsider)
    response = client.post(f"/groups/{group.pk}/join/", {"justification": "   "})
    html = response.content.decode()
    assert "Business justification is required." in html
    assert 'role="alert"' not in html  # at its field, not in a banner
    assert f'name="next" value="/groups/{group.pk}/"' in html
    assert f'name="next" value="/groups/{group.pk}/join/"' not in html
