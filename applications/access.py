"""Effective access: who has access to which application, why, and keeping it current.

A person has access to application A when a path leads from A to them (docs/access.md):
A is assigned to them ("direct"), or to a group they are a member of, directly or through
nested groups, or to another application B they have access to (everyone with access to B
gets A). A block on (person, application) wins over every path, and a blocked application
passes nothing on. Deactivated people have no access.

Two walks, each one recursive query (WITH RECURSIVE, PostgreSQL and SQLite):
- `_desired(user_ids)` walks up from people to every application they reach: it keeps the
  `Access` table current (`sync`), in the transaction of every change that can alter it, and
  emits one `access.granted` / `access.revoked` event per (person, application) that changed.
- `paths(app_ids, user_ids)` walks down from applications to people and explains each path;
  pages ask it for the people (or applications) they show, never for everyone.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import connection

from applications.models import Access, Application, Assignment, Block
from groups.models import Group, GroupNesting, Membership
from tenants.actors import Actor
from tenants.events import Change, on_change, record_many
from tenants.models import EventKind, User

ASSIGNMENT = Assignment._meta.db_table
BLOCK = Block._meta.db_table
MEMBERSHIP = Membership._meta.db_table
NESTING = GroupNesting._meta.db_table
USER = User._meta.db_table
CHUNK = 5000  # people recomputed per query (two IN lists of this size)
MAX_DEPTH = 32  # a guard: assignments and nestings refuse loops


def _placeholders(values: Sequence[int]) -> str:
    return ", ".join(["%s"] * len(values))


def _desired(user_ids: Sequence[int]) -> dict[tuple[int, int], bool]:
    """{(person, application): blocked} for every application these active people reach."""
    marks = _placeholders(user_ids)
    sql = f"""
        WITH RECURSIVE
        user_groups(user_id, group_id) AS (
            SELECT m.user_id, m.group_id FROM {MEMBERSHIP} m WHERE m.user_id IN ({marks})
            UNION
            SELECT ug.user_id, n.parent_id
            FROM user_groups ug JOIN {NESTING} n ON n.child_id = ug.group_id
        ),
        reach(user_id, app_id) AS (
            SELECT a.user_id, a.application_id FROM {ASSIGNMENT} a WHERE a.user_id IN ({marks})
            UNION
            SELECT ug.user_id, a.application_id
            FROM user_groups ug JOIN {ASSIGNMENT} a ON a.group_id = ug.group_id
            UNION
            SELECT r.user_id, a.application_id
            FROM reach r JOIN {ASSIGNMENT} a ON a.granting_application_id = r.app_id
            WHERE NOT EXISTS (
                SELECT 1 FROM {BLOCK} b WHERE b.application_id = r.app_id AND b.user_id = r.user_id
            )
        )
        SELECT r.user_id, r.app_id, EXISTS (
            SELECT 1 FROM {BLOCK} b WHERE b.application_id = r.app_id AND b.user_id = r.user_id
        )
        FROM reach r JOIN {USER} u ON u.id = r.user_id
        WHERE u.is_active
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*user_ids, *user_ids])
        return {(user_id, app_id): bool(blocked) for user_id, app_id, blocked in cursor.fetchall()}


@dataclass(frozen=True)
class AccessChanges:
    granted: list[tuple[int, int]]  # (person, application)
    revoked: list[tuple[int, int]]


def sync(user_ids: Iterable[int], *, actor: Actor, tenant_id: int) -> AccessChanges:
    """Bring these people's `Access` rows in line with the paths that exist now, and emit one
    event per (person, application) whose access changed. Call inside the change's
    transaction, after the change.

    The people's rows are locked (NO KEY UPDATE, by id) first: two changes about one person
    then recompute one after the other, so neither works from a stale picture.
    """
    people = sorted(set(user_ids))
    granted: list[tuple[int, int]] = []
    revoked: list[tuple[int, int]] = []
    for start in range(0, len(people), CHUNK):
        chunk = people[start : start + CHUNK]
        list(
            User.objects.select_for_update(no_key=True)
            .filter(pk__in=chunk)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        desired = _desired(chunk)
        current = {
            (user_id, app_id): (row_id, blocked)
            for row_id, user_id, app_id, blocked in Access.objects.filter(
                user_id__in=chunk
            ).values_list("pk", "user_id", "application_id", "blocked")
        }
        new = [key for key in desired if key not in current]
        gone = [key for key in current if key not in desired]
        flipped = [key for key in desired if key in current and current[key][1] != desired[key]]
        Access.objects.bulk_create(
            Access(user_id=user_id, application_id=app_id, blocked=desired[(user_id, app_id)])
            for user_id, app_id in new
        )
        Access.objects.filter(pk__in=[current[key][0] for key in gone]).delete()
        for blocked in (True, False):
            Access.objects.filter(
                pk__in=[current[key][0] for key in flipped if desired[key] is blocked]
            ).update(blocked=blocked)
        granted += [k for k in new if not desired[k]] + [k for k in flipped if not desired[k]]
        revoked += [k for k in gone if not current[k][1]] + [k for k in flipped if desired[k]]
    _announce(EventKind.ACCESS_GRANTED, granted, actor=actor, tenant_id=tenant_id)
    _announce(EventKind.ACCESS_REVOKED, revoked, actor=actor, tenant_id=tenant_id)
    return AccessChanges(granted=granted, revoked=revoked)


def _announce(
    kind: str,
    pairs: list[tuple[int, int]],
    *,
    actor: Actor,
    tenant_id: int,
    apps: dict[int, Application] | None = None,
) -> None:
    """One event per (person, application), ordered per pair; the cause is in the audit log."""
    if not pairs:
        return
    apps = apps or Application.objects.in_bulk({app_id for _, app_id in pairs})
    record_many(
        kind,
        actor=actor,
        tenant_id=tenant_id,
        audit=False,
        changes=[
            Change(
                target=apps[app_id],
                payload={"application_id": app_id, "user_id": user_id},
                aggregate=f"access:{app_id}:{user_id}",
            )
            for user_id, app_id in sorted(pairs)
        ],
    )


def announce_revoked(application: Application, user_ids: list[int], *, actor: Actor) -> None:
    """A deleted application's people lost it (its Access rows went with it)."""
    _announce(
        EventKind.ACCESS_REVOKED,
        [(user_id, application.pk) for user_id in user_ids],
        actor=actor,
        tenant_id=application.tenant_id,
        apps={application.pk: application},
    )


def applications_reached_from_groups(group_ids: Sequence[int]) -> set[int]:
    """The applications the members of these groups get through them (one query): assigned
    to the groups or to a group they are nested in, and passed on from application to
    application."""
    if not group_ids:
        return set()
    marks = _placeholders(group_ids)
    sql = f"""
        WITH RECURSIVE
        up(group_id) AS (
            SELECT id FROM {Group._meta.db_table} WHERE id IN ({marks})
            UNION
            SELECT n.parent_id FROM up JOIN {NESTING} n ON n.child_id = up.group_id
        ),
        apps(app_id) AS (
            SELECT a.application_id FROM up JOIN {ASSIGNMENT} a ON a.group_id = up.group_id
            UNION
            SELECT a.application_id
            FROM apps JOIN {ASSIGNMENT} a ON a.granting_application_id = apps.app_id
        )
        SELECT app_id FROM apps
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, list(group_ids))
        return {row[0] for row in cursor.fetchall()}


# --- Explaining access as paths ----------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One node of a path: a group or an application, or "direct"."""

    kind: str  # "group", "application" or "direct"
    id: int | None
    name: str
    label: str  # e.g. group “Interns”, site “Marketing”, direct


def paths(
    app_ids: Sequence[int], user_ids: Sequence[int]
) -> dict[tuple[int, int], list[list[Step]]]:
    """{(application, person): [path, …]} for these applications and people (one query, plus
    one for the names). A path lists what leads from the application to the person, e.g.
    [site “Marketing”, group “Site visitors”, group “Interns”], or [direct]. Paths through an
    application the person is blocked from are left out: they give nothing."""
    if not app_ids or not user_ids:
        return {}
    apps, users = _placeholders(app_ids), _placeholders(user_ids)
    sql = f"""
        WITH RECURSIVE
        edges(parent_kind, parent_id, child_kind, child_id) AS (
            SELECT 'a', application_id, 'a', granting_application_id
            FROM {ASSIGNMENT} WHERE granting_application_id IS NOT NULL
            UNION ALL
            SELECT 'a', application_id, 'g', group_id FROM {ASSIGNMENT} WHERE group_id IS NOT NULL
            UNION ALL
            SELECT 'g', parent_id, 'g', child_id FROM {NESTING}
        ),
        nodes(root, kind, id, path, depth) AS (
            SELECT a.id, 'a', a.id, CAST('/a' || a.id || '/' AS TEXT), 0
            FROM {Application._meta.db_table} a WHERE a.id IN ({apps})
            UNION ALL
            SELECT n.root, e.child_kind, e.child_id,
                   n.path || e.child_kind || e.child_id || '/', n.depth + 1
            FROM nodes n JOIN edges e ON e.parent_kind = n.kind AND e.parent_id = n.id
            WHERE n.depth < {MAX_DEPTH}
              AND n.path NOT LIKE '%%/' || e.child_kind || e.child_id || '/%%'
        )
        SELECT n.root, m.user_id, n.path
        FROM nodes n JOIN {MEMBERSHIP} m ON n.kind = 'g' AND m.group_id = n.id
        WHERE m.user_id IN ({users})
        UNION ALL
        SELECT n.root, a.user_id, n.path || 'direct/'
        FROM nodes n JOIN {ASSIGNMENT} a ON n.kind = 'a' AND a.application_id = n.id
        WHERE a.user_id IN ({users})
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*app_ids, *user_ids, *user_ids])
        rows = cursor.fetchall()
    raw: dict[tuple[int, int], list[list[str]]] = defaultdict(list)
    for root, user_id, path in rows:
        raw[(root, user_id)].append(path.strip("/").split("/")[1:])  # drop the root itself
    return _named(raw)


def _named(raw: dict[tuple[int, int], list[list[str]]]) -> dict[tuple[int, int], list[list[Step]]]:
    group_ids = {int(t[1:]) for paths_ in raw.values() for p in paths_ for t in p if t[0] == "g"}
    app_ids = {int(t[1:]) for paths_ in raw.values() for p in paths_ for t in p if t[0] == "a"}
    groups = dict(Group.objects.filter(pk__in=group_ids).values_list("pk", "display_name"))
    apps = Application.objects.in_bulk(app_ids)
    blocked = set(
        Block.objects.filter(
            application_id__in=app_ids, user_id__in={user for _, user in raw}
        ).values_list("application_id", "user_id")
    )
    named: dict[tuple[int, int], list[list[Step]]] = {}
    for (root, user_id), found in raw.items():
        kept = []
        for tokens in found:
            if any(t[0] == "a" and (int(t[1:]), user_id) in blocked for t in tokens):
                continue  # through an application this person is blocked from: no access
            kept.append([_step(token, groups, apps) for token in tokens] or [_direct()])
        named[(root, user_id)] = sorted(kept, key=lambda steps: (len(steps), _text(steps)))
    return named


def _direct() -> Step:
    return Step(kind="direct", id=None, name="", label="direct")


def _step(token: str, groups: dict[int, str], apps: dict[int, Application]) -> Step:
    if token == "direct":
        return _direct()
    pk = int(token[1:])
    if token[0] == "g":
        return Step(kind="group", id=pk, name=groups[pk], label=f"group “{groups[pk]}”")
    app = apps[pk]
    return Step(kind="application", id=pk, name=app.name, label=app.label)


def _text(steps: list[Step]) -> str:
    """A path in words: `site “Marketing” → group “Site visitors”`, or `direct`."""
    shown = [step.label for step in steps if step.kind != "direct"] or ["direct"]
    return " → ".join(shown)


def path_text(steps: list[Step]) -> str:
    return _text(steps)


# --- What changes access: subscribed to the groups and tenants events --------------------------


def _people_of(changes: Sequence[Change], key: str) -> list[int]:
    found: list[int] = []
    for change in changes:
        value = change.payload.get(key)
        if isinstance(value, list):
            found += value
        elif value is not None:
            found.append(value)
    return found


def _on_people(kind: str, actor: Actor, tenant_id: int, changes: Sequence[Change]) -> None:
    """A membership of these people changed (joined, added, approved, left, removed)."""
    sync(_people_of(changes, "user_id"), actor=actor, tenant_id=tenant_id)


def _on_group_deleted(kind: str, actor: Actor, tenant_id: int, changes: Sequence[Change]):
    sync(_people_of(changes, "subtree_member_ids"), actor=actor, tenant_id=tenant_id)


def _on_nesting(kind: str, actor: Actor, tenant_id: int, changes: Sequence[Change]) -> None:
    from groups.graph import subtree_member_ids

    children = _people_of(changes, "child_group_id")
    sync(subtree_member_ids(children), actor=actor, tenant_id=tenant_id)


def subscribe() -> None:
    """Keep Access current in the transaction of every groups and directory change."""
    on_change(
        EventKind.GROUP_JOINED,
        EventKind.GROUP_LEFT,
        EventKind.MEMBER_ADDED,
        EventKind.MEMBER_REMOVED,
        EventKind.REQUEST_APPROVED,
        EventKind.USER_DEACTIVATED,
        EventKind.USER_REACTIVATED,
    )(_on_people)
    # An expired group (soft-deleted) gives nothing; a restored one gives again.
    on_change(EventKind.GROUP_DELETED, EventKind.GROUP_EXPIRED, EventKind.GROUP_RESTORED)(
        _on_group_deleted
    )
    on_change(EventKind.GROUP_NESTED, EventKind.GROUP_UNNESTED)(_on_nesting)
