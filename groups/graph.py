"""Nested groups as a graph, walked in the database with WITH RECURSIVE (PostgreSQL and SQLite).

A nesting row says "child is in parent". Walking down from a group gives its subtree (itself
and every group nested in it, at any depth); its people are the members of that subtree.
The walks use UNION, so they end even if a cycle slipped in; nest_group refuses cycles.
"""

from django.db import connection

from groups.models import GroupNesting, Membership

NESTING = GroupNesting._meta.db_table
MEMBERSHIP = Membership._meta.db_table


def _ids(values) -> tuple[str, list[int]]:
    values = [int(v) for v in values]
    return ", ".join(["%s"] * len(values)), values


def subtree_ids(group_ids) -> set[int]:
    """The groups and every group nested in them, at any depth."""
    placeholders, params = _ids(group_ids)
    if not params:
        return set()
    sql = f"""
        WITH RECURSIVE subtree(group_id) AS (
            SELECT id FROM groups_group WHERE id IN ({placeholders})
            UNION
            SELECT n.child_id FROM subtree s JOIN {NESTING} n ON n.parent_id = s.group_id
        )
        SELECT group_id FROM subtree
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall()}


def subtree_member_ids(group_ids) -> list[int]:
    """The people who are members of the groups or of any group nested in them."""
    placeholders, params = _ids(group_ids)
    if not params:
        return []
    sql = f"""
        WITH RECURSIVE subtree(group_id) AS (
            SELECT id FROM groups_group WHERE id IN ({placeholders})
            UNION
            SELECT n.child_id FROM subtree s JOIN {NESTING} n ON n.parent_id = s.group_id
        )
        SELECT DISTINCT m.user_id FROM subtree s JOIN {MEMBERSHIP} m ON m.group_id = s.group_id
        ORDER BY m.user_id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def nesting_path(top: int, bottom: int) -> list[int] | None:
    """The groups from `top` down to `bottom` through nestings (both included), or None.

    Used to name the loop a new nesting would make. Depth is bounded, as a guard.
    """
    sql = f"""
        WITH RECURSIVE walk(group_id, path, depth) AS (
            SELECT CAST(%s AS BIGINT), CAST('/' || %s || '/' AS TEXT), 0
            UNION ALL
            SELECT n.child_id, w.path || n.child_id || '/', w.depth + 1
            FROM walk w JOIN {NESTING} n ON n.parent_id = w.group_id
            WHERE w.depth < 64 AND w.path NOT LIKE '%%/' || n.child_id || '/%%'
        )
        SELECT path FROM walk WHERE group_id = %s ORDER BY depth LIMIT 1
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [top, str(top), bottom])
        row = cursor.fetchone()
    if row is None:
        return None
    return [int(part) for part in row[0].strip("/").split("/")]
