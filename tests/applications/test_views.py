"""The application pages: owners in the panel, global admins in the Admin center; who has access
and why, assignments, blocks, moving direct access; My apps; bounded queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from applications import actions as app_actions
from applications.models import Access, Application, Assignment, Block
from groups import actions
from tenants.models import AuditEvent, User
from tests.factories import GroupFactory, UserFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def expenses(tenant_admin, owner):
    return app_actions.create_application(
        actor=tenant_admin, name="Expenses", kind="saas_app", owners=[owner]
    )


@pytest.fixture
def users_group(tenant_admin):
    return GroupFactory(
        created_by=tenant_admin,
        display_name="Expenses users",
        source="admin_center",
        membership_policy="closed",
    )


def test_owners_see_their_applications_page_others_get_a_404(
    client, expenses, owner, member, other_tenant_user
):
    client.force_login(owner)
    page = client.get(f"/applications/{expenses.pk}/")
    assert page.status_code == 200
    assert "Who has access" in page.content.decode()
    assert "Block access" not in page.content.decode()  # global admins only
    for stranger in (member, other_tenant_user):
        client.force_login(stranger)
        assert client.get(f"/applications/{expenses.pk}/").status_code == 404


def test_the_admin_center_is_for_global_admins(client, expenses, owner, tenant_admin):
    client.force_login(owner)
    assert client.get(f"/admin-center/applications/{expenses.pk}/").status_code == 403
    assert client.get("/admin-center/applications/").status_code == 403
    client.force_login(tenant_admin)
    page = client.get(f"/admin-center/applications/{expenses.pk}/").content.decode()
    for section in ("Who has access", "Block access", "Move direct access into a group"):
        assert section in page


def test_an_owner_assigns_a_group_and_its_members_get_access(
    client, expenses, owner, users_group, tenant_admin, member
):
    actions.add_members(users_group, actor=tenant_admin, people=[member])
    client.force_login(owner)
    response = client.post(
        f"/applications/{expenses.pk}/assign/",
        {"principal_type": "group", "group": "  expenses \u00a0 USERS "},  # typed loosely
        follow=True,
    )
    assert "Expenses users now has access." in response.content.decode()
    assert Access.objects.filter(application=expenses, user=member, blocked=False).exists()
    event = AuditEvent.objects.get(action="assignment.added")
    assert (event.actor, event.surface) == (owner, "panel")
    page = client.get(f"/applications/{expenses.pk}/").content.decode()
    assert "group “Expenses users”" in page


def test_an_unknown_group_is_a_field_error_and_changes_nothing(client, expenses, owner):
    client.force_login(owner)
    response = client.post(
        f"/applications/{expenses.pk}/assign/", {"principal_type": "group", "group": "Nope"}
    )
    assert response.status_code == 422
    assert "No group called “Nope”" in str(response.context["assign_form"].errors["group"])
    assert not Assignment.objects.exists()


def test_a_global_admin_blocks_and_unblocks_in_the_admin_center(
    client, expenses, tenant_admin, member
):
    app_actions.assign(expenses, actor=tenant_admin, user=member)
    client.force_login(tenant_admin)
    client.post(
        f"/admin-center/applications/{expenses.pk}/block/",
        {"person": member.email, "reason": "Left finance"},
    )
    row = Access.objects.get(application=expenses, user=member)
    assert row.blocked
    assert AuditEvent.objects.latest("id").surface == "admin_center"
    page = client.get(f"/admin-center/applications/{expenses.pk}/").content.decode()
    assert "Blocked" in page and "Left finance" in page
    client.post(f"/admin-center/applications/{expenses.pk}/unblock/", {"user": member.pk})
    assert not Block.objects.exists()
    assert not Access.objects.get(application=expenses, user=member).blocked


def test_moving_direct_access_previews_then_moves(
    client, expenses, tenant_admin, users_group, member, outsider
):
    for person in (member, outsider):
        app_actions.assign(expenses, actor=tenant_admin, user=person)
    client.force_login(tenant_admin)
    url = f"/admin-center/applications/{expenses.pk}/move/"
    preview = client.post(url, {"group": "Expenses users", "remove_direct": "on"})
    assert preview.status_code == 200
    assert len(preview.context["move_preview"].plan.added) == 2
    assert not users_group.memberships.exists()  # nothing yet
    client.post(url, {"group": "Expenses users", "remove_direct": "on", "confirm": "1"})
    assert users_group.memberships.count() == 2
    assert not Assignment.objects.filter(application=expenses, user__isnull=False).exists()
    assert Access.objects.filter(application=expenses, blocked=False).count() == 2


def test_my_apps_shows_what_i_can_use_and_through_what(
    client, expenses, tenant_admin, users_group, member
):
    app_actions.assign(expenses, actor=tenant_admin, group=users_group)
    actions.add_members(users_group, actor=tenant_admin, people=[member])
    client.force_login(member)
    page = client.get("/").content.decode()
    assert "My apps" in page and "Expenses" in page
    assert "Through group “Expenses users”" in page
    group_page = client.get(f"/groups/{users_group.pk}/").content.decode()
    assert "Gives access to" in group_page and "Expenses" in group_page


def test_the_access_list_searches_by_htmx_and_exports_every_row(
    client, expenses, tenant_admin, users_group, owner
):
    people = [UserFactory(tenant=owner.tenant, display_name=f"Pat {n:02d}") for n in range(3)]
    actions.add_members(users_group, actor=tenant_admin, people=people)
    app_actions.assign(expenses, actor=tenant_admin, group=users_group)
    client.force_login(owner)
    partial = client.get(f"/applications/{expenses.pk}/access/?q=Pat 01", **HTMX).content.decode()
    assert "Pat 01" in partial and "Pat 02" not in partial and "<html" not in partial
    export = client.get(f"/applications/{expenses.pk}/access.csv")
    lines = b"".join(export.streaming_content).decode().splitlines()
    assert lines[0] == "display_name,email,status,block_reason,paths"
    assert len(lines) == 4 and "group “Expenses users”" in lines[1]


def _queries(client, path: str, **headers) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path, **headers).status_code == 200
    return len(queries)


def test_the_access_page_costs_the_same_queries_for_30_or_200_people(
    client, expenses, tenant_admin, users_group, owner
):
    client.force_login(owner)
    counts = {}
    for size in (30, 200):  # both more than a page (25)
        people = User.objects.bulk_create(
            User(tenant=owner.tenant, email=f"s{size}-{n}@x.test", display_name=f"S{size} {n}")
            for n in range(size)
        )
        actions.add_members(users_group, actor=tenant_admin, people=people)
        if size == 30:
            app_actions.assign(expenses, actor=tenant_admin, group=users_group)
        page = client.get(f"/applications/{expenses.pk}/").context["access_page"]
        deeper = f"/applications/{expenses.pk}/access/?after={page.next_cursor}"
        counts[size] = (
            _queries(client, f"/applications/{expenses.pk}/"),
            _queries(client, deeper, **HTMX),
        )
    assert counts[30] == counts[200], counts
    # The page: session, user, the application (policy), its five decisions in one query,
    # owners, assignments, the access total (up to 10,001) and the page after the cursor,
    # paths (1 + names 2), the navigation's two = 13. The list alone (HTMX): session, user,
    # the application, the total and the page, the paths and their groups' names = 7.
    assert counts[200] == (13, 7), counts


def test_admin_center_lists_applications_and_creates_one(client, tenant_admin, expenses):
    client.force_login(tenant_admin)
    page = client.get("/admin-center/applications/").content.decode()
    assert "Expenses" in page
    response = client.post(
        "/admin-center/applications/", {"name": "Travel", "kind": "saas_app"}, follow=True
    )
    travel = Application.objects.get(name="Travel")
    assert response.redirect_chain[-1][0] == f"/admin-center/applications/{travel.pk}/"
    again = client.post("/admin-center/applications/", {"name": "travel", "kind": "site"})
    assert "already exists" in str(again.context["form"].errors["name"])


def test_an_owner_nests_a_group_on_the_group_page_and_a_loop_is_explained(
    client, tenant_admin, owner, member
):
    parent = GroupFactory(created_by=owner, display_name="Site visitors")
    child = GroupFactory(created_by=owner, display_name="Interns")
    actions.add_members(child, actor=owner, people=[member])
    client.force_login(owner)
    client.post(f"/groups/{parent.pk}/nested/add/", {"group": "interns"})
    page = client.get(f"/groups/{parent.pk}/").content.decode()
    assert 'id="nested-' in page and "Interns" in page
    assert not parent.memberships.filter(user=member).exists()  # not counted as a member
    loop = client.post(
        f"/groups/{child.pk}/nested/add/", {"group": "Site visitors"}, follow=True
    ).content.decode()
    assert "would make a loop: “Interns” → “Site visitors” → “Interns”" in loop
    client.post(f"/groups/{parent.pk}/nested/remove/", {"group": child.pk})
    assert not parent.nested_children.exists()
