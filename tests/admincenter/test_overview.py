"""The Admin center's Overview: the tenant's requests, waits, owners and seats, in pictures."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from groups import actions
from groups.models import JoinRequest
from tenants.actions import update_tenant
from tests.factories import OPERATOR, GroupFactory, UserFactory


def _make(tenant, owner, size: int) -> None:
    """`size` groups, each with a pending request, half of them a week old, and decisions."""
    people = [UserFactory(tenant=tenant) for _ in range(size)]
    now = timezone.now()
    for n, person in enumerate(people):
        group = GroupFactory(created_by=owner, membership_policy="owner_approval")
        join_request = actions.request_to_join(group, actor=person, justification="x")
        if n % 2:
            JoinRequest.objects.filter(pk=join_request.pk).update(
                created_at=now - timedelta(days=8)
            )
        if n % 3 == 0:
            again = UserFactory(tenant=tenant)
            decided = actions.request_to_join(group, actor=again, justification="y")
            actions.deny_request(decided, actor=owner, reason="no")


@pytest.mark.django_db
def test_the_admin_centers_home_is_the_overview(client, tenant_admin):
    client.force_login(tenant_admin)
    response = client.get("/admin-center/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'aria-current="page" href="/admin-center/">Overview</a>' in html


@pytest.mark.django_db
def test_overview_query_count_is_fixed_whatever_the_tenants_size(client, tenant, tenant_admin):
    update_tenant(tenant, actor=OPERATOR, premium_seats=500)
    owner = UserFactory(tenant=tenant)
    client.force_login(tenant_admin)
    counts = {}
    for size in (3, 60):
        _make(tenant, owner, size)
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/admin-center/").status_code == 200
        counts[size] = len(queries)
    # session, user+tenant, the Approvals badge count (3); requests per day, pending by age,
    # groups by type and the ownerless ones by type (2), busiest groups (from the groups'
    # pending counts), seats in use, provisioning failures per application (7).
    assert counts == {3: 10, 60: 10}


@pytest.mark.django_db
def test_overview_numbers(client, tenant, tenant_admin, owner, group, requester, open_group):
    """`group` has Rita's pending request; add a denial, an approval, an ownerless group."""
    late = UserFactory(tenant=tenant, display_name="Lena Late")
    waited = actions.request_to_join(group, actor=late, justification="old")
    JoinRequest.objects.filter(pk=waited.pk).update(created_at=timezone.now() - timedelta(days=10))
    denied = actions.request_to_join(
        group, actor=UserFactory(tenant=tenant), justification="no thanks"
    )
    actions.deny_request(denied, actor=owner)
    approved = actions.request_to_join(group, actor=UserFactory(tenant=tenant), justification="yes")
    actions.approve_request(approved, actor=owner)
    actions.request_to_join(open_group, actor=late)  # an open join: not a request anyone decided
    actions.create_group(
        actor=tenant_admin, display_name="Nobody's", group_type="security", source="admin_center"
    )
    client.force_login(tenant_admin)
    context = client.get("/admin-center/").context
    totals = context["per_day"].totals
    assert totals == {"approved": 1, "denied": 1, "expired": 0, "pending": 2}
    ten_days_ago = timezone.localdate() - timedelta(days=10)
    assert dict(context["day_rows"])[ten_days_ago] == [0, 0, 0, 1]  # counted on its own day
    ages = {bar.label: bar.value for bar in context["ages"]}
    assert (ages["Under a day"], ages["1–2 weeks"], context["pending_total"]) == (1, 1, 2)
    assert [(bar.label, bar.value) for bar in context["busiest"]] == [("Site collaborators", 2)]
    assert context["ownerless_total"] == 1
    assert context["seats"].used == tenant.premium_seat_holders().count()
    html = client.get("/admin-center/").content.decode()
    assert 'role="img"' in html and '<title id="per-day-title">' in html
    assert html.count("<table") >= 5  # every chart has its numbers as a table


@pytest.mark.django_db
def test_overview_is_for_global_admins_of_the_tenant(client, owner, other_tenant):
    client.force_login(owner)
    assert client.get("/admin-center/").status_code == 403
    fabrikam_admin = UserFactory(tenant=other_tenant, role="global_admin")
    client.force_login(fabrikam_admin)
    html = client.get("/admin-center/").content.decode()
    assert "Site collaborators" not in html
