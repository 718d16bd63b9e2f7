"""Admin center: global admins only, their tenant only; every write audited; bounded queries."""

import csv
import io
import tracemalloc

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from groups import actions, counts
from groups.models import Group, JoinRequest, Membership
from tenants.models import AuditEvent, Tenant, User
from tests.admin_forms import inline_management
from tests.conftest import set_settings
from tests.factories import PASSWORD, GroupFactory, UserFactory

ADMIN_CENTER_PAGES = [
    "/admin-center/",
    "/admin-center/settings/",
    "/admin-center/groups/",
    "/admin-center/groups/new/",
    "/admin-center/requests/",
    "/admin-center/users/",
    "/admin-center/applications/",
    "/admin-center/scim-tokens/",
    "/admin-center/audit/",
    "/admin-center/audit.csv",
]


@pytest.fixture
def fabrikam_admin(other_tenant):
    return UserFactory(tenant=other_tenant, role="global_admin", email="fiona@fabrikam.test")


@pytest.mark.django_db
@pytest.mark.parametrize("path", ADMIN_CENTER_PAGES)
def test_a_non_admin_gets_403_on_every_admin_center_url(client, owner, path):
    client.force_login(owner)
    assert client.get(path).status_code == 403


@pytest.mark.django_db
def test_a_non_admin_gets_403_on_admin_center_writes(client, owner, member):
    client.force_login(owner)
    assert (
        client.post("/admin-center/settings/", {"restrict_access_to_groups": "True"}).status_code
        == 403
    )
    assert (
        client.post(f"/admin-center/users/{member.pk}/", {"role": "global_admin"}).status_code
        == 403
    )
    member.refresh_from_db()
    assert member.role == "member"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ADMIN_CENTER_PAGES[1:])
def test_the_global_admin_opens_every_page(client, tenant_admin, group, path):
    client.force_login(tenant_admin)
    assert client.get(path).status_code == 200


# --- General settings ------------------------------------------------------------------------

SETTINGS_FORM = {
    "owners_can_manage_requests": "True",
    "restrict_access_to_groups": "False",
    "users_can_create_security_groups": "True",
    "users_can_create_microsoft365_groups": "True",
    "owners_who_can_assign_owners": "all",
}


@pytest.mark.django_db
def test_saving_settings_applies_on_the_next_request_with_one_audit_event(
    client, tenant_admin, member
):
    member_client = client.__class__()
    member_client.force_login(member)
    assert member_client.get("/groups/").status_code == 200
    client.force_login(tenant_admin)
    before = AuditEvent.objects.count()
    response = client.post(
        "/admin-center/settings/", {**SETTINGS_FORM, "restrict_access_to_groups": "True"}
    )
    assert response.status_code == 302
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.latest("id")
    assert (event.action, event.data) == (
        "settings.updated",
        {"restrict_access_to_groups": {"old": False, "new": True}},
    )
    assert member_client.get("/groups/").status_code == 403  # the very next request


@pytest.mark.django_db
def test_selected_owner_assigners_are_picked_in_the_people_picker(
    client, tenant_admin, owner, other_tenant_user
):
    client.force_login(tenant_admin)
    selected = {**SETTINGS_FORM, "owners_who_can_assign_owners": "selected"}
    response = client.post(
        "/admin-center/settings/", {**selected, "selected_owner_assigners": [other_tenant_user.pk]}
    )
    assert response.status_code == 200
    assert "is not a person of your organisation" in response.content.decode()
    response = client.post(
        "/admin-center/settings/", {**selected, "selected_owner_assigners": [owner.pk]}
    )
    assert response.status_code == 302
    settings = tenant_admin.tenant.settings
    settings.refresh_from_db()
    assert list(settings.selected_owner_assigners.all()) == [owner]
    page = client.get("/admin-center/settings/").content.decode()
    assert f'name="selected_owner_assigners" value="{owner.pk}"' in page  # a chip


@pytest.mark.django_db
def test_settings_labels_are_the_exact_setting_names(client, tenant_admin):
    client.force_login(tenant_admin)
    html = client.get("/admin-center/settings/").content.decode()
    for label in (
        "Owners can manage group membership requests in the Access Panel",
        "Restrict access to Groups in the Access Panel",
        "Users can create security groups",
        "Users can create Microsoft 365 groups",
        "Owners who can assign members as group owners",
        "Save",
    ):
        assert label in html


# --- Groups and requests ---------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_creates_a_group_with_no_owner_and_finds_it_as_ownerless(client, tenant_admin, group):
    client.force_login(tenant_admin)
    response = client.post(
        "/admin-center/groups/new/",
        {
            "display_name": "Expenses users",
            "description": "",
            "group_type": "security",
            "membership_policy": "",
        },
    )
    created = Group.objects.get(display_name="Expenses users")
    assert response["Location"] == f"/groups/{created.pk}/"
    assert (created.source, created.membership_policy, created.ownerships.count()) == (
        "admin_center",
        "closed",
        0,
    )
    listing = client.get("/admin-center/groups/?ownerless=1").content.decode()
    assert "Expenses users" in listing and "Site collaborators" not in listing
    filtered = client.get(
        "/admin-center/groups/?source=access_panel&policy=owner_approval&type=security"
    )
    assert "Site collaborators" in filtered.content.decode()


@pytest.mark.django_db
def test_requests_go_to_the_admin_when_owners_may_not_manage_them(
    client, tenant, tenant_admin, group, requester
):
    set_settings(tenant, owners_can_manage_requests=False)
    client.force_login(tenant_admin)
    page = client.get("/admin-center/requests/").content.decode()
    assert "Rita Requester" in page and "Launch work" in page
    join_request = JoinRequest.objects.get(requester=requester)
    client.post(
        "/approvals/approve-selected/",
        {"request": [join_request.pk], "next": "/admin-center/requests/"},
    )
    assert Membership.objects.filter(group=group, user=requester).exists()


# --- Users -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_premium_seats_are_shown_and_enforced(client, tenant, tenant_admin, unlicensed_user):
    Tenant.objects.filter(pk=tenant.pk).update(
        premium_seats=User.objects.filter(tenant=tenant, has_premium_license=True).count()
    )
    client.force_login(tenant_admin)
    assert "0 free" in client.get("/admin-center/users/").content.decode()
    response = client.post(
        f"/admin-center/users/{unlicensed_user.pk}/",
        {"role": "member", "has_premium_license": "on", "is_active": "on"},
        follow=True,
    )
    assert "Premium seats" in response.content.decode()
    unlicensed_user.refresh_from_db()
    assert unlicensed_user.has_premium_license is False


@pytest.mark.django_db
def test_deactivating_cancels_pending_requests_and_sign_in(client, tenant_admin, group, requester):
    signed_in_elsewhere = client.__class__()
    signed_in_elsewhere.force_login(requester)
    assert signed_in_elsewhere.get("/").status_code == 200
    client.force_login(tenant_admin)
    before = AuditEvent.objects.count()
    client.post(
        f"/admin-center/users/{requester.pk}/", {"role": "member", "has_premium_license": "on"}
    )
    requester.refresh_from_db()
    assert requester.is_active is False
    assert JoinRequest.objects.get(requester=requester).status == "cancelled"
    assert list(
        AuditEvent.objects.filter(pk__gt=0).order_by("-id").values_list("action", flat=True)[:2]
    ) == [
        "request.cancelled",
        "user.deactivated",
    ]
    assert AuditEvent.objects.count() == before + 2
    assert signed_in_elsewhere.get("/").status_code == 302  # their open session ends too
    client.logout()
    client.post("/accounts/login/", {"login": requester.email, "password": PASSWORD})
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_admin_changes_a_role(client, tenant_admin, member):
    client.force_login(tenant_admin)
    client.post(
        f"/admin-center/users/{member.pk}/",
        {"role": "global_admin", "has_premium_license": "on", "is_active": "on"},
    )
    member.refresh_from_db()
    assert member.is_global_admin


# --- Tenant isolation ------------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_of_another_tenant_sees_nothing_of_contoso(
    client, fabrikam_admin, group, member, requester
):
    client.force_login(fabrikam_admin)
    join_request = JoinRequest.objects.get(requester=requester)
    # Admin center
    assert client.get(f"/groups/{group.pk}/").status_code == 404
    assert (
        client.post(f"/admin-center/users/{member.pk}/", {"role": "global_admin"}).status_code
        == 404
    )
    assert client.post(f"/requests/{join_request.pk}/approve/").status_code == 404
    # Django admin: change, history, delete and autocomplete
    for url in (
        f"/admin/groups/group/{group.pk}/change/",
        f"/admin/groups/group/{group.pk}/history/",
        f"/admin/groups/group/{group.pk}/delete/",
        f"/admin/groups/joinrequest/{join_request.pk}/change/",
        f"/admin/tenants/user/{member.pk}/change/",
        f"/admin/tenants/generalsettings/{group.tenant.settings.pk}/change/",
    ):
        assert client.get(url).status_code == 404, url
    autocomplete = client.get(
        "/admin/autocomplete/",
        {
            "app_label": "groups",
            "model_name": "membership",
            "field_name": "user",
            "term": "contoso",
        },
    )
    assert autocomplete.status_code == 200
    assert autocomplete.json()["results"] == []
    # Lists, in the admin center and in Django admin (with its filter choices)
    for url in (
        "/admin-center/groups/",
        "/admin-center/users/",
        "/admin-center/requests/",
        "/admin-center/audit/",
        "/admin/groups/group/",
        "/admin/groups/joinrequest/",
        "/admin/tenants/user/",
        "/admin/tenants/auditevent/",
    ):
        html = client.get(url).content.decode()
        for contoso_text in ("Site collaborators", member.email, "Rita", "Contoso"):
            assert contoso_text not in html, (url, contoso_text)


@pytest.mark.django_db
def test_a_non_admin_cant_open_django_admin(client, owner):
    client.force_login(owner)
    response = client.get("/admin/groups/group/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


# --- Django admin writes go through actions --------------------------------------------------


@pytest.mark.django_db
def test_editing_membership_in_django_admin_writes_the_panels_audit_events(
    client, tenant_admin, group, owner, member, outsider
):
    client.force_login(tenant_admin)
    owner_row = group.ownerships.get()
    member_row = Membership.objects.get(group=group, user=member)
    data = {
        "display_name": group.display_name,
        "description": group.description,
        "membership_policy": group.membership_policy,
        **inline_management("ownerships", 1, 1),
        "ownerships-0-id": owner_row.pk,
        "ownerships-0-group": group.pk,
        "ownerships-0-user": owner.pk,
        **inline_management("memberships", 2, 1),
        "memberships-0-id": member_row.pk,
        "memberships-0-group": group.pk,
        "memberships-0-user": member.pk,
        "memberships-0-DELETE": "on",
        "memberships-1-group": group.pk,
        "memberships-1-user": outsider.pk,
    }
    before = AuditEvent.objects.count()
    response = client.post(f"/admin/groups/group/{group.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(Membership.objects.filter(group=group).values_list("user", flat=True)) == [
        outsider.pk
    ]
    new_events = AuditEvent.objects.filter(pk__gt=0).order_by("id")[before:]
    assert sorted(e.action for e in new_events) == ["member.added", "member.removed"]
    added = next(e for e in new_events if e.action == "member.added")
    assert added.data["user"]["id"] == outsider.pk and added.data["via"] == "admin"


@pytest.mark.django_db
def test_django_admin_refuses_another_tenants_person_in_an_inline(
    client, tenant_admin, group, other_tenant_user
):
    client.force_login(tenant_admin)
    owner_row = group.ownerships.get()
    data = {
        "display_name": group.display_name,
        "description": group.description,
        "membership_policy": group.membership_policy,
        **inline_management("ownerships", 1, 1),
        "ownerships-0-id": owner_row.pk,
        "ownerships-0-group": group.pk,
        "ownerships-0-user": owner_row.user_id,
        **inline_management("memberships", 1, 0),
        "memberships-0-group": group.pk,
        "memberships-0-user": other_tenant_user.pk,
    }
    response = client.post(f"/admin/groups/group/{group.pk}/change/", data)
    assert response.status_code == 200  # the form re-renders with the field error
    assert not Membership.objects.filter(user=other_tenant_user).exists()


@pytest.mark.django_db
def test_django_admin_creates_groups_through_the_action(client, tenant_admin):
    client.force_login(tenant_admin)
    data = {
        "display_name": "Travel",
        "description": "",
        "group_type": "microsoft365",
        "membership_policy": "open",
        **inline_management("ownerships", 0, 0),
        **inline_management("memberships", 0, 0),
    }
    response = client.post("/admin/groups/group/add/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    group = Group.objects.get(display_name="Travel")
    assert (group.source, group.ownerships.count()) == ("admin_center", 0)
    assert AuditEvent.objects.filter(action="group.created", target_id=str(group.pk)).count() == 1


@pytest.mark.django_db
def test_django_admin_bulk_approve_goes_through_the_action(client, tenant_admin, group, requester):
    client.force_login(tenant_admin)
    join_request = JoinRequest.objects.get(requester=requester)
    response = client.post(
        "/admin/groups/joinrequest/",
        {"action": "approve_selected", "_selected_action": [join_request.pk]},
    )
    assert response.status_code == 302
    assert Membership.objects.filter(group=group, user=requester, added_via="request").exists()
    assert AuditEvent.objects.filter(action="request.approved").count() == 1


@pytest.mark.django_db
def test_delete_selected_is_not_offered(client, tenant_admin, group):
    client.force_login(tenant_admin)
    html = client.get("/admin/groups/group/").content.decode()
    assert "delete_selected" not in html


# --- Audit log -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_audit_log_filters(client, tenant_admin, group, owner, member, requester):
    actions.remove_member(group, actor=owner, person=member)
    client.force_login(tenant_admin)
    page = client.get("/admin-center/audit/", {"action": "member.removed"})
    events = list(page.context["page"])
    assert [e.action for e in events] == ["member.removed"]
    by_person = client.get("/admin-center/audit/", {"person": requester.email}).context["page"]
    assert {e.action for e in by_person} == {"user.created", "request.created"}
    by_actor = client.get("/admin-center/audit/", {"actor": "Olivia"}).context["page"]
    assert {e.actor_id for e in by_actor} == {owner.pk}
    by_group = client.get("/admin-center/audit/", {"group": "site collab"}).context["page"]
    assert by_group.total >= 3
    bad = client.get("/admin-center/audit/", {"since": "2026-12-02", "until": "2026-12-01"})
    assert "must not be before" in bad.content.decode()


@pytest.mark.django_db
def test_audit_csv_export_streams_100k_events_in_flat_memory(client, tenant_admin):
    tenant = tenant_admin.tenant
    base = AuditEvent.objects.filter(tenant=tenant).count()
    hostile = ["=cmd()", "+1", "-2", "@SUM(A1)", "plain"]
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                tenant=tenant,
                actor_label=hostile[n % 5],
                action="load.test",
                target_type="group",
                target_id=str(n),
                target_label=hostile[(n + 1) % 5],
            )
            for n in range(100_000)
        ],
        batch_size=5000,
    )
    client.force_login(tenant_admin)
    response = client.get("/admin-center/audit.csv")
    assert response.streaming
    tracemalloc.start()
    rows = 0
    first_lines = []
    for chunk in response.streaming_content:
        rows += chunk.count(b"\n")
        if len(first_lines) < 10:
            first_lines.append(chunk.decode())
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert rows == 1 + base + 100_000  # header + every event, no cap
    assert peak < 30 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB: not streaming"
    cells = [cell for row in csv.reader(io.StringIO("".join(first_lines))) for cell in row]
    assert all(not cell.startswith(("=", "+", "-", "@")) for cell in cells)
    assert "'=cmd()" in cells


# --- Query counts ----------------------------------------------------------------------------


def _counts(client) -> dict[str, int]:
    counts = {}
    for path in ADMIN_CENTER_PAGES[1:-1]:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        counts[path] = len(queries)
    return counts


@pytest.mark.django_db
def test_admin_center_query_counts_are_pinned_and_independent_of_data_size(
    client, tenant, tenant_admin
):
    client.force_login(tenant_admin)
    owner = UserFactory(tenant=tenant)
    results = {}
    for size in (5, 200):
        people = [UserFactory(tenant=tenant, has_premium_license=False) for _ in range(size)]
        for n, person in enumerate(people):
            group = GroupFactory(
                created_by=owner, display_name=f"S{size}-{n}", membership_policy="owner_approval"
            )
            JoinRequest.objects.create(group=group, requester=person, justification="x")
        counts.reset(Group.objects.filter(tenant=tenant).values_list("pk", flat=True))
        results[size] = _counts(client)
    assert results[5] == results[200]
    # Every page: session, user+tenant, Approvals badge count (3; an admin's decisions need
    # no General settings, and no "owns any group?" query to see Approvals).
    # Then: settings page = the settings and selected assigners (2); groups = count, page,
    # owners prefetch (3); create group = nothing more (0); requests = the page after the
    # cursor (1: the total is the badge's number, from the groups' pending counts);
    # users = seats, count, page (3); audit = count, page (2; the action and surface choices
    # are static lists, not a DISTINCT scan); applications = one annotated list (1); SCIM
    # tokens = the tokens with their creators (1).
    assert results[200] == {
        "/admin-center/settings/": 5,
        "/admin-center/groups/": 6,
        "/admin-center/groups/new/": 3,
        "/admin-center/requests/": 4,
        "/admin-center/users/": 6,
        "/admin-center/applications/": 4,
        "/admin-center/scim-tokens/": 4,
        "/admin-center/audit/": 5,
    }


@pytest.mark.django_db
def test_big_groups_are_managed_on_the_group_page_not_in_a_huge_admin_form(
    client, tenant, tenant_admin, owner
):
    from groups.admin import MAX_INLINE_MEMBERS

    group = GroupFactory(created_by=owner)
    people = [
        UserFactory(tenant=tenant, has_premium_license=False) for _ in range(MAX_INLINE_MEMBERS + 1)
    ]
    Membership.objects.bulk_create(
        Membership(group=group, user=p, added_via="owner") for p in people
    )
    counts.reset([group.pk])
    client.force_login(tenant_admin)
    html = client.get(f"/admin/groups/group/{group.pk}/change/").content.decode()
    assert "memberships-TOTAL_FORMS" not in html
    assert f"{MAX_INLINE_MEMBERS + 1} — " in html and f"/groups/{group.pk}/" in html


@pytest.mark.django_db
def test_decisions_made_in_the_admin_center_are_audited_as_made_there(
    client, tenant_admin, group, requester
):
    join_request = JoinRequest.objects.get(requester=requester)
    client.force_login(tenant_admin)
    page = client.get("/admin-center/requests/").content.decode()
    assert f'action="/admin-center/requests/{join_request.pk}/approve/"' in page
    assert 'action="/admin-center/requests/approve-selected/"' in page
    response = client.post(
        f"/admin-center/requests/{join_request.pk}/approve/", HTTP_HX_REQUEST="true"
    )
    assert 'hx-post="/admin-center/requests/' not in response.content.decode()  # decided
    event = AuditEvent.objects.latest("id")
    assert (event.action, event.surface) == ("request.approved", "admin_center")


# --- One rule, one behaviour: "Selected" owner assigners (review round 1) ---------------------


@pytest.mark.django_db
def test_selected_with_nobody_is_refused_at_its_field_in_the_admin_center(client, tenant_admin):
    client.force_login(tenant_admin)
    response = client.post(
        "/admin-center/settings/", {**SETTINGS_FORM, "owners_who_can_assign_owners": "selected"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["selected_owner_assigners"] == [
        "With “Selected”, name at least one person who may make someone a group owner."
    ]


@pytest.mark.django_db
def test_selected_with_nobody_is_refused_in_django_admin_too(client, tenant, tenant_admin):
    client.force_login(tenant_admin)
    before = AuditEvent.objects.count()
    response = client.post(
        f"/admin/tenants/generalsettings/{tenant.settings.pk}/change/",
        {
            "owners_can_manage_requests": "on",
            "users_can_create_security_groups": "on",
            "users_can_create_microsoft365_groups": "on",
            "owners_who_can_assign_owners": "selected",
        },
        follow=True,
    )
    assert "name at least one person" in response.content.decode()
    tenant.settings.refresh_from_db()
    assert tenant.settings.owners_who_can_assign_owners == "all"
    assert AuditEvent.objects.count() == before


@pytest.mark.django_db
def test_one_unknown_person_among_several_is_named_without_a_false_error(
    client, tenant_admin, owner
):
    client.force_login(tenant_admin)
    response = client.post(
        "/admin-center/settings/",
        {
            **SETTINGS_FORM,
            "owners_who_can_assign_owners": "selected",
            "selected_owner_assigners": [owner.pk, 999999],
        },
    )
    errors = response.context["form"].errors["selected_owner_assigners"]
    assert errors == ["999999 is not a person of your organisation."]


@pytest.mark.django_db
def test_the_unchanged_settings_form_saves_when_a_selected_person_was_deactivated(
    client, tenant, tenant_admin, owner, member
):
    set_settings(
        tenant, owners_who_can_assign_owners="selected", selected_owner_assigners=[owner, member]
    )
    from tenants.actions import update_user

    update_user(member, actor=tenant_admin, is_active=False)
    client.force_login(tenant_admin)
    form = client.get("/admin-center/settings/").context["form"]
    posted = {**SETTINGS_FORM, **{k: v for k, v in form.initial.items() if v is not None}}
    posted = {k: ("True" if v is True else "False" if v is False else v) for k, v in posted.items()}
    response = client.post("/admin-center/settings/", posted)
    assert response.status_code == 302, response.context["form"].errors


# --- The audit log in plain words (review round 1) ---------------------------------------------


@pytest.mark.django_db
def test_the_audit_log_speaks_plain_words(client, tenant, tenant_admin, group, owner, requester):
    join_request = JoinRequest.objects.get(requester=requester)
    actions.approve_request(join_request, actor=owner)
    client.force_login(tenant_admin)
    client.post("/admin-center/settings/", {**SETTINGS_FORM, "restrict_access_to_groups": "True"})
    html = client.get("/admin-center/audit/").content.decode().split("<tbody>")[1]
    for code in ("request.approved", "settings.updated", "restrict_access_to_groups", "False →"):
        assert code not in html, code
    for words in (
        "Request approved",
        "General settings changed",
        "Restrict access to Groups in the Access Panel:</span> No → Yes",
        "General settings of Contoso",
        "Group · Site collaborators",
        "Membership policy:</span> Owner approval",
        "Admin center",
        "Panel",
        "UTC",
    ):
        assert words in html, words
    assert "generalsettings ·" not in html


@pytest.mark.django_db
def test_audit_dates_are_typed_as_the_pages_write_them(client, tenant_admin, group):
    client.force_login(tenant_admin)
    today = timezone.localdate()
    for typed in (f"{today:%d %b %Y}", today.isoformat()):
        response = client.get("/admin-center/audit/", {"since": typed, "until": typed})
        assert response.context["form"].is_valid(), response.context["form"].errors
        assert response.context["page"].total > 0
    html = client.get("/admin-center/audit/", {"since": today.isoformat()}).content.decode()
    assert 'type="date"' not in html
    assert 'placeholder="e.g. 1 Nov 2026"' in html  # the pages' own format
