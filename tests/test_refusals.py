"""Every refusal kind on every surface that exists: one hierarchy, mapped once per surface
(tenants/web.py for the panel and the Admin center, tenants/admin.py for Django admin)."""

import pytest
from django.contrib.messages import get_messages

from groups import actions
from groups.models import Group, JoinRequest
from groups.policy import MAX_GROUPS_CREATED_PER_USER
from tests.admin_forms import new_group_form
from tests.factories import GroupFactory, UserFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- The panel: full pages -------------------------------------------------------------------


@pytest.mark.django_db
def test_panel_not_allowed_is_the_403_page_with_the_policys_reason(client, group, member):
    client.force_login(member)
    response = client.post(f"/groups/{group.pk}/edit/", {"display_name": "Mine"})
    assert response.status_code == 403
    assert "Only the group&#x27;s owners can do this." in response.content.decode()


@pytest.mark.django_db
def test_panel_not_found_is_the_404_page(client, group, other_tenant_user):
    client.force_login(other_tenant_user)
    assert client.post(f"/groups/{group.pk}/leave/").status_code == 404


@pytest.mark.django_db
def test_panel_conflict_is_a_message_on_the_page_it_came_from(client, group, owner, requester):
    join_request = JoinRequest.objects.get(requester=requester)
    actions.deny_request(join_request, actor=owner)
    client.force_login(owner)
    response = client.post(
        f"/requests/{join_request.pk}/approve/", {"next": f"/groups/{group.pk}/"}
    )
    assert (response.status_code, response.url) == (302, f"/groups/{group.pk}/")
    assert _messages(response) == ["This request is already denied."]


@pytest.mark.django_db
def test_panel_invalid_input_is_a_field_error_on_the_form(client, group, outsider):
    client.force_login(outsider)
    response = client.post(f"/groups/{group.pk}/join/", {"justification": "   "})
    assert response.status_code == 200
    form = response.context["join_form"]
    assert form.errors["justification"] == ["Business justification is required."]
    assert not JoinRequest.objects.filter(requester=outsider).exists()


@pytest.mark.django_db
def test_the_250_groups_limit_is_a_form_error_not_a_403(client, tenant, owner):
    """What the loser of a race for the last group sees: the action refuses, the form says so."""
    Group.objects.bulk_create(
        Group(
            tenant=tenant,
            display_name=f"Mine {n}",
            name_key=f"mine {n}",
            group_type="security",
            source="access_panel",
            membership_policy="open",
            created_by=owner,
        )
        for n in range(MAX_GROUPS_CREATED_PER_USER)
    )
    client.force_login(owner)
    response = client.post(
        "/groups/new/",
        {"display_name": "One more", "group_type": "security", "membership_policy": "open"},
    )
    assert response.status_code == 200
    assert "limit of 250 groups" in str(response.context["form"].non_field_errors())


@pytest.mark.django_db
def test_a_refusal_naming_a_field_lands_at_that_field(client, owner, unlicensed_user):
    client.force_login(unlicensed_user)
    response = client.post(
        "/groups/new/",
        {"display_name": "Gated", "group_type": "security", "membership_policy": "owner_approval"},
    )
    assert "Premium license" in str(response.context["form"].errors["membership_policy"])


# --- The panel: HTMX ------------------------------------------------------------------------


@pytest.mark.django_db
def test_htmx_not_allowed_and_not_found_are_partials_in_the_messages_area(
    client, group, outsider, other_tenant_user
):
    client.force_login(outsider)
    refused = client.get(f"/groups/{group.pk}/members/", **HTMX)
    assert refused.status_code == 403
    assert refused["HX-Retarget"] == "#messages"
    assert "Only the group&#x27;s owners, its members" in refused.content.decode()
    client.force_login(other_tenant_user)
    missing = client.get(f"/groups/{group.pk}/members/", **HTMX)
    assert (missing.status_code, missing["HX-Retarget"]) == (404, "#messages")
    assert "another organisation" in missing.content.decode()


@pytest.mark.django_db
def test_htmx_conflict_and_invalid_come_back_in_the_requests_row(client, group, owner, requester):
    join_request = JoinRequest.objects.get(requester=requester)
    client.force_login(owner)
    too_long = client.post(
        f"/requests/{join_request.pk}/deny/", {"reason": "x" * 1001}, **HTMX
    ).content.decode()
    assert f'id="request-{join_request.pk}"' in too_long
    assert "at most 1000 characters" in too_long
    assert JoinRequest.objects.get(pk=join_request.pk).status == "pending"
    actions.approve_request(
        join_request, actor=UserFactory(tenant=owner.tenant, role="global_admin")
    )
    late = client.post(f"/requests/{join_request.pk}/deny/", **HTMX).content.decode()
    assert "This request is already approved." in late
    assert "badge-status-approved" in late  # the row now shows the decision that won


# --- The Admin center ------------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_center_refusals(client, tenant_admin, member):
    client.force_login(member)
    assert client.get("/admin-center/users/").status_code == 403
    client.force_login(tenant_admin)
    own = client.post(
        f"/admin-center/users/{tenant_admin.pk}/",
        {"role": "member", "is_active": "on", "next": "/admin-center/users/"},
    )
    assert own.status_code == 403  # not allowed: a page with the reason
    assert "change your own role" in own.content.decode()
    taken = client.post(
        "/admin-center/groups/new/",
        {"display_name": "Taken", "group_type": "security", "membership_policy": ""},
    )
    assert taken.status_code == 302
    again = client.post(
        "/admin-center/groups/new/",
        {"display_name": "TAKEN", "group_type": "security", "membership_policy": ""},
    )
    assert "already exists" in str(again.context["form"].errors["display_name"])


# --- Django admin ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_django_admin_shows_refusals_as_admin_messages(client, tenant, tenant_admin, owner):
    client.force_login(tenant_admin)
    GroupFactory(created_by=owner, display_name="Finance")
    duplicate = client.post("/admin/groups/group/add/", new_group_form("finance"), follow=True)
    assert "already exists in your organisation" in duplicate.content.decode()
    assert Group.objects.filter(display_name__iexact="finance").count() == 1
    own = client.post(
        f"/admin/tenants/user/{tenant_admin.pk}/change/",
        {
            "email": tenant_admin.email,
            "display_name": "Ada Admin",
            "role": "member",
            "has_premium_license": "on",
            "is_active": "on",
        },
        follow=True,
    )
    assert "You can&#x27;t change your own role" in own.content.decode()
    other = UserFactory(tenant=UserFactory().tenant)
    assert client.get(f"/admin/tenants/user/{other.pk}/change/").status_code == 404
