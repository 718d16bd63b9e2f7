"""Every write to applications, their owners, assignments and blocks.

The shape of groups/actions.py: atomic → lock → policy → state check → write → record (audit
row + outbox event) → and here, keep `Access` current for the people the change concerns
(applications/access.py), which emits one access event per (person, application) that changed.
Lock order: the tenant row (NO KEY UPDATE) when the application graph changes, then
applications by id, then groups, then people.
"""

import copy
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction

from applications import access
from applications.models import (
    BLOCK_REASON_MAX,
    DESCRIPTION_MAX,
    NAME_MAX,
    Access,
    Application,
    ApplicationKind,
    ApplicationOwnership,
    Assignment,
    Block,
    PrincipalType,
)
from applications.policy import AppAction, may_create, require
from groups import actions as group_actions
from groups import graph
from groups.models import Group, GroupType
from groups.selectors import AddMembersResult
from tenants.actors import Actor, as_actor
from tenants.errors import Conflict, Invalid
from tenants.events import changes, prepare, record
from tenants.models import EventKind, Tenant, User
from tenants.text import clean_name, clean_text, name_taken, unique_name_key

ASSIGNABLE_GROUP_TYPES = (
    GroupType.SECURITY,
    GroupType.MICROSOFT365,
    GroupType.MAIL_ENABLED_SECURITY,
)


def _clean_name(name: str) -> str:
    """NFKC, whitespace folded; no invisible or direction-changing characters (tenants.text)."""
    return clean_name(name, field="name", max_length=NAME_MAX)


def _clean_description(description: str) -> str:
    return clean_text(
        description,
        field="description",
        label="Description",
        max_length=DESCRIPTION_MAX,
        required=False,
    )


def _name_taken(name: str) -> Conflict:
    return name_taken(name, None, noun="application", field="name")


def _unique_name_key(tenant_id: int, name: str, *, excluding: int | None = None) -> str:
    """The name's look-alike key, unless another application of the tenant has it."""
    others = Application.objects.filter(tenant_id=tenant_id).exclude(pk=excluding)
    return unique_name_key(others, name, name_field="name", noun="application", field="name")


def _lock(application: Application) -> Application:
    found = Application.objects.select_for_update().filter(pk=application.pk).first()
    if found is None:
        raise Conflict("This application no longer exists.")
    return found


def _same_tenant_people(people: Iterable[User], tenant_id: int, *, field: str) -> list[User]:
    people = list(people)
    strangers = [p for p in people if p.tenant_id != tenant_id or not p.is_active]
    if strangers:
        names = ", ".join(p.email for p in strangers)
        raise Invalid(
            f"These people aren't active users of your organisation: {names}.", field=field
        )
    return people


def _record(kind: str, application: Application, *, actor: Actor, data=None, **payload) -> None:
    record(
        kind,
        actor=actor,
        tenant_id=application.tenant_id,
        target=application,
        data=data or {},
        payload={"application_id": application.pk, **payload},
    )


# --- Applications ------------------------------------------------------------------------------


@transaction.atomic
def create_application(
    *,
    actor: Actor | User,
    name: str,
    kind: str,
    description: str = "",
    owners: Iterable[User] = (),
) -> Application:
    """A global admin adds an application or site to the tenant."""
    actor = as_actor(actor)
    may_create(actor).require()
    if kind not in ApplicationKind.values:
        raise Invalid(f"{kind!r} is not a kind of application (saas_app or site).", field="kind")
    if actor.tenant_id is None:
        raise Invalid("An application belongs to a tenant: act as one of its global admins.")
    name, description = _clean_name(name), _clean_description(description)
    people = _same_tenant_people(owners, actor.tenant_id, field="owners")
    key = _unique_name_key(actor.tenant_id, name)
    try:
        with transaction.atomic():
            application = Application.objects.create(
                tenant_id=actor.tenant_id,
                name=name,
                name_key=key,
                kind=kind,
                description=description,
                created_by=actor.user,
            )
    except IntegrityError:
        raise _name_taken(name) from None
    ApplicationOwnership.objects.bulk_create(
        ApplicationOwnership(application=application, user=person, added_by=actor.user)
        for person in {p.pk: p for p in people}.values()
    )
    _record(
        EventKind.APPLICATION_CREATED,
        application,
        actor=actor,
        data={"name": name, "kind": kind, "owners": sorted(p.email for p in people)},
    )
    return application


EDITABLE_FIELDS = ("name", "kind", "description")


@transaction.atomic
def update_application(application: Application, *, actor: Actor | User, **new_values):
    actor = as_actor(actor)
    unknown = set(new_values) - set(EDITABLE_FIELDS)
    if unknown:
        raise Invalid(f"These fields can't be changed: {', '.join(sorted(unknown))}.")
    application = _lock(application)
    require(actor, AppAction.MANAGE, application)
    if "name" in new_values:
        new_values["name"] = _clean_name(new_values["name"])
        key = _unique_name_key(application.tenant_id, new_values["name"], excluding=application.pk)
    if "description" in new_values:
        new_values["description"] = _clean_description(new_values["description"])
    if new_values.get("kind", application.kind) not in ApplicationKind.values:
        raise Invalid(f"{new_values['kind']!r} is not a kind of application.", field="kind")
    diff = changes({name: getattr(application, name) for name in new_values}, new_values)
    if not diff:
        return application
    for name, value in new_values.items():
        setattr(application, name, value)
    saved = [*new_values, "updated_at"]
    if "name" in new_values:
        application.name_key = key
        saved.append("name_key")
    try:
        with transaction.atomic():
            application.save(update_fields=saved)
    except IntegrityError:
        raise _name_taken(application.name) from None
    _record(EventKind.APPLICATION_UPDATED, application, actor=actor, data=diff)
    return application


@transaction.atomic
def delete_application(application: Application, *, actor: Actor | User) -> None:
    """Delete an application with its assignments and blocks; its people lose access."""
    actor = as_actor(actor)
    Tenant.objects.select_for_update(no_key=True).filter(pk=application.tenant_id).first()
    application = _lock(application)
    require(actor, AppAction.MANAGE, application)
    prepare(EventKind.APPLICATION_DELETED, application)  # apps above may refuse (provisioning)
    people = list(Access.objects.filter(application=application).values_list("user_id", flat=True))
    revoked = list(
        Access.objects.filter(application=application, blocked=False).values_list(
            "user_id", flat=True
        )
    )
    gone = copy.copy(application)
    application.delete()
    _record(
        EventKind.APPLICATION_DELETED,
        gone,
        actor=actor,
        data={"name": gone.name, "kind": gone.kind, "had_access": len(revoked)},
    )
    # Its own Access rows went with it: announce those, then recompute what it passed on.
    access.announce_revoked(gone, revoked, actor=actor)
    access.sync(people, actor=actor, tenant_id=gone.tenant_id)


@transaction.atomic
def add_application_owner(application: Application, *, actor: Actor | User, person: User):
    actor = as_actor(actor)
    application = _lock(application)
    require(actor, AppAction.MANAGE, application)
    _same_tenant_people([person], application.tenant_id, field="person")
    if ApplicationOwnership.objects.filter(application=application, user=person).exists():
        raise Conflict(f"{person.display_name} is already an owner of this application.")
    ownership = ApplicationOwnership.objects.create(
        application=application, user=person, added_by=actor.user
    )
    _record(
        EventKind.APPLICATION_OWNER_ADDED,
        application,
        actor=actor,
        data={"user": person},
        user_id=person.pk,
    )
    return ownership


@transaction.atomic
def remove_application_owner(application: Application, *, actor: Actor | User, person: User):
    actor = as_actor(actor)
    application = _lock(application)
    require(actor, AppAction.MANAGE, application)
    deleted, _ = ApplicationOwnership.objects.filter(application=application, user=person).delete()
    if not deleted:
        raise Conflict(f"{person.display_name} isn't an owner of this application.")
    _record(
        EventKind.APPLICATION_OWNER_REMOVED,
        application,
        actor=actor,
        data={"user": person},
        user_id=person.pk,
    )


# --- Assignments -------------------------------------------------------------------------------


def _people_of(assignment: Assignment) -> list[int]:
    """The people an assignment's principal stands for (whose access it can change)."""
    if assignment.principal_type == PrincipalType.USER:
        return [assignment.user_id]
    if assignment.principal_type == PrincipalType.GROUP:
        return graph.subtree_member_ids([assignment.group_id])
    return list(
        Access.objects.filter(application_id=assignment.granting_application_id).values_list(
            "user_id", flat=True
        )
    )


def _grant_loop(granting: Application, application: Application) -> list[int] | None:
    """If `application` already (transitively) passes access on to `granting`, the apps of
    that chain from `application` to `granting`; assigning would make a loop."""
    table = Assignment._meta.db_table
    sql = f"""
        WITH RECURSIVE walk(app_id, path, depth) AS (
            SELECT CAST(%s AS BIGINT), CAST('/' || %s || '/' AS TEXT), 0
            UNION ALL
            SELECT a.application_id, w.path || a.application_id || '/', w.depth + 1
            FROM walk w JOIN {table} a ON a.granting_application_id = w.app_id
            WHERE w.depth < 32 AND w.path NOT LIKE '%%/' || a.application_id || '/%%'
        )
        SELECT path FROM walk WHERE app_id = %s ORDER BY depth LIMIT 1
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [application.pk, str(application.pk), granting.pk])
        row = cursor.fetchone()
    return None if row is None else [int(part) for part in row[0].strip("/").split("/")]


@transaction.atomic
def assign(
    application: Application,
    *,
    actor: Actor | User,
    user: User | None = None,
    group: Group | None = None,
    granting_application: Application | None = None,
) -> Assignment:
    """Give the application's access to a person, a group (its members, nested groups
    included) or everyone with access to another application. Owners and global admins."""
    actor = as_actor(actor)
    principals = [p for p in (user, group, granting_application) if p is not None]
    if len(principals) != 1:
        raise Invalid("Assign to exactly one person, group or application.", field="principal")
    if granting_application is not None:  # the application graph changes one at a time
        Tenant.objects.select_for_update(no_key=True).filter(pk=application.tenant_id).first()
    application = _lock(application)
    require(actor, AppAction.ASSIGN, application)
    principal = principals[0]
    if principal.tenant_id != application.tenant_id:
        raise Invalid(
            "Only people, groups and applications of your organisation.", field="principal"
        )
    assignment = Assignment(application=application, created_by=actor.user)
    if user is not None:
        if not user.is_active:
            raise Invalid(f"{user.display_name}'s account is deactivated.", field="principal")
        assignment.principal_type, assignment.user = PrincipalType.USER, user
    elif group is not None:
        _require_assignable(group)
        assignment.principal_type, assignment.group = PrincipalType.GROUP, group
    else:
        _require_no_loop(granting_application, application)
        assignment.principal_type = PrincipalType.APPLICATION
        assignment.granting_application = granting_application
    try:
        with transaction.atomic():
            assignment.save()
    except IntegrityError:
        raise Conflict(f"{principal} already has access to “{application.name}”.") from None
    _record(
        EventKind.ASSIGNMENT_ADDED,
        application,
        actor=actor,
        data={"principal_type": assignment.principal_type, "principal": principal},
        assignment_id=assignment.pk,
        principal_type=assignment.principal_type,
        principal_id=principal.pk,
    )
    access.sync(_people_of(assignment), actor=actor, tenant_id=application.tenant_id)
    return assignment


def _require_assignable(group: Group) -> None:
    if group.group_type not in ASSIGNABLE_GROUP_TYPES:
        raise Invalid("Distribution lists can't grant access to applications.", field="group")


def _require_no_loop(granting: Application, application: Application) -> None:
    if granting.pk == application.pk:
        raise Conflict(f"“{application.name}” can't grant access to itself.", field="principal")
    loop = _grant_loop(granting, application)
    if loop is not None:
        names = Application.objects.in_bulk(loop)
        chain = " → ".join(f"“{names[pk].name}”" for pk in [granting.pk, *loop])
        raise Conflict(
            f"Giving “{application.name}” to everyone with access to “{granting.name}” would "
            f"make a loop: {chain} (each gives access to the next).",
            field="principal",
        )


@transaction.atomic
def unassign(assignment: Assignment, *, actor: Actor | User) -> None:
    """Remove an assignment; its people keep access only through other paths."""
    actor = as_actor(actor)
    application = _lock(assignment.application)
    require(actor, AppAction.ASSIGN, application)
    found = Assignment.objects.filter(pk=assignment.pk, application=application).first()
    if found is None:
        raise Conflict("This assignment no longer exists.")
    people = _people_of(found)
    principal = found.principal
    found.delete()
    _record(
        EventKind.ASSIGNMENT_REMOVED,
        application,
        actor=actor,
        data={"principal_type": found.principal_type, "principal": principal},
        assignment_id=assignment.pk,
        principal_type=found.principal_type,
        principal_id=principal.pk,
    )
    access.sync(people, actor=actor, tenant_id=application.tenant_id)


# --- Blocks ------------------------------------------------------------------------------------


@transaction.atomic
def block(application: Application, *, actor: Actor | User, person: User, reason: str) -> Block:
    """A global admin blocks a person from one application: it wins over every grant."""
    actor = as_actor(actor)
    application = _lock(application)
    require(actor, AppAction.BLOCK, application)
    if person.tenant_id != application.tenant_id:
        raise Invalid("Only people of your organisation can be blocked.", field="person")
    reason = clean_text(
        reason, field="reason", label="Reason", max_length=BLOCK_REASON_MAX, required=True
    )
    if Block.objects.filter(application=application, user=person).exists():
        raise Conflict(f"{person.display_name} is already blocked from “{application.name}”.")
    blocked = Block.objects.create(
        application=application, user=person, reason=reason, blocked_by=actor.user
    )
    _record(
        EventKind.ACCESS_BLOCKED,
        application,
        actor=actor,
        data={"user": person, "reason": reason},
        user_id=person.pk,
    )
    access.sync([person.pk], actor=actor, tenant_id=application.tenant_id)
    return blocked


@transaction.atomic
def unblock(application: Application, *, actor: Actor | User, person: User) -> None:
    """Lift a block: the person's paths give access again."""
    actor = as_actor(actor)
    application = _lock(application)
    require(actor, AppAction.BLOCK, application)
    deleted, _ = Block.objects.filter(application=application, user=person).delete()
    if not deleted:
        raise Conflict(f"{person.display_name} isn't blocked from “{application.name}”.")
    _record(
        EventKind.ACCESS_UNBLOCKED,
        application,
        actor=actor,
        data={"user": person},
        user_id=person.pk,
    )
    access.sync([person.pk], actor=actor, tenant_id=application.tenant_id)


# --- Moving direct access into a group ------------------------------------------------------------


@dataclass
class MoveResult:
    """What moving direct access did: the group's add, the assignment, the removals."""

    added: AddMembersResult
    group_assigned: bool
    direct_removed: int


@transaction.atomic
def move_direct_access(
    application: Application, *, actor: Actor | User, group: Group, remove_direct: bool = False
) -> MoveResult:
    """Add everyone with direct access to `group`, assign the group if it isn't yet, and, if
    asked, remove the direct assignments of the people now in the group.

    One transaction, so nobody loses access at any moment (the recomputed access shows no
    revocation). The group's new members are audited as members added; the rest of the move
    (the group's assignment, the direct assignments removed) is one `access.moved` row.
    """
    actor = as_actor(actor)
    application = _lock(application)
    require(actor, AppAction.MOVE_ACCESS, application)
    if group.tenant_id != application.tenant_id:
        raise Invalid("Only a group of your organisation.", field="group")
    _require_assignable(group)
    direct = Assignment.objects.filter(application=application, user__isnull=False)
    people = [a.user for a in direct.select_related("user")]
    added = group_actions.add_members(group, actor=actor, people=people)
    group_assigned = not Assignment.objects.filter(application=application, group=group).exists()
    if group_assigned:
        Assignment.objects.create(
            application=application,
            principal_type=PrincipalType.GROUP,
            group=group,
            created_by=actor.user,
        )
    moved = sorted(p.pk for p in added.added + added.already_members)
    removed = direct.filter(user_id__in=moved).delete()[0] if remove_direct and moved else 0
    _record(
        EventKind.ACCESS_MOVED,
        application,
        actor=actor,
        data={
            "group": group,
            "group_assigned": group_assigned,
            "direct_access": len(people),
            "added_to_group": len(added.added),
            "direct_assignments_removed": removed,
        },
        group_id=group.pk,
        user_ids=moved,
    )
    everyone = {p.pk for p in people} | set(graph.subtree_member_ids([group.pk]))
    access.sync(everyone, actor=actor, tenant_id=application.tenant_id)
    return MoveResult(added=added, group_assigned=group_assigned, direct_removed=removed)
