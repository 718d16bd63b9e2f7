"""Discover's search uses an index on PostgreSQL (trigram GIN on UPPER(display_name))."""

import pytest
from django.db import connection

from groups.models import Group
from tests.factories import GroupFactory


@pytest.mark.postgres_only
@pytest.mark.django_db
def test_name_search_uses_the_trigram_index(on_postgres, owner):
    GroupFactory(created_by=owner, display_name="Site collaborators")
    query = Group.objects.filter(display_name__icontains="collab").values("id").query
    sql, params = query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table would otherwise be scanned
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "group_name_trgm_idx" in plan, plan
