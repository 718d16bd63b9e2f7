"""The panel's pages and endpoints: refusals, HTMX partials, no-JS fallbacks, query bounds."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from groups import actions
from groups import counts as group_counts
from groups.models import Group, JoinRequest, Membership, MembershipPolicy
from tenants.models import AuditEvent
from tests.conftest import set_settings
from tests.factories import GroupFactory, UserFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


def _query_count(client, url: str, **extra) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **extra)
    assert response.status_code == 200, response.content[:500]
    return len(queries)


def _people(tenant, count: int):
    return [UserFactory(tenant=tenant, has_premium_license=False) for _ in range(count)]


# --- Query bounds: the same count with 5 and with 200 rows ------------------------------------


@pytest.mark.django_db
def test_my_groups_discover_and_approvals_query_counts_dont_grow(client, tenant, owner):
    """Each page's queries are counted with 5 and with 200 groups/requests; none grows."""
    client.force_login(owner)
    requesters = _people(tenant, 200)
    counts = {}
    for size in (5, 200):
        Group.objects.filter(tenant=tenant).delete()
        for n in range(size):
            group = GroupFactory(
                created_by=owner,
                display_name=f"G{size}-{n}",
                membership_policy=MembershipPolicy.OWNER_APPROVAL,
            )
            JoinRequest.objects.create(group=group, requester=requesters[n], justification="x")
            Membership.objects.create(
                group=group, user=requesters[n], added_via="owner", added_by=owner
            )
        group_counts.reset(Group.objects.filter(tenant=tenant).values_list("pk", flat=True))
        counts[size] = {
            url: _query_count(client, url)
            for url in ("/", "/groups/", "/groups/?q=G&type=security", "/approvals/")
        }
    # session, user+tenant, General settings, "owns any group?" and the Approvals badge (5; the
    # badge sums the groups' pending counts less my own requests, once per page),
    # then the page's own reads: My groups = count and page of owned, count of joined (empty
    # here, so no page query), pending, recent decisions on my requests (5);
    # Discover = the next page's worth of keys from each part of its order that the page
    # needs (may join, may not: 2 when the first part has fewer than a page of groups, as
    # with 5; 1 when it fills the page, as with 200: on the name index), those rows with
    # their decisions, the owners prefetch and the total counted up to 10,000 (4 or 5);
    # Approvals = the page after the cursor (its total is the badge's number), recently
    # decided (2). My groups also shows My apps (applications/sections.py): its count and the
    # applications I own (2; no page query when the count is 0); and Recent decisions (1).
    discover_needs_both_parts = {"/groups/": 1, "/groups/?q=G&type=security": 1}
    assert counts[200] == {
        "/": 12,
        "/groups/": 9,
        "/groups/?q=G&type=security": 9,
        "/approvals/": 7,
    }
    assert counts[5] == {
        url: count + discover_needs_both_parts.get(url, 0) for url, count in counts[200].items()
    }


@pytest.mark.django_db
def test_group_page_query_count_doesnt_grow_with_members_and_requests(client, tenant, owner):
    client.force_login(owner)
    people = _people(tenant, 200)
    counts = {}
    for size in (5, 200):
        group = GroupFactory(
            created_by=owner, display_name=f"Big {size}", membership_policy="owner_approval"
        )
        Membership.objects.bulk_create(
            Membership(group=group, user=p, added_via="owner", added_by=owner)
            for p in people[:size]
        )
        JoinRequest.objects.bulk_create(
            JoinRequest(group=group, requester=p, justification="x") for p in people[:size]
        )
        group_counts.reset([group.pk])
        counts[size] = (
            _query_count(client, f"/groups/{group.pk}/"),
            _query_count(client, f"/groups/{group.pk}/members/?mq=Person", **HTMX),
            _query_count(client, f"/groups/{group.pk}/members/add/"),
        )
    assert counts[5] == counts[200]
    # Group page: the 5 of every page, the group with all decisions and its
    # member count (1), owners (1), my request (1), the members page after the cursor (1; the
    # total is the group's count), nested groups (1), pending requests (1), what it gives
    # access to (1: one recursive query; no second when it reaches no application) = 12 + 1.
    # The HTMX member list: session, user, settings, the group with its decisions, members
    # page, nested groups = 6. Add members: session, user, settings, owns-any, badge, the
    # group with its decision = 6.
    assert counts[200] == (13, 6, 6)
    page = client.get(f"/groups/{group.pk}/").content.decode()  # 50 listed, all 200 counted
    assert 'Requests to join <span class="badge badge-count">200</span>' in page
    assert page.count('class="m-0 decision-approve"') == 50
    # No one waiting (the group's kept count is 0): no query for its requests.
    JoinRequest.objects.filter(group=group).delete()
    group_counts.reset([group.pk])
    assert _query_count(client, f"/groups/{group.pk}/") == 12


# --- Restrict access to Groups in the Access Panel -------------------------------------------


@pytest.mark.django_db
def test_restricted_non_admin_gets_no_groups_features(client, tenant, member, group):
    set_settings(tenant, restrict_access_to_groups=True)
    client.force_login(member)
    home = client.get("/")
    assert home.status_code == 200
    assert b"Discover groups" not in home.content
    assert b"Restrict access to Groups in the Access Panel" in home.content
    for url in (
        "/groups/",
        f"/groups/{group.pk}/",
        "/groups/new/",
        "/approvals/",
        "/people/search/?q=ri",
    ):
        assert client.get(url).status_code == 403, url
    response = client.post(f"/groups/{group.pk}/leave/", **HTMX)
    assert response.status_code == 403
    assert response["HX-Retarget"] == "#messages"
    assert Membership.objects.filter(group=group, user=member).exists()


@pytest.mark.django_db
def test_restriction_doesnt_apply_to_global_admins(client, tenant, tenant_admin):
    set_settings(tenant, restrict_access_to_groups=True)
    client.force_login(tenant_admin)
    assert client.get("/groups/").status_code == 200


# --- Owner isolation (seed scenario 1) -------------------------------------------------------


@pytest.mark.django_db
def test_owner_of_one_group_cant_reach_another_groups_members_or_requests(
    client, tenant, group, requester
):
    manager = UserFactory(tenant=tenant)
    travel = GroupFactory(created_by=manager, membership_policy="owner_approval")
    traveller = UserFactory(tenant=tenant, display_name="Tom Traveller")
    actions.request_to_join(travel, actor=traveller, justification="Conference trip")
    client.force_login(manager)
    page = client.get(f"/groups/{group.pk}/")
    assert page.status_code == 200
    assert b"Mia Member" not in page.content  # member list hidden
    assert b"Launch work" not in page.content  # requests hidden
    assert client.get(f"/groups/{group.pk}/members/", **HTMX).status_code == 403
    assert client.get(f"/groups/{group.pk}/members.csv").status_code == 403
    assert client.get(f"/groups/{group.pk}/members/add/").status_code == 403
    join_request = JoinRequest.objects.get(group=group)
    assert client.post(f"/requests/{join_request.pk}/approve/", **HTMX).status_code == 404
    assert client.post(f"/requests/{join_request.pk}/approve/").status_code == 404
    assert JoinRequest.objects.get(pk=join_request.pk).status == "pending"
    approvals = client.get("/approvals/")
    assert b"Rita Requester" not in approvals.content  # the other owner's request: hidden
    assert b"Tom Traveller" in approvals.content  # their own group's request: shown


@pytest.mark.django_db
def test_another_tenants_group_is_a_404(client, group, other_tenant_user):
    client.force_login(other_tenant_user)
    assert client.get(f"/groups/{group.pk}/").status_code == 404
    assert client.post(f"/groups/{group.pk}/join/", {"justification": "x"}).status_code == 404


# --- Joining, leaving, requests --------------------------------------------------------------


@pytest.mark.django_db
def test_join_open_group_without_javascript(client, open_group, outsider):
    client.force_login(outsider)
    response = client.post(f"/groups/{open_group.pk}/join/", {"next": "/groups/"})
    assert response.status_code == 302 and response["Location"] == "/groups/"
    assert Membership.objects.filter(group=open_group, user=outsider).exists()
    assert "You joined" in client.get("/groups/").content.decode()


@pytest.mark.django_db
def test_request_to_join_needs_a_justification(client, group, outsider):
    client.force_login(outsider)
    response = client.post(f"/groups/{group.pk}/join/", {"justification": ""}, follow=True)
    assert "Business justification is required" in response.content.decode()
    assert not JoinRequest.objects.filter(requester=outsider).exists()
    client.post(f"/groups/{group.pk}/join/", {"justification": "Project Falcon"})
    assert JoinRequest.objects.get(requester=outsider).status == "pending"


@pytest.mark.django_db
def test_unlicensed_user_sees_the_license_reason(client, open_group, unlicensed_user):
    client.force_login(unlicensed_user)
    assert "Premium license" in client.get("/groups/").content.decode()
    response = client.post(f"/groups/{open_group.pk}/join/")
    assert response.status_code == 403
    assert not Membership.objects.filter(user=unlicensed_user).exists()


@pytest.mark.django_db
def test_cancel_request_from_my_groups(client, group, requester):
    client.force_login(requester)
    home = client.get("/").content.decode()
    assert "Cancel request" in home
    join_request = JoinRequest.objects.get(requester=requester)
    client.post(f"/requests/{join_request.pk}/cancel/", {"next": "/"})
    join_request.refresh_from_db()
    assert join_request.status == "cancelled"


@pytest.mark.django_db
def test_approve_with_htmx_swaps_the_row(client, group, owner, requester):
    client.force_login(owner)
    join_request = JoinRequest.objects.get(requester=requester)
    response = client.post(f"/requests/{join_request.pk}/approve/", **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.strip().startswith("<tr") and f'id="request-{join_request.pk}"' in html
    assert "Approved" in html and owner.display_name in html
    assert Membership.objects.filter(group=group, user=requester).exists()


@pytest.mark.django_db
def test_deny_with_reason_without_javascript(client, group, owner, requester):
    client.force_login(owner)
    join_request = JoinRequest.objects.get(requester=requester)
    response = client.post(f"/requests/{join_request.pk}/deny/", {"reason": "Not this quarter"})
    assert response.status_code == 302
    join_request.refresh_from_db()
    assert (join_request.status, join_request.decision_reason) == ("denied", "Not this quarter")


@pytest.mark.django_db
def test_approve_selected(client, tenant, owner):
    group = GroupFactory(created_by=owner, membership_policy="owner_approval")
    people = _people(tenant, 10)
    requests = [
        JoinRequest.objects.create(group=group, requester=p, justification="x") for p in people
    ]
    group_counts.reset([group.pk])
    client.force_login(owner)
    response = client.post(
        "/approvals/approve-selected/", {"request": [r.pk for r in requests]}, follow=True
    )
    assert "Approved 10 requests" in response.content.decode()
    assert Membership.objects.filter(group=group).count() == 10
    assert AuditEvent.objects.filter(action="request.approved").count() == 10


@pytest.mark.django_db
def test_approvals_page_says_when_owners_may_not_manage_requests(client, tenant, group, owner):
    set_settings(tenant, owners_can_manage_requests=False)
    client.force_login(owner)
    page = client.get("/approvals/").content.decode()
    assert "Owners can manage group membership requests in the Access Panel" in page
    assert "Launch work" not in page


# --- Create and edit -------------------------------------------------------------------------


@pytest.mark.django_db
def test_create_group_in_the_panel(client, owner):
    client.force_login(owner)
    response = client.post(
        "/groups/new/",
        {
            "display_name": "Hiking",
            "description": "",
            "group_type": "microsoft365",
            "membership_policy": "open",
        },
    )
    group = Group.objects.get(display_name="Hiking")
    assert response["Location"] == f"/groups/{group.pk}/"
    assert (group.source, group.created_by) == ("access_panel", owner)
    assert list(group.ownerships.values_list("user", flat=True)) == [owner.pk]


@pytest.mark.django_db
def test_create_group_errors_are_shown_next_to_the_field(
    client, owner, open_group, unlicensed_user
):
    client.force_login(owner)
    response = client.post(
        "/groups/new/",
        {"display_name": "LUNCH CLUB", "group_type": "security", "membership_policy": "open"},
    )
    assert response.status_code == 200
    assert "already exists" in str(response.context["form"].errors["display_name"])
    client.force_login(unlicensed_user)
    response = client.post(
        "/groups/new/",
        {"display_name": "Secret", "group_type": "security", "membership_policy": "owner_approval"},
    )
    assert "Premium license" in str(response.context["form"].errors["membership_policy"])
    assert not Group.objects.filter(display_name="Secret").exists()


@pytest.mark.django_db
def test_create_form_offers_only_creatable_types(client, tenant, owner):
    set_settings(tenant, users_can_create_security_groups=False)
    client.force_login(owner)
    choices = [
        value
        for value, _ in client.get("/groups/new/").context["form"].fields["group_type"].choices
    ]
    assert choices == ["microsoft365"]
    set_settings(tenant, users_can_create_microsoft365_groups=False)
    assert client.get("/groups/new/").status_code == 403


@pytest.mark.django_db
def test_edit_group_refused_when_the_setting_is_no(client, tenant, group, owner):
    set_settings(tenant, users_can_create_security_groups=False)
    client.force_login(owner)
    response = client.get(f"/groups/{group.pk}/edit/")
    assert response.status_code == 403
    assert "Users can create security groups" in response.content.decode()
    page = client.get(f"/groups/{group.pk}/").content.decode()
    assert "Edit group" not in page and "Add members" in page


@pytest.mark.django_db
def test_nul_in_input_is_a_clear_error_not_a_500(client, owner):
    client.force_login(owner)
    response = client.post(
        "/groups/new/",
        {"display_name": "a\x00b", "group_type": "security", "membership_policy": "open"},
    )
    assert response.status_code == 200
    assert "NUL" in str(response.context["form"].errors)
    assert client.get("/groups/?q=a%00b").status_code == 200


# --- Add members: paste or upload many, preview first ----------------------------------------


@pytest.mark.django_db
def test_paste_50_emails_preview_then_add_47(client, tenant, owner):
    group = GroupFactory(created_by=owner, membership_policy="closed")
    people = _people(tenant, 47)
    pasted = "\n".join(
        [p.email for p in people] + ["ghost1@x.test", "ghost2@x.test", "not an email"]
    )
    client.force_login(owner)
    preview = client.post(f"/groups/{group.pk}/members/add/", {"emails": pasted})
    assert preview.status_code == 200
    result = preview.context["preview"]
    assert len(result.plan.added) == 47
    assert result.unknown == ["ghost1@x.test", "ghost2@x.test"]
    assert result.not_emails == ["not an email"]  # not "Not found": it isn't an address at all
    assert not Membership.objects.filter(group=group).exists()  # nothing added before confirming
    response = client.post(
        f"/groups/{group.pk}/members/add/",
        {"confirm": "1", "user": [p.pk for p in result.plan.added]},
        follow=True,
    )
    assert "Added 47 members" in response.content.decode()
    assert Membership.objects.filter(group=group).count() == 47


@pytest.mark.django_db
def test_csv_upload_preview_lists_other_tenant_people_as_unknown(
    client, owner, member, other_tenant_user
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    group = GroupFactory(created_by=owner)
    upload = SimpleUploadedFile(
        "people.csv", f"name,email\nMia,{member.email}\nF,{other_tenant_user.email}\n".encode()
    )
    client.force_login(owner)
    result = client.post(f"/groups/{group.pk}/members/add/", {"csv_file": upload}).context[
        "preview"
    ]
    assert [p.pk for p in result.plan.added] == [member.pk]
    assert result.unknown == [other_tenant_user.email]


@pytest.mark.django_db
def test_people_search_stays_in_the_tenant(client, owner, member, other_tenant_user):
    client.force_login(owner)
    html = client.get("/people/search/?q=fe", **HTMX).content.decode()
    assert other_tenant_user.email not in html
    html = client.get("/people/search/?q=mia", **HTMX).content.decode()
    assert member.email in html


@pytest.mark.django_db
def test_member_csv_export_is_injection_safe(client, tenant, owner):
    group = GroupFactory(created_by=owner)
    sneaky = UserFactory(tenant=tenant, display_name='=HYPERLINK("http://evil")')
    actions.add_members(group, actor=owner, people=[sneaky])
    client.force_login(owner)
    response = client.get(f"/groups/{group.pk}/members.csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["display_name", "email", "added_via", "member_since"]
    assert rows[1][0].startswith("'=")


@pytest.mark.django_db
def test_remove_member_and_owners(client, group, owner, member, outsider):
    client.force_login(owner)
    client.post(f"/groups/{group.pk}/members/remove/", {"user": member.pk})
    assert not Membership.objects.filter(group=group, user=member).exists()
    client.post(f"/groups/{group.pk}/owners/add/", {"email": outsider.email})
    assert group.ownerships.filter(user=outsider).exists()
    client.post(f"/groups/{group.pk}/owners/remove/", {"user": outsider.pk})
    assert not group.ownerships.filter(user=outsider).exists()
    response = client.post(f"/groups/{group.pk}/owners/remove/", {"user": owner.pk}, follow=True)
    assert "last owner" in response.content.decode()


@pytest.mark.django_db
def test_discover_htmx_search_returns_the_results_partial(client, open_group, owner):
    client.force_login(owner)
    partial = client.get("/groups/?q=lunch", **HTMX).content.decode()
    assert 'id="results"' in partial and "Lunch club" in partial and "<html" not in partial
    full = client.get("/groups/?q=lunch").content.decode()
    assert "<html" in full
    restore = client.get(
        "/groups/?q=lunch", HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    assert "<html" in restore.content.decode()


@pytest.mark.django_db
def test_the_only_owner_is_not_offered_remove_owner(client, group, owner, tenant_admin):
    client.force_login(owner)
    assert "Remove owner" not in client.get(f"/groups/{group.pk}/").content.decode()
    client.force_login(tenant_admin)  # a global admin may remove the last owner
    assert "Remove owner" in client.get(f"/groups/{group.pk}/").content.decode()


@pytest.mark.django_db
def test_approve_selected_with_nothing_decidable_says_so(client, group, member, requester):
    join_request = JoinRequest.objects.get(requester=requester)
    client.force_login(member)
    response = client.post(
        "/approvals/approve-selected/", {"request": [join_request.pk]}, follow=True
    )
    assert "None of the selected requests is waiting for your decision" in response.content.decode()
    assert JoinRequest.objects.get(pk=join_request.pk).status == "pending"


@pytest.mark.django_db
def test_times_read_just_now(client, group, requester):
    client.force_login(requester)
    assert "just now" in client.get(f"/groups/{group.pk}/").content.decode()


@pytest.mark.django_db
def test_approvals_tells_an_unlicensed_owner_why_they_cant_decide(client, unlicensed_user):
    GroupFactory(created_by=unlicensed_user)
    client.force_login(unlicensed_user)
    page = client.get("/approvals/").content.decode()
    assert "Approving or denying requests needs a Premium license" in page
    assert "for a license" in page


# --- The people picker (review round 1: it forgot ticks; one picker everywhere) ---------------


@pytest.mark.django_db
def test_the_picker_marks_current_members_and_owners_instead_of_offering_them(
    client, group, owner, member, requester
):
    client.force_login(owner)
    members = client.get(
        "/people/search/", {"q": "contoso", "group": group.pk, "mark": "members"}, **HTMX
    ).content.decode()
    assert "Already a member" in members
    assert f'data-pick="{member.pk}"' not in members  # Mia is in: not offered
    assert f'data-pick="{requester.pk}"' in members
    owners = client.get(
        "/people/search/", {"q": "contoso", "group": group.pk, "mark": "owners"}, **HTMX
    ).content.decode()
    assert "Already an owner" in owners and f'data-pick="{owner.pk}"' not in owners
    assert f'data-pick="{member.pk}"' in owners


@pytest.mark.django_db
def test_the_picker_marks_nothing_for_someone_who_may_not_see_the_members(
    client, group, outsider, member
):
    client.force_login(outsider)
    response = client.get(
        "/people/search/", {"q": "mia", "group": group.pk, "mark": "members"}, **HTMX
    )
    assert response.status_code == 403  # the member list is hidden from them
    assert member.email not in response.content.decode()


@pytest.mark.django_db
def test_add_owners_adds_everyone_picked(client, group, owner, member, outsider):
    client.force_login(owner)
    response = client.post(
        f"/groups/{group.pk}/owners/add/", {"user": [member.pk, outsider.pk]}, follow=True
    )
    assert set(group.ownerships.values_list("user_id", flat=True)) == {
        owner.pk,
        member.pk,
        outsider.pk,
    }
    assert "Mia Member, Otto Outsider are now an owner" in response.content.decode()
    again = client.post(f"/groups/{group.pk}/owners/add/", {"user": [member.pk]}, follow=True)
    assert "already an owner" in again.content.decode()


@pytest.mark.django_db
def test_add_members_from_the_picker_and_without_javascript_by_email(
    client, group, owner, outsider, requester
):
    client.force_login(owner)
    client.post(f"/groups/{group.pk}/members/add/", {"confirm": "1", "user": [outsider.pk]})
    assert Membership.objects.filter(group=group, user=outsider).exists()
    client.post(
        f"/groups/{group.pk}/members/add/", {"confirm": "1", "q": "Rita@Contoso.test"}
    )  # the search box's text, posted without JavaScript
    assert Membership.objects.filter(group=group, user=requester).exists()
    page = client.get(f"/groups/{group.pk}/members/add/").content.decode()
    assert "mark=members" in page and "data-picker" in page


# --- Discover: what you can act on first, and a "Can join" filter (review round 1) ------------


@pytest.mark.django_db
def test_discover_lists_groups_you_can_join_before_the_rest(client, owner, outsider):
    for n in range(9):
        GroupFactory(
            created_by=UserFactory(tenant=owner.tenant, role="global_admin"),
            display_name=f"A distribution list {n}",
            group_type="distribution",
            source="admin_center",
        )
    GroupFactory(created_by=owner, display_name="Zebra club", membership_policy="open")
    GroupFactory(created_by=owner, display_name="Yak club", membership_policy="owner_approval")
    GroupFactory(created_by=owner, display_name="Closed shop", membership_policy="closed")
    client.force_login(outsider)
    names = [row.group.display_name for row in client.get("/groups/").context["rows"]]
    assert names[:2] == ["Yak club", "Zebra club"]
    assert names[2:] == sorted(names[2:]) and "Closed shop" in names[2:]  # the rest, by name
    joinable = client.get("/groups/", {"join": "1"}).context["rows"]
    assert [row.group.display_name for row in joinable] == ["Yak club", "Zebra club"]
    assert 'name="join"' in client.get("/groups/").content.decode()


@pytest.mark.django_db
def test_can_join_leaves_out_groups_im_in_or_waiting_for(client, group, member, requester):
    client.force_login(requester)  # waiting for Site collaborators
    assert not client.get("/groups/", {"join": "1"}).context["rows"]
    client.force_login(member)  # in it
    assert not client.get("/groups/", {"join": "1"}).context["rows"]


@pytest.mark.django_db
def test_an_in_place_decision_clears_the_pages_old_banners(client, group, owner, requester):
    join_request = JoinRequest.objects.get(requester=requester)
    client.force_login(owner)
    html = client.post(f"/requests/{join_request.pk}/approve/", **HTMX).content.decode()
    assert '<div id="messages" aria-live="polite" hx-swap-oob="true"></div>' in html
    assert "request to join “Site collaborators” approved" in html  # said in the row instead
