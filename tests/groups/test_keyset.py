"""Keyset pages (tenants/pagination.py): walking Next from the first page to the last shows
every row once, in the list's order; Previous walks back the same way; a deep page costs the
queries the first one does; a malformed cursor is the first page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from groups import actions, selectors
from groups.models import MembershipPolicy
from tenants.actions import update_tenant
from tenants.pagination import decode, encode
from tests.factories import OPERATOR, GroupFactory, UserFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def _walk(client, path: str, key: str, item, **headers) -> tuple[list, list[int]]:
    """Follow Next from the first page to the last: every row, and each page's queries."""
    rows, queries, params = [], [], {}
    while True:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path, params, **headers)
        assert response.status_code == 200
        queries.append(len(captured))
        page = response.context[key]
        rows += [item(row) for row in page]
        if not page.has_next:
            return rows, queries
        params = {page.param: page.next_cursor}


def _walk_back(client, path: str, key: str, item, last_cursor: str, **headers) -> list:
    rows, params = [], {"before": last_cursor}
    while True:
        page = client.get(path, params, **headers).context[key]
        rows = [item(row) for row in page] + rows
        if not page.has_previous:
            return rows
        params = {page.before_param: page.previous_cursor}


def test_members_page_by_cursor_through_everyone(client, tenant, owner):
    group = GroupFactory(created_by=owner, display_name="Crowd")
    people = [
        UserFactory(tenant=tenant, display_name=f"Person {n % 7}", has_premium_license=False)
        for n in range(60)
    ]
    actions.add_members(group, actor=owner, people=people)  # names repeat: ids break ties
    client.force_login(owner)
    path = f"/groups/{group.pk}/"
    walked, queries = _walk(client, path, "members_page", lambda m: m.user_id)
    expected = list(
        selectors.group_members(group).values_list("user_id", flat=True)
    )  # by name, then id
    assert walked == expected and len(walked) == 60
    assert len(set(queries)) == 1, queries  # page 3 costs what page 1 does
    final = selectors.group_members(group).reverse().first()
    past_the_end = encode([final.user.display_name, final.user_id])
    last = client.get(path, {"after": past_the_end}).context["members_page"]
    assert list(last) == [] and not last.has_next
    # Back from the end: the same rows in the same order.
    cursor = encode([final.user.display_name, final.user_id + 1])
    back = _walk_back(client, path, "members_page", lambda m: m.user_id, cursor)
    assert back == expected


def test_discover_pages_by_cursor_in_its_order(client, tenant, owner, member):
    for n in range(40):
        policy = [MembershipPolicy.OPEN, MembershipPolicy.CLOSED][n % 2]
        GroupFactory(created_by=owner, display_name=f"Team {n:02d}", membership_policy=policy)
    client.force_login(member)
    walked, queries = _walk(client, "/groups/", "page", lambda g: g.pk)
    expected = list(selectors.directory(member).values_list("pk", flat=True))
    assert walked == expected and len(walked) == 40
    # The first page reads both parts of the order (may join, may not); a page past the
    # first part reads only the second.
    assert max(queries[1:]) <= queries[0], queries
    first = client.get("/groups/").context["page"]
    assert first.total == 40 and first.total_label == "40"


def test_approvals_and_the_audit_log_page_by_cursor(client, tenant, owner, tenant_admin):
    update_tenant(tenant, actor=OPERATOR, premium_seats=100)
    group = GroupFactory(created_by=owner, membership_policy=MembershipPolicy.OWNER_APPROVAL)
    for n in range(60):
        person = UserFactory(tenant=tenant, display_name=f"Asker {n:02d}")
        actions.request_to_join(group, actor=person, justification="x")
    client.force_login(owner)
    walked, queries = _walk(client, "/approvals/", "page", lambda r: r.pk)
    expected = list(selectors.requests_to_decide(owner).values_list("pk", flat=True))
    assert walked == expected and len(walked) == 60
    assert len(set(queries)) == 1, queries
    assert client.get("/approvals/").context["page"].total == 60

    client.force_login(tenant_admin)
    walked, queries = _walk(client, "/admin-center/audit/", "page", lambda e: e.pk)
    assert len(walked) == len(set(walked)) >= 120
    assert walked == sorted(walked, reverse=True)  # newest first (ids follow time here)
    assert len(set(queries)) == 1, queries


def test_a_malformed_cursor_is_the_first_page(client, owner, group):
    client.force_login(owner)
    first = client.get(f"/groups/{group.pk}/").context["members_page"]
    for junk in ("x", "%%%", encode(["a"]), encode([True, 1]), "A" * 3000):
        page = client.get(f"/groups/{group.pk}/", {"after": junk}).context["members_page"]
        assert list(page) == list(first)
    assert decode(encode(["Ada", 3]), 2) == ["Ada", 3]


def test_a_cursor_whose_values_dont_fit_the_columns_is_the_first_page(
    client, owner, group, tenant_admin
):
    """Well-formed cursors with the wrong kinds of values ("x" for a date or an id, a part of
    Discover's order that doesn't exist) are tampered ones: the first page, never a 500."""
    client.force_login(tenant_admin)
    for path, cursor in (
        ("/admin-center/audit/", ["x", "y"]),
        ("/admin-center/requests/history/", ["2026-01-01T00:00:00+00:00", "y"]),
        ("/groups/", ["x", "a", 1]),
        ("/groups/", [0, "Site", "y"]),
        ("/groups/", [7, "Site", 1]),
    ):
        for param in ("after", "before"):
            response = client.get(path, {param: encode(cursor)})
            assert response.status_code == 200, (path, cursor, param)
            assert not response.context["page"].has_previous, (path, cursor, param)
