"""Discover's search uses an index on PostgreSQL (trigram GIN on UPPER(display_name))."""

import pytest
from django.db import connection

from groups.models import Group
from tenants.text import name_key
from tests.factories import GroupFactory


@pytest.mark.postgres_only
@pytest.mark.django_db
def test_name_search_uses_the_trigram_index(on_postgres, owner):
    group = GroupFactory(created_by=owner, display_name="Site collaborators")
    # A directory-sized table: on a tiny one the planner may as well walk any index whose
    # condition matches (such as the live groups' unique name index) and filter.
    Group.objects.bulk_create(
        Group(
            tenant_id=group.tenant_id,
            display_name=f"Team {n:05d}",
            name_key=name_key(f"Team {n:05d}"),
            group_type="security",
            source="api",
            membership_policy="closed",
        )
        for n in range(20_000)
    )
    query = Group.objects.filter(display_name__icontains="collab").values("id").query
    sql, params = query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE groups_group")
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table would otherwise be scanned
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "group_name_trgm_idx" in plan, plan
