"""Admin center: Reminders and expiration (audited), Deleted groups (restore), and the request
history (kept for good, searched with no row cap, exported as a streamed CSV)."""

import csv
import io
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from groups import actions, lifecycle
from groups.models import Group, JoinRequest, MembershipPolicy
from notifications import housekeeping
from tenants.actions import delete_user, update_lifecycle_settings
from tenants.models import AuditEvent, LifecycleSettings
from tests.factories import OPERATOR, GroupFactory, UserFactory

pytestmark = pytest.mark.django_db

PAGES = [
    "/admin-center/lifecycle/",
    "/admin-center/groups/deleted/",
    "/admin-center/requests/history/",
    "/admin-center/requests/history.csv",
]

LIFECYCLE_FORM = {
    "remind_after_days": "2",
    "escalate_after_days": "5",
    "expire_requests_after_days": "",
    "group_expiration_applies_to": "selected",
    "group_lifetime_days": "90",
    "selected_groups": "site collaborators\n",
    "ownerless_group_email": "it@contoso.test",
}


@pytest.mark.parametrize("path", PAGES)
def test_only_global_admins_open_the_new_pages(client, owner, tenant_admin, group, path):
    client.force_login(owner)
    assert client.get(path).status_code == 403
    client.force_login(tenant_admin)
    assert client.get(path).status_code == 200


def test_reminder_and_expiration_settings_are_saved_and_audited(
    client, tenant, tenant_admin, group
):
    client.force_login(tenant_admin)
    page = client.get("/admin-center/lifecycle/")
    for label in (
        "Remind the deciders after (days)",
        "Escalate to global admins after (days) with no decision",
        "Expire pending requests after (days)",
        "Group lifetime (days)",
        "Expiration policy applies to",
    ):
        assert label.encode() in page.content
    response = client.post("/admin-center/lifecycle/", LIFECYCLE_FORM)
    assert response.status_code == 302
    saved = LifecycleSettings.objects.get(tenant=tenant)
    assert (saved.remind_after_days, saved.escalate_after_days) == (2, 5)
    assert saved.expire_requests_after_days is None  # never
    assert saved.group_expiration_applies_to == "selected"
    assert saved.group_expiration_since is not None
    group.refresh_from_db()
    assert group.expiration_selected_at is not None
    event = AuditEvent.objects.get(action="lifecycle_settings.updated")
    assert (event.actor, event.surface) == (tenant_admin, "admin_center")
    assert event.data["remind_after_days"] == {"old": 3, "new": 2}
    assert AuditEvent.objects.filter(action="group.updated", target_id=str(group.pk)).exists()
    before = AuditEvent.objects.count()
    client.post("/admin-center/lifecycle/", LIFECYCLE_FORM)  # nothing changed: nothing written
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("group_lifetime_days", "29", "greater than or equal to 30"),
        ("remind_after_days", "0", "greater than or equal to 1"),
        ("selected_groups", "No such group", "No group of your organisation is called"),
        ("ownerless_group_email", "not-an-email", "valid email"),
    ],
)
def test_bad_settings_are_refused_at_their_field(
    client, tenant, tenant_admin, field, value, message
):
    client.force_login(tenant_admin)
    page = client.post("/admin-center/lifecycle/", {**LIFECYCLE_FORM, field: value})
    assert page.status_code == 200
    assert message.encode() in page.content
    assert not LifecycleSettings.objects.filter(tenant=tenant).exists()


def test_another_tenants_group_cant_be_selected(client, tenant_admin, other_tenant_user):
    GroupFactory(created_by=other_tenant_user, display_name="Fabrikam only")
    client.force_login(tenant_admin)
    page = client.post(
        "/admin-center/lifecycle/", {**LIFECYCLE_FORM, "selected_groups": "Fabrikam only"}
    )
    assert b"No group of your organisation is called" in page.content


def _expire(tenant, group):
    update_lifecycle_settings(
        tenant, actor=OPERATOR, group_lifetime_days=30, group_expiration_applies_to="all"
    )
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        housekeeping.run()
    return Group.with_deleted.get(pk=group.pk)


def test_deleted_groups_are_listed_and_restored_by_global_admins_only(
    client, tenant, tenant_admin, owner, member, group
):
    expired = _expire(tenant, group)
    assert expired.deleted_at is not None
    client.force_login(owner)
    assert client.get(f"/groups/{group.pk}/").status_code == 404  # gone from the panel
    assert client.post(f"/admin-center/groups/{group.pk}/restore/").status_code == 403
    client.force_login(tenant_admin)
    listed = client.get("/admin-center/groups/deleted/")
    assert b"Site collaborators" in listed.content and b"Restore" in listed.content
    response = client.post(f"/admin-center/groups/{group.pk}/restore/")
    assert response.status_code == 302 and response["Location"] == f"/groups/{group.pk}/"
    assert group.memberships.filter(user=member).exists()
    assert client.post(f"/admin-center/groups/{group.pk}/restore/").status_code == 404


def test_a_deleted_group_of_another_tenant_is_not_found(
    client, tenant, group, other_tenant, other_tenant_user
):
    _expire(tenant, group)
    fabrikam_admin = UserFactory(tenant=other_tenant, role="global_admin")
    client.force_login(fabrikam_admin)
    assert client.post(f"/admin-center/groups/{group.pk}/restore/").status_code == 404
    assert b"Site collaborators" not in client.get("/admin-center/groups/deleted/").content


def test_restore_refuses_when_another_group_took_the_name(client, tenant, tenant_admin, group):
    _expire(tenant, group)
    GroupFactory(created_by=tenant_admin, display_name="Site collaborators")  # the name is free
    client.force_login(tenant_admin)
    response = client.post(
        f"/admin-center/groups/{group.pk}/restore/", HTTP_REFERER="/admin-center/groups/deleted/"
    )
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert b"Another group is called" in page.content
    assert Group.with_deleted.get(pk=group.pk).deleted_at is not None


def test_request_history_keeps_every_request_even_of_a_deleted_group(
    client, tenant, tenant_admin, owner, requester, member, group
):
    join_request = JoinRequest.objects.get(requester=requester)
    actions.deny_request(join_request, actor=owner, reason="Launch team only")
    later = actions.request_to_join(group, actor=UserFactory(tenant=tenant), justification="y")
    actions.delete_group(group, actor=owner)
    kept = JoinRequest.objects.filter(pk__in=[join_request.pk, later.pk]).order_by("pk")
    assert [(r.status, r.group_name, r.tenant_id) for r in kept] == [
        ("denied", "Site collaborators", tenant.pk),
        ("cancelled", "Site collaborators", tenant.pk),  # pending when the group went
    ]
    client.force_login(tenant_admin)
    page = client.get("/admin-center/requests/history/?q=collaborators")
    assert b"Launch team only" in page.content and b"(deleted)" in page.content
    denied = client.get("/admin-center/requests/history/?status=denied")
    assert b"Rita Requester" in denied.content
    assert (
        b"Rita Requester"
        not in client.get("/admin-center/requests/history/?status=approved").content
    )


def test_request_history_keeps_the_requests_of_a_person_deleted_from_the_directory(
    client, tenant_admin, owner, requester, group
):
    """SCIM's DELETE /Users (tenants.actions.delete_user) removes the person, not their history."""
    join_request = JoinRequest.objects.get(requester=requester)
    actions.deny_request(join_request, actor=owner, reason="Launch team only")
    delete_user(requester, actor=tenant_admin)
    kept = JoinRequest.objects.get(pk=join_request.pk)
    assert (kept.requester, kept.status, kept.requester_email) == (None, "denied", requester.email)
    client.force_login(tenant_admin)
    page = client.get("/admin-center/requests/history/?q=rita").content.decode()
    assert "Rita Requester (deleted)" in page and requester.email in page
    response = client.get("/admin-center/requests/history.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(row["requester"], row["requester_email"], row["reason"]) for row in rows] == [
        ("Rita Requester (deleted)", requester.email, "Launch team only")
    ]


def test_request_history_has_no_row_cap_and_streams_its_csv(client, tenant, tenant_admin, owner):
    tenant.premium_seats = 1000
    tenant.save(update_fields=["premium_seats"])
    group = GroupFactory(created_by=owner, membership_policy=MembershipPolicy.OWNER_APPROVAL)
    people = [UserFactory(tenant=tenant, display_name=f"Asker {n:03d}") for n in range(120)]
    for person in people:
        made = actions.request_to_join(group, actor=person, justification="=HYPERLINK(1)")
        actions.deny_request(made, actor=owner, reason="no")
    client.force_login(tenant_admin)
    first = client.get("/admin-center/requests/history/")  # 50 a page: 120 → 3 pages
    assert b"120 in all" in first.content
    second = client.get(
        "/admin-center/requests/history/", {"after": first.context["page"].next_cursor}
    )
    last = client.get(
        "/admin-center/requests/history/", {"after": second.context["page"].next_cursor}
    )
    assert (len(last.context["page"]), last.context["page"].has_next) == (20, False)
    assert b'rel="prev"' in last.content and b'rel="next"' not in last.content
    response = client.get("/admin-center/requests/history.csv?status=denied")
    assert response.streaming
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["requested_at", "requester", "requester_email"]
    assert len(rows) == 1 + 120
    assert {row[rows[0].index("decided_by")] for row in rows[1:]} == {"Olivia Owner"}
    assert all(row[rows[0].index("justification")] == "'=HYPERLINK(1)" for row in rows[1:])


def test_request_history_of_another_tenant_shows_nothing(client, other_tenant, group, requester):
    fabrikam_admin = UserFactory(tenant=other_tenant, role="global_admin")
    client.force_login(fabrikam_admin)
    assert b"Rita" not in client.get("/admin-center/requests/history/").content
    rows = b"".join(client.get("/admin-center/requests/history.csv").streaming_content)
    assert b"Rita" not in rows


def test_new_admin_center_pages_have_pinned_query_counts(client, tenant, tenant_admin, owner):
    tenant.premium_seats = 1000
    tenant.save(update_fields=["premium_seats"])
    client.force_login(tenant_admin)
    update_lifecycle_settings(
        tenant, actor=OPERATOR, group_lifetime_days=30, group_expiration_applies_to="all"
    )
    counts = {}
    for size in (3, 60):
        group = GroupFactory(created_by=owner, membership_policy="owner_approval")
        for _ in range(size):
            actions.request_to_join(group, actor=UserFactory(tenant=tenant), justification="x")
        lifecycle.select_groups_for_expiration(tenant.pk, actor=tenant_admin, groups=[group])
        with time_machine.travel(timezone.now() + timedelta(days=31 * (1 + size))):
            housekeeping.run()
        counts[size] = {}
        for path in PAGES[:3]:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(path).status_code == 200
            counts[size][path] = len(queries)
    assert counts[3] == counts[60]
    # Every page: session, user+tenant, the Approvals badge count (3). Then: Reminders and
    # expiration = its settings, the selected groups (2); Deleted groups = count, page (2);
    # Request history = count, page with requesters, groups and deciders (2).
    assert counts[60] == {
        "/admin-center/lifecycle/": 5,
        "/admin-center/groups/deleted/": 5,
        "/admin-center/requests/history/": 5,
    }


def test_an_applications_page_shows_an_expired_group_without_a_dead_link(
    client, tenant, tenant_admin, group
):
    from applications import actions as app_actions

    expenses = app_actions.create_application(actor=tenant_admin, name="Expenses", kind="saas_app")
    app_actions.assign(expenses, actor=tenant_admin, group=group)
    _expire(tenant, group)
    client.force_login(tenant_admin)
    page = client.get(f"/admin-center/applications/{expenses.pk}/")
    assert b"(expired: a global admin can restore it)" in page.content
    assert f'href="/groups/{group.pk}/"'.encode() not in page.content
