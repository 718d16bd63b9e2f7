"""Every write to groups, memberships, ownerships and join requests.

Each action: atomic → lock what it decides on → policy check → state check → write → one
audit row and one outbox event per change (tenants/events.py), in the same transaction.
Refusals are tenants.errors kinds: NotAllowed (the policy's reason), Conflict (the state),
Invalid (an input, with its field). Bulk actions are set-based: adding 5,000 people or deciding
500 requests costs the same dozen queries as one (tests/groups/test_bulk.py pins the counts).
Lock order: groups (by id), then requests. People are locked FOR NO KEY UPDATE, which no
group action waits for (inserting a membership only takes KEY SHARE on the person), so a
deactivation may hold the person before it locks their groups without risk of deadlock.
Every caller goes through here: views, Django admin, the Admin center, commands, test setup.
"""

import copy
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from groups import counts, graph
from groups.models import (
    DECISION_REASON_MAX,
    DESCRIPTION_MAX,
    DISPLAY_NAME_MAX,
    JUSTIFICATION_MAX,
    OPEN_JOIN_REASON,
    SELF_SERVICE_TYPES,
    Group,
    GroupNesting,
    GroupSource,
    GroupType,
    JoinRequest,
    Membership,
    MembershipPolicy,
    Ownership,
)
from groups.policy import MAX_OWNERS_PER_GROUP, Action, Decider, Reason, nests, require
from groups.selectors import AddMembersResult, classify_for_adding
from tenants.actions import clean_external_id
from tenants.actors import Actor, as_actor
from tenants.errors import Conflict, Invalid, NotFound, Refusal
from tenants.events import Change, changes, record, record_many, record_update
from tenants.models import EventKind, Tenant, User
from tenants.text import clean_name, clean_text, name_taken, unique_name_key

Pending = JoinRequest.Status.PENDING


def _clean_name(display_name: str) -> str:
    """NFKC, whitespace folded; no invisible or direction-changing characters (tenants.text)."""
    return clean_name(display_name, field="display_name", max_length=DISPLAY_NAME_MAX)


def _clean_description(description: str) -> str:
    return clean_text(
        description,
        field="description",
        label="Description",
        max_length=DESCRIPTION_MAX,
        required=False,
    )


def _clean_reason(reason: str) -> str:
    return clean_text(
        reason, field="reason", label="Reason", max_length=DECISION_REASON_MAX, required=False
    )


def _name_taken(display_name: str, existing: str | None = None) -> Conflict:
    return name_taken(display_name, existing, noun="group", field="display_name")


def _require_unique_name(tenant_id: int, display_name: str, *, excluding: int | None = None) -> str:
    """The name's look-alike key, unless another group of the tenant has it (Conflict)."""
    others = Group.objects.filter(tenant_id=tenant_id).exclude(pk=excluding)
    return unique_name_key(
        others, display_name, name_field="display_name", noun="group", field="display_name"
    )


def _group_snapshot(group: Group) -> dict:
    return {
        "display_name": group.display_name,
        "description": group.description,
        "group_type": group.group_type,
        "source": group.source,
        "membership_policy": group.membership_policy,
    }


def default_policy(source: str, group_type: str) -> str:
    """The creation-defaults table (docs/creation-defaults.md): a new group's policy."""
    if group_type not in SELF_SERVICE_TYPES:
        return MembershipPolicy.CLOSED
    if source == GroupSource.ACCESS_PANEL or group_type == GroupType.MICROSOFT365:
        return MembershipPolicy.OPEN
    return MembershipPolicy.CLOSED  # security groups from the API or the admin center


def creator_becomes_owner(source: str, actor: Actor) -> bool:
    """The creation-defaults table (docs/creation-defaults.md): who owns a new group."""
    if actor.user is None or source == GroupSource.ADMIN_CENTER:
        return False  # SCIM clients and jobs own nothing; "not assigned automatically"
    if source == GroupSource.API:
        return not actor.user.is_global_admin
    return True


def _same_tenant_people(people: Iterable[User], tenant_id: int, *, field: str) -> list[User]:
    people = list(people)
    strangers = [p for p in people if p.tenant_id != tenant_id or not p.is_active]
    if strangers:
        names = ", ".join(p.email for p in strangers)
        raise Invalid(
            f"These people aren't active users of your organisation: {names}.", field=field
        )
    return people


def _lock_group(group: Group | int) -> Group:
    """The live group, locked; NotFound if it was deleted (or expired) meanwhile."""
    pk = group.pk if isinstance(group, Group) else group
    locked = Group.objects.select_for_update().filter(pk=pk).first()
    if locked is None:
        raise NotFound("This group no longer exists.")
    return locked


def _group_change(group: Group, data: dict, **payload) -> Change:
    """A change about a group: readable `data` for the audit log, ids for the outbox event."""
    return Change(target=group, data=data, payload={"group_id": group.pk, **payload})


MAX_MEMBERSHIP_DAYS = 3650


def membership_term(
    group: Group, ends_at: datetime | None, *, now: datetime
) -> tuple[datetime | None, int | None]:
    """When a new membership ends and its term in days (a renewal adds the term again):
    the end date given, else the group's default duration, else (None, None): no end."""
    if ends_at is None:
        if not group.default_membership_days:
            return None, None
        return now + timedelta(days=group.default_membership_days), group.default_membership_days
    ends_at = clean_end(ends_at, now=now)
    return ends_at, max(1, math.ceil((ends_at - now) / timedelta(days=1)))


def clean_end(ends_at: datetime, *, now: datetime) -> datetime:
    """A membership's end date as given by a person: in the future, within 10 years."""
    if not isinstance(ends_at, datetime) or timezone.is_naive(ends_at):
        raise Invalid("Choose the date the membership ends.", field="ends_at")
    if ends_at <= now:
        raise Invalid("The membership's end date must be in the future.", field="ends_at")
    if ends_at > now + timedelta(days=MAX_MEMBERSHIP_DAYS):
        raise Invalid("A membership can end at most 10 years from now.", field="ends_at")
    return ends_at


# --- Groups ----------------------------------------------------------------------------------


@transaction.atomic
def create_group(
    *,
    actor: Actor | User,
    display_name: str,
    group_type: str,
    source: str,
    description: str = "",
    membership_policy: str | None = None,
    owners: Iterable[User] = (),
) -> Group:
    """Create a group with the defaults of its source (docs/creation-defaults.md)."""
    actor = as_actor(actor)
    if group_type not in GroupType.values:
        raise Invalid(f"{group_type!r} is not a group type.", field="group_type")
    if source not in GroupSource.values:
        raise Invalid(f"{source!r} is not a group source.", field="source")
    if membership_policy is not None and membership_policy not in MembershipPolicy.values:
        raise Invalid(
            f"{membership_policy!r} is not a membership policy.", field="membership_policy"
        )
    if actor.tenant_id is None:
        raise Invalid("A group belongs to a tenant: act as one of its people or its SCIM client.")
    policy = membership_policy or default_policy(source, group_type)
    display_name = _clean_name(display_name)
    description = _clean_description(description)
    if actor.user is not None:  # the creator's row serialises their 250-groups limit
        User.objects.select_for_update(no_key=True).filter(pk=actor.user.pk).first()
    Decider(actor).create(group_type=group_type, membership_policy=policy, source=source).require()
    initial_owners = {p.pk: p for p in _same_tenant_people(owners, actor.tenant_id, field="owners")}
    key = _require_unique_name(actor.tenant_id, display_name)
    if creator_becomes_owner(source, actor):
        initial_owners.setdefault(actor.user.pk, actor.user)
    if len(initial_owners) > MAX_OWNERS_PER_GROUP:
        raise Invalid(Reason.OWNER_LIMIT, field="owners")
    try:
        with transaction.atomic():
            group = Group.objects.create(
                tenant_id=actor.tenant_id,
                display_name=display_name,
                name_key=key,
                description=description,
                group_type=group_type,
                source=source,
                membership_policy=policy,
                created_by=actor.user,
            )
    except IntegrityError:  # a concurrent create took the name between check and insert
        raise _name_taken(display_name) from None
    Ownership.objects.bulk_create(
        Ownership(group=group, user=owner, added_by=actor.user) for owner in initial_owners.values()
    )
    record(
        EventKind.GROUP_CREATED,
        actor=actor,
        tenant_id=group.tenant_id,
        target=group,
        data={**_group_snapshot(group), "owners": sorted(p.email for p in initial_owners.values())},
        payload={"group_id": group.pk, "owner_ids": sorted(initial_owners)},
    )
    return group


EDITABLE_GROUP_FIELDS = ("display_name", "description", "membership_policy", "external_id")


@transaction.atomic
def update_group(group: Group, *, actor: Actor | User, **new_values) -> Group:
    """Change a group's name, description or membership policy."""
    actor = as_actor(actor)
    unknown = set(new_values) - set(EDITABLE_GROUP_FIELDS)
    if unknown:
        raise Invalid(f"These group fields can't be changed: {', '.join(sorted(unknown))}.")
    group = _lock_group(group)
    decider = Decider(actor)
    decider.can(Action.EDIT, group, use_annotation=False).require()
    if "display_name" in new_values:
        new_values["display_name"] = _clean_name(new_values["display_name"])
        key = _require_unique_name(group.tenant_id, new_values["display_name"], excluding=group.pk)
    if "description" in new_values:
        new_values["description"] = _clean_description(new_values["description"])
    if "external_id" in new_values:
        new_values["external_id"] = clean_external_id(
            Group, group.tenant_id, new_values["external_id"], group.pk
        )
    policy = new_values.get("membership_policy", group.membership_policy)
    if policy not in MembershipPolicy.values:
        raise Invalid(f"{policy!r} is not a membership policy.", field="membership_policy")
    if policy != group.membership_policy:
        decider.choose_policy(policy).require()
    diff = changes({name: getattr(group, name) for name in new_values}, new_values)
    if not diff:
        return group
    for name, value in new_values.items():
        setattr(group, name, value)
    saved = [*new_values, "updated_at"]
    if "display_name" in diff:
        group.name_key = key
        saved.append("name_key")
    try:
        with transaction.atomic():
            group.save(update_fields=saved)
    except IntegrityError:  # a concurrent rename took the name between check and save
        raise _name_taken(group.display_name) from None
    record_update(
        EventKind.GROUP_UPDATED,
        actor=actor,
        tenant_id=group.tenant_id,
        target=group,
        diff=diff,
        group_id=group.pk,
    )
    return group


@transaction.atomic
def delete_group(group: Group, *, actor: Actor | User) -> None:
    """Delete a group with its memberships, nestings, ownerships and requests.

    Recorded after the deletion, so what reacts in the same transaction (access, in
    applications) sees the directory without the group; the event names the people who
    were in it, nested groups included.
    """
    actor = as_actor(actor)
    group = _lock_group(group)
    require(actor, Action.DELETE, group)
    member_ids = sorted(group.memberships.values_list("user_id", flat=True))
    owners = list(group.ownerships.values_list("user_id", "user__email").order_by("user__email"))
    affected = graph.subtree_member_ids([group.pk])
    gone = copy.copy(group)  # keeps its id for the audit row once the row is deleted
    keep_request_history(group, actor=actor, reason="The group was deleted.")
    group.delete()
    record(
        EventKind.GROUP_DELETED,
        actor=actor,
        tenant_id=gone.tenant_id,
        target=gone,
        data={
            **_group_snapshot(gone),
            "members": len(member_ids),
            "owners": [email for _, email in owners],
        },
        payload={
            "group_id": gone.pk,
            "member_ids": member_ids,
            "owner_ids": sorted(pk for pk, _ in owners),
            "subtree_member_ids": affected,
        },
    )


def keep_request_history(group: Group, *, actor: Actor, reason: str) -> None:
    """Before a group row goes: its requests stay (docs/lifecycle.md), naming the group and
    its tenant; the pending ones are cancelled with `reason`, audited as such. The caller
    holds the group."""
    requests = JoinRequest.objects.filter(group=group)
    pending = list(requests.filter(status=Pending).values_list("pk", "requester_id"))
    requests.filter(status=Pending).update(
        status=JoinRequest.Status.CANCELLED, decided_at=timezone.now(), decision_reason=reason
    )
    requests.update(group_name=group.display_name, tenant_id=group.tenant_id)
    record_many(
        EventKind.REQUEST_CANCELLED,
        actor=actor,
        tenant_id=group.tenant_id,
        changes=[
            _group_change(
                group, {"request": pk, "reason": reason}, user_id=requester, request_id=pk
            )
            for pk, requester in pending
        ],
    )


# --- Joining, leaving and requests -------------------------------------------------------------


@transaction.atomic
def request_to_join(group: Group, *, actor: Actor | User, justification: str = "") -> JoinRequest:
    """Join an open group at once, or ask the owners of an owner-approval group."""
    actor = as_actor(actor)
    group = _lock_group(group)  # serialises concurrent requests for this group
    require(actor, Action.JOIN, group)
    person = actor.user
    if Membership.objects.filter(group=group, user=person).exists():
        raise Conflict("You're already a member of this group.")
    if JoinRequest.objects.filter(group=group, requester=person, status=Pending).exists():
        raise Conflict(
            "You already asked to join this group; your request is waiting for an owner."
        )
    is_open = group.membership_policy == MembershipPolicy.OPEN
    justification = clean_text(
        justification,
        field="justification",
        label="Business justification",
        max_length=JUSTIFICATION_MAX,
        required=not is_open,
    )
    now = timezone.now()
    join_request = JoinRequest.objects.create(
        group=group,
        tenant_id=group.tenant_id,
        requester=person,
        justification=justification,
        status=JoinRequest.Status.APPROVED if is_open else Pending,
        decision_reason=OPEN_JOIN_REASON if is_open else "",
        decided_at=now if is_open else None,
    )
    if is_open:
        ends_at, term_days = membership_term(group, None, now=now)
        Membership.objects.create(
            group=group,
            user=person,
            added_by=person,
            added_via=Membership.Via.JOIN,
            ends_at=ends_at,
            term_days=term_days,
        )
    counts.change(**{"members" if is_open else "pending": [group.pk]})
    record_many(
        EventKind.GROUP_JOINED if is_open else EventKind.REQUEST_CREATED,
        actor=actor,
        tenant_id=group.tenant_id,
        changes=[
            _group_change(
                group,
                {"request": join_request.pk, "requester": person, "justification": justification},
                user_id=person.pk,
                request_id=join_request.pk,
            )
        ],
    )
    return join_request


@dataclass
class DecisionResult:
    """What deciding several requests did: the requests decided, and each refusal."""

    decided: list[JoinRequest] = field(default_factory=list)
    refused: list[tuple[JoinRequest, Refusal]] = field(default_factory=list)


CLOSING_KINDS = {
    JoinRequest.Status.APPROVED: (EventKind.REQUEST_APPROVED, Action.DECIDE_REQUEST),
    JoinRequest.Status.DENIED: (EventKind.REQUEST_DENIED, Action.DECIDE_REQUEST),
    JoinRequest.Status.CANCELLED: (EventKind.REQUEST_CANCELLED, Action.CANCEL_REQUEST),
    JoinRequest.Status.EXPIRED: (EventKind.REQUEST_EXPIRED, Action.DECIDE_REQUEST),
}


@transaction.atomic
def close_requests(
    request_ids: Sequence[int],
    *,
    actor: Actor | User,
    status: str,
    reason: str = "",
    ends_at: datetime | None = None,
) -> DecisionResult:
    """Approve, deny, cancel or expire many requests in a fixed number of queries.

    Locks their groups (by id), then the requests; each request is decided or refused on its
    own (not pending, the policy's reason, a deactivated requester) and the rest go on.
    Approving adds the members (ending at `ends_at`, else after each group's default
    duration). One audit row and one event per decided request.
    """
    actor = as_actor(actor)
    kind, action = CLOSING_KINDS[status]
    reason = _clean_reason(reason)
    if ends_at is not None:
        ends_at = clean_end(ends_at, now=timezone.now())
    group_ids = set(
        JoinRequest.objects.filter(pk__in=request_ids).values_list("group_id", flat=True)
    )
    if not group_ids:
        return DecisionResult()
    list(Group.objects.select_for_update().filter(pk__in=group_ids).order_by("pk").values("pk"))
    decider = Decider(actor)
    rows = list(
        decider.annotate(
            JoinRequest.objects.select_for_update(of=("self",)).filter(pk__in=request_ids),
            [action],
        )
        .select_related("group", "requester")
        .order_by("pk")
    )
    result = DecisionResult()
    for join_request in rows:
        refusal = _why_not_close(join_request, decider, action, status)
        if refusal is not None:
            result.refused.append((join_request, refusal))
        else:
            result.decided.append(join_request)
    if not result.decided:
        return result
    now = timezone.now()
    JoinRequest.objects.filter(pk__in=[r.pk for r in result.decided]).update(
        status=status, decided_by=actor.user, decided_at=now, decision_reason=reason
    )
    added: set[tuple[int, int]] = set()
    if status == JoinRequest.Status.APPROVED:
        added = _add_memberships(
            [(r.group, r.requester) for r in result.decided],
            actor=actor,
            via=Membership.Via.REQUEST,
            ends_at=ends_at,
            counted=False,
        )
    counts.adjust(  # one UPDATE for both counts
        members=Counter(group_id for group_id, _ in added),
        pending={k: -n for k, n in Counter(r.group_id for r in result.decided).items()},
    )
    for join_request in result.decided:
        join_request.status, join_request.decided_at = status, now
        join_request.decided_by, join_request.decision_reason = actor.user, reason
    for tenant_id in sorted({r.group.tenant_id for r in result.decided}):
        record_many(
            kind,
            actor=actor,
            tenant_id=tenant_id,
            changes=[
                _group_change(
                    r.group,
                    {"request": r.pk, "requester": r.requester, "reason": reason},
                    user_id=r.requester_id,
                    request_id=r.pk,
                    membership_added=(r.group_id, r.requester_id) in added,
                    **_approved_until(r, status, ends_at, now),
                )
                for r in result.decided
                if r.group.tenant_id == tenant_id
            ],
        )
    return result


def _approved_until(join_request: JoinRequest, status: str, ends_at, now) -> dict:
    """An approval's event says until when the membership runs (null: no end)."""
    if status != JoinRequest.Status.APPROVED:
        return {}
    return {"ends_at": membership_term(join_request.group, ends_at, now=now)[0]}


def _why_not_close(
    join_request: JoinRequest, decider: Decider, action: str, status: str
) -> Refusal | None:
    if join_request.status != Pending:
        return Conflict(f"This request is already {join_request.get_status_display().lower()}.")
    decision = decider.can(action, join_request)
    if not decision:
        return decision.refusal()
    if status == JoinRequest.Status.APPROVED and not join_request.requester.is_active:
        return Conflict(f"{join_request.requester.display_name}'s account is deactivated.")
    return None


def _close_one(
    join_request: JoinRequest, *, actor, status: str, reason: str = "", ends_at=None
) -> JoinRequest:
    """Close one request; its refusal is raised (nothing written)."""
    result = close_requests(
        [join_request.pk], actor=actor, status=status, reason=reason, ends_at=ends_at
    )
    if result.refused:
        raise result.refused[0][1]
    if not result.decided:  # gone with its group in the meantime
        raise Conflict("This request no longer exists.")
    return result.decided[0]


def approve_request(
    join_request: JoinRequest,
    *,
    actor: Actor | User,
    reason: str = "",
    ends_at: datetime | None = None,
) -> JoinRequest:
    """An owner (or global admin) approves: the requester becomes a member (until `ends_at`,
    else for the group's default duration, if any)."""
    return _close_one(
        join_request,
        actor=actor,
        status=JoinRequest.Status.APPROVED,
        reason=reason,
        ends_at=ends_at,
    )


def deny_request(
    join_request: JoinRequest, *, actor: Actor | User, reason: str = ""
) -> JoinRequest:
    """An owner (or global admin) denies, with an optional reason the requester will see."""
    return _close_one(join_request, actor=actor, status=JoinRequest.Status.DENIED, reason=reason)


def cancel_request(join_request: JoinRequest, *, actor: Actor | User) -> JoinRequest:
    """The requester (or a global admin) withdraws a pending request."""
    return _close_one(join_request, actor=actor, status=JoinRequest.Status.CANCELLED)


@transaction.atomic
def leave_group(group: Group, *, actor: Actor | User) -> None:
    """A member leaves a self-service group."""
    actor = as_actor(actor)
    group = _lock_group(group)
    require(actor, Action.LEAVE, group)
    deleted, _ = Membership.objects.filter(group=group, user=actor.user).delete()
    counts.change(members=[group.pk] * deleted, sign=-1)
    record_many(
        EventKind.GROUP_LEFT,
        actor=actor,
        tenant_id=group.tenant_id,
        changes=[_group_change(group, {"user": actor.user}, user_id=actor.user.pk)],
    )


# --- Members and owners ------------------------------------------------------------------------


def _via(actor: Actor, group: Group) -> str:
    """How a person was added: by an owner, a global admin, or a SCIM client or job."""
    if actor.user is None:
        return Membership.Via.SYSTEM
    if (
        actor.user.is_global_admin
        and not Ownership.objects.filter(group=group, user=actor.user).exists()
    ):
        return Membership.Via.ADMIN
    return Membership.Via.OWNER


def _add_memberships(
    pairs: list[tuple[Group, User]],
    *,
    actor: Actor,
    via: str,
    known_absent: bool = False,
    ends_at: datetime | None = None,
    counted: bool = True,
) -> set[tuple[int, int]]:
    """Insert the (group, person) memberships that don't exist yet; returns those inserted.

    The caller holds the groups' locks, so nobody else adds the same rows meanwhile;
    `known_absent` skips the lookup when the caller has just checked under that lock.
    Each membership ends at `ends_at`, else after its group's default duration, if any.
    The groups' member counts go up by what was inserted, unless the caller (`counted`
    False) changes the counts itself in the same UPDATE as others.
    """
    now = timezone.now()
    present: set[tuple[int, int]] = set()
    if not known_absent:
        group_ids = {group.pk for group, _ in pairs}
        user_ids = {person.pk for _, person in pairs}
        present = set(
            Membership.objects.filter(group_id__in=group_ids, user_id__in=user_ids).values_list(
                "group_id", "user_id"
            )
        )
    new = {(g.pk, p.pk): (g, p) for g, p in pairs if (g.pk, p.pk) not in present}
    terms = {g.pk: membership_term(g, ends_at, now=now) for g, _ in new.values()}
    Membership.objects.bulk_create(
        Membership(
            group=g,
            user=p,
            added_by=actor.user,
            added_via=via,
            ends_at=terms[g.pk][0],
            term_days=terms[g.pk][1],
        )
        for g, p in new.values()
    )
    if counted:
        counts.change(members=[group_id for group_id, _ in new])
    return set(new)


@transaction.atomic
def add_members(
    group: Group,
    *,
    actor: Actor | User,
    people: Iterable[User],
    ends_at: datetime | None = None,
) -> AddMembersResult:
    """Add many people at once; idempotent. Each person is added, already in, or refused.

    A pending request of someone added is approved with the add. Their memberships end at
    `ends_at`, else after the group's default duration, if any. About a dozen queries
    whatever the number of people.
    """
    actor = as_actor(actor)
    group = _lock_group(group)
    require(actor, Action.MANAGE_MEMBERS, group)
    ends_at, _ = membership_term(group, ends_at, now=timezone.now())
    result = classify_for_adding(group, people)
    if not result.added:
        return result
    via = _via(actor, group)
    _add_memberships(
        [(group, person) for person in result.added],
        actor=actor,
        via=via,
        known_absent=True,
        ends_at=ends_at,
        counted=False,
    )
    resolved = _approve_pending_of(group, result.added, actor=actor)
    counts.adjust(members={group.pk: len(result.added)}, pending={group.pk: -len(resolved)})
    record_many(
        EventKind.MEMBER_ADDED,
        actor=actor,
        tenant_id=group.tenant_id,
        changes=[
            _group_change(
                group,
                {
                    "user": person,
                    "via": via,
                    "resolved_request": resolved.get(person.pk),
                    **({"ends_at": ends_at} if ends_at else {}),
                },
                user_id=person.pk,
                request_id=resolved.get(person.pk),
                ends_at=ends_at,
            )
            for person in result.added
        ],
    )
    return result


def _approve_pending_of(group: Group, people: list[User], *, actor: Actor) -> dict[int, int]:
    """People added directly no longer wait: their pending requests are approved with the add.

    Returns {person id: request id}. The caller holds the group's lock and counts them down.
    """
    pending = dict(
        JoinRequest.objects.filter(group=group, requester__in=people, status=Pending).values_list(
            "requester_id", "pk"
        )
    )
    if pending:
        JoinRequest.objects.filter(pk__in=pending.values()).update(
            status=JoinRequest.Status.APPROVED,
            decided_by=actor.user,
            decided_at=timezone.now(),
            decision_reason="Added directly to the group.",
        )
    return pending


@transaction.atomic
def remove_member(group: Group, *, actor: Actor | User, person: User) -> None:
    """An owner (or global admin) removes someone from the group."""
    if not remove_members(group, actor=actor, people=[person]):
        raise Conflict(f"{person.display_name} isn't a member of this group.")


@transaction.atomic
def remove_members(group: Group, *, actor: Actor | User, people: Iterable[User]) -> list[User]:
    """Remove many people at once (an identity provider's PATCH); returns those who were
    members (the others are skipped). A few queries whatever the number of people."""
    actor = as_actor(actor)
    group = _lock_group(group)
    require(actor, Action.MANAGE_MEMBERS, group)
    people = list(people)
    were_members = set(
        Membership.objects.filter(group=group, user__in=people).values_list("user_id", flat=True)
    )
    removed = [person for person in people if person.pk in were_members]
    if not removed:
        return []
    Membership.objects.filter(group=group, user_id__in=were_members).delete()
    counts.change(members=[group.pk] * len(were_members), sign=-1)
    record_many(
        EventKind.MEMBER_REMOVED,
        actor=actor,
        tenant_id=group.tenant_id,
        changes=[_group_change(group, {"user": person}, user_id=person.pk) for person in removed],
    )
    return removed


@transaction.atomic
def add_owner(group: Group, *, actor: Actor | User, person: User) -> Ownership:
    """Make someone an owner (who may: General setting "Owners who can assign…")."""
    actor = as_actor(actor)
    group = _lock_group(group)
    require(actor, Action.MANAGE_OWNERS, group)
    _same_tenant_people([person], group.tenant_id, field="person")
    owners = Ownership.objects.filter(group=group)
    if owners.filter(user=person).exists():
        raise Conflict(f"{person.display_name} is already an owner of this group.")
    if owners.count() >= MAX_OWNERS_PER_GROUP:
        raise Conflict(Reason.OWNER_LIMIT)
    ownership = Ownership.objects.create(group=group, user=person, added_by=actor.user)
    record_many(
        EventKind.OWNER_ADDED,
        actor=actor,
        tenant_id=group.tenant_id,
        changes=[_group_change(group, {"user": person}, user_id=person.pk)],
    )
    return ownership


@transaction.atomic
def remove_owner(group: Group, *, actor: Actor | User, person: User) -> None:
    """Remove an owner; only a global admin may remove the last owner of a self-service group."""
    actor = as_actor(actor)
    group = _lock_group(group)
    require(actor, Action.MANAGE_OWNERS, group)
    owners = Ownership.objects.filter(group=group)
    if not owners.filter(user=person).exists():
        raise Conflict(f"{person.display_name} isn't an owner of this group.")
    Decider(actor).remove_owner(group, owner_count=owners.count()).require()
    owners.filter(user=person).delete()
    record_many(
        EventKind.OWNER_REMOVED,
        actor=actor,
        tenant_id=group.tenant_id,
        changes=[_group_change(group, {"user": person}, user_id=person.pk)],
    )


# --- Nested groups ---------------------------------------------------------------------------


def _lock_nesting(parent: Group, child: Group) -> tuple[Group, Group]:
    """Nesting changes of a tenant run one at a time (its row, NO KEY UPDATE), so two of them
    can't each close half of a loop; then both groups, by id."""
    Tenant.objects.select_for_update(no_key=True).filter(pk=parent.tenant_id).first()
    locked = {
        g.pk: g
        for g in Group.objects.select_for_update()
        .filter(pk__in=[parent.pk, child.pk])
        .order_by("pk")
    }
    if parent.pk not in locked or child.pk not in locked:
        raise Conflict("This group no longer exists.")
    return locked[parent.pk], locked[child.pk]


@transaction.atomic
def nest_group(parent: Group, *, actor: Actor | User, child: Group) -> GroupNesting:
    """Make `child` a member of `parent`: its members count for the parent's access.

    Only owners of the parent (or global admins) may; both must be security groups of the
    same tenant; a loop is refused with the loop named.
    """
    actor = as_actor(actor)
    parent, child = _lock_nesting(parent, child)
    require(actor, Action.MANAGE_MEMBERS, parent)
    if child.tenant_id != parent.tenant_id:
        raise Invalid("Only a group of your organisation can be nested.", field="group")
    if not nests(parent) or not nests(child):
        raise Invalid(
            "Only security groups can be nested, and only into security groups "
            "(Microsoft 365 groups can neither nest nor be nested).",
            field="group",
        )
    if GroupNesting.objects.filter(parent=parent, child=child).exists():
        raise Conflict(f"“{child.display_name}” is already nested in “{parent.display_name}”.")
    loop = [parent.pk] if parent.pk == child.pk else graph.nesting_path(child.pk, parent.pk)
    if loop is not None:
        names = dict(Group.objects.filter(pk__in=loop).values_list("pk", "display_name"))
        chain = " → ".join(f"“{names[pk]}”" for pk in [parent.pk, *loop])
        raise Conflict(
            f"Nesting “{child.display_name}” in “{parent.display_name}” would make a loop: "
            f"{chain} (each contains the next).",
            field="group",
        )
    nesting = GroupNesting.objects.create(parent=parent, child=child, added_by=actor.user)
    record_many(
        EventKind.GROUP_NESTED,
        actor=actor,
        tenant_id=parent.tenant_id,
        changes=[_group_change(parent, {"nested_group": child}, child_group_id=child.pk)],
    )
    return nesting


@transaction.atomic
def unnest_group(parent: Group, *, actor: Actor | User, child: Group) -> None:
    """Take a nested group out of `parent` (owners of the parent, or global admins)."""
    actor = as_actor(actor)
    parent, child = _lock_nesting(parent, child)
    require(actor, Action.MANAGE_MEMBERS, parent)
    deleted, _ = GroupNesting.objects.filter(parent=parent, child=child).delete()
    if not deleted:
        raise Conflict(f"“{child.display_name}” isn't nested in “{parent.display_name}”.")
    record_many(
        EventKind.GROUP_UNNESTED,
        actor=actor,
        tenant_id=parent.tenant_id,
        changes=[_group_change(parent, {"nested_group": child}, child_group_id=child.pk)],
    )


def lock_groups_of_pending_requests(kind: str, person: User) -> None:
    """Before a person is deactivated: lock the groups of their pending requests (by id), so
    the deactivation takes its locks in the same order as every group action (groups first)."""
    group_ids = JoinRequest.objects.filter(requester=person, status=Pending).values("group_id")
    list(Group.objects.select_for_update().filter(pk__in=group_ids).order_by("pk").values("pk"))


def keep_deleted_requesters_name(sender, instance: User, **kwargs) -> None:
    """Before a person's row is deleted, their requests keep who they were: the history is
    never deleted (docs/lifecycle.md). Connected to `pre_delete` of User (groups/apps.py);
    the delete then sets `requester` to NULL."""
    JoinRequest.objects.filter(requester=instance).update(
        requester_name=instance.display_name[:150], requester_email=instance.email
    )


def forget_memberships_of_deleted(kind: str, person: User) -> None:
    """Before a person's row is deleted (their memberships go with it): lock their groups (by
    id) and count those memberships down. Registered as a preparation (groups/apps.py)."""
    group_ids = Membership.objects.filter(user=person).values("group_id")
    locked = list(
        Group.with_deleted.select_for_update()
        .filter(pk__in=group_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    counts.change(members=locked, sign=-1)


def cancel_requests_of_deactivated(
    kind: str, actor: Actor, tenant_id: int, deactivations: Sequence[Change]
) -> None:
    """A deactivated person's pending requests are cancelled with the deactivation.

    Subscribed to `user.deactivated` in the same transaction (groups/apps.py); tenants never
    calls into groups. Checks no policy itself: the deactivation was allowed.
    """
    person_ids = [change.target.pk for change in deactivations]
    group_ids = JoinRequest.objects.filter(requester_id__in=person_ids, status=Pending).values(
        "group_id"
    )
    # The lock order: their groups first (as every group action), then the requests.
    locked = Group.objects.select_for_update().filter(pk__in=group_ids).order_by("pk")
    locked_ids = list(locked.values_list("pk", flat=True))
    pending = list(
        JoinRequest.objects.select_for_update(of=("self",))
        .filter(requester_id__in=person_ids, status=Pending, group_id__in=locked_ids)
        .select_related("group", "requester")
        .order_by("pk")
    )
    if not pending:
        return
    reason = "The requester's account was deactivated."
    JoinRequest.objects.filter(pk__in=[r.pk for r in pending]).update(
        status=JoinRequest.Status.CANCELLED,
        decided_by=actor.user,
        decided_at=timezone.now(),
        decision_reason=reason,
    )
    counts.change(pending=[r.group_id for r in pending], sign=-1)
    record_many(
        EventKind.REQUEST_CANCELLED,
        actor=actor,
        tenant_id=tenant_id,
        changes=[
            _group_change(
                r.group,
                {"request": r.pk, "requester": r.requester, "reason": "deactivated"},
                user_id=r.requester_id,
                request_id=r.pk,
            )
            for r in pending
        ],
    )
