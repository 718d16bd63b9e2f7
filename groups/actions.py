"""Every write to groups, memberships, ownerships and join requests.

Each action: atomic → lock what it decides on → policy check → state check (DomainError with a
clear message) → write → exactly one audit event per change → domain events on commit.
Views, admin, API, commands and test setup all go through here.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from groups import events
from groups.models import (
    DECISION_REASON_MAX,
    DESCRIPTION_MAX,
    DISPLAY_NAME_MAX,
    JUSTIFICATION_MAX,
    SELF_SERVICE_TYPES,
    Group,
    GroupSource,
    GroupType,
    JoinRequest,
    Membership,
    MembershipPolicy,
    Ownership,
)
from groups.policy import (
    MAX_OWNERS_PER_GROUP,
    Action,
    Reason,
    require,
    require_create,
)
from tenants.audit import changes, record_audit
from tenants.errors import DomainError
from tenants.models import User

Pending = JoinRequest.Status.PENDING


def clean_text(
    value: str | None, *, field: str, label: str, max_length: int, required: bool
) -> str:
    """Strip a text input and check it; a DomainError names the field and the limit."""
    value = (value or "").strip()
    if "\x00" in value:
        raise DomainError(f"{label} can't contain NUL characters.", field=field)
    if required and not value:
        raise DomainError(f"{label} is required.", field=field)
    if len(value) > max_length:
        raise DomainError(
            f"{label} can be at most {max_length:,} characters (it has {len(value):,}).",
            field=field,
        )
    return value


def _clean_name(display_name: str) -> str:
    return clean_text(
        display_name,
        field="display_name",
        label="Name",
        max_length=DISPLAY_NAME_MAX,
        required=True,
    )


def _clean_description(description: str) -> str:
    return clean_text(
        description,
        field="description",
        label="Description",
        max_length=DESCRIPTION_MAX,
        required=False,
    )


def _name_taken(display_name: str) -> DomainError:
    return DomainError(
        f"A group named “{display_name}” already exists in your organisation.", field="display_name"
    )


def _require_unique_name(
    tenant_id: int, display_name: str, *, excluding: int | None = None
) -> None:
    clashes = Group.objects.filter(tenant_id=tenant_id, display_name__iexact=display_name)
    if excluding is not None:
        clashes = clashes.exclude(pk=excluding)
    if clashes.exists():
        raise _name_taken(display_name)


def _group_snapshot(group: Group) -> dict[str, Any]:
    return {
        "display_name": group.display_name,
        "description": group.description,
        "group_type": group.group_type,
        "source": group.source,
        "membership_policy": group.membership_policy,
    }


def default_policy(source: str, group_type: str) -> str:
    """The seed's defaults table: which membership policy a new group gets from each source."""
    if group_type not in SELF_SERVICE_TYPES:
        return MembershipPolicy.CLOSED
    if source == GroupSource.ACCESS_PANEL or group_type == GroupType.MICROSOFT365:
        return MembershipPolicy.OPEN
    return MembershipPolicy.CLOSED  # security groups from the API or the admin center


def creator_becomes_owner(source: str, creator: User) -> bool:
    """The seed's defaults table: who owns a new group from each source."""
    if source == GroupSource.ADMIN_CENTER:
        return False  # "Owner is not assigned automatically at group creation"
    if source == GroupSource.API:
        return not creator.is_global_admin
    return True


def _same_tenant_people(people: Iterable[User], tenant_id: int, *, field: str) -> list[User]:
    people = list(people)
    strangers = [p for p in people if p.tenant_id != tenant_id or not p.is_active]
    if strangers:
        names = ", ".join(p.email for p in strangers)
        raise DomainError(
            f"These people aren't active users of your organisation: {names}.", field=field
        )
    return people


@transaction.atomic
def create_group(
    *,
    acting_user: User,
    display_name: str,
    group_type: str,
    source: str,
    description: str = "",
    membership_policy: str | None = None,
    owners: Iterable[User] = (),
) -> Group:
    """Create a group with the defaults of its source (SPEC section 1) and audit it."""
    if group_type not in GroupType.values:
        raise DomainError(f"{group_type!r} is not a group type.", field="group_type")
    if source not in GroupSource.values:
        raise DomainError(f"{source!r} is not a group source.", field="source")
    if membership_policy is not None and membership_policy not in MembershipPolicy.values:
        raise DomainError(
            f"{membership_policy!r} is not a membership policy.", field="membership_policy"
        )
    policy = membership_policy or default_policy(source, group_type)
    display_name = _clean_name(display_name)
    description = _clean_description(description)
    User.objects.select_for_update(no_key=True).filter(pk=acting_user.pk).first()  # the 250 limit
    require_create(acting_user, group_type=group_type, membership_policy=policy, source=source)
    extra_owners = _same_tenant_people(owners, acting_user.tenant_id, field="owners")
    _require_unique_name(acting_user.tenant_id, display_name)
    initial_owners = {p.pk: p for p in extra_owners}
    if creator_becomes_owner(source, acting_user):
        initial_owners.setdefault(acting_user.pk, acting_user)
    if len(initial_owners) > MAX_OWNERS_PER_GROUP:
        raise DomainError(
            f"A group can have at most {MAX_OWNERS_PER_GROUP} owners.", field="owners"
        )
    try:
        with transaction.atomic():
            group = Group.objects.create(
                tenant_id=acting_user.tenant_id,
                display_name=display_name,
                description=description,
                group_type=group_type,
                source=source,
                membership_policy=policy,
                created_by=acting_user,
            )
    except IntegrityError:  # a concurrent create took the name between check and insert
        raise _name_taken(display_name) from None
    Ownership.objects.bulk_create(
        Ownership(group=group, user=owner, added_by=acting_user)
        for owner in initial_owners.values()
    )
    record_audit(
        tenant=group.tenant_id,
        actor=acting_user,
        action="group.created",
        target=group,
        data={**_group_snapshot(group), "owners": sorted(p.email for p in initial_owners.values())},
    )
    events.emit("group.created", tenant_id=group.tenant_id, group_id=group.pk)
    return group


def _lock_group(group: Group) -> Group:
    return Group.objects.select_for_update().get(pk=group.pk)


EDITABLE_GROUP_FIELDS = ("display_name", "description", "membership_policy")


@transaction.atomic
def update_group(group: Group, *, acting_user: User, **new_values: Any) -> Group:
    """Change a group's name, description or membership policy."""
    unknown = set(new_values) - set(EDITABLE_GROUP_FIELDS)
    if unknown:
        raise DomainError(f"These group fields can't be changed: {', '.join(sorted(unknown))}.")
    group = _lock_group(group)
    require(acting_user, Action.EDIT, group)
    if "display_name" in new_values:
        new_values["display_name"] = _clean_name(new_values["display_name"])
        _require_unique_name(group.tenant_id, new_values["display_name"], excluding=group.pk)
    if "description" in new_values:
        new_values["description"] = _clean_description(new_values["description"])
    policy = new_values.get("membership_policy", group.membership_policy)
    if policy not in MembershipPolicy.values:
        raise DomainError(f"{policy!r} is not a membership policy.", field="membership_policy")
    if (
        policy != group.membership_policy
        and policy == MembershipPolicy.OWNER_APPROVAL
        and not acting_user.is_global_admin
        and not acting_user.has_premium_license
    ):
        raise DomainError(Reason.CREATE_OWNER_APPROVAL_LICENSE, field="membership_policy")
    diff = changes({f: getattr(group, f) for f in new_values}, new_values)
    if not diff:
        return group
    for name, value in new_values.items():
        setattr(group, name, value)
    try:
        with transaction.atomic():
            group.save(update_fields=[*new_values, "updated_at"])
    except IntegrityError:  # a concurrent rename took the name between check and save
        raise _name_taken(group.display_name) from None
    record_audit(
        tenant=group.tenant_id, actor=acting_user, action="group.updated", target=group, data=diff
    )
    events.emit("group.updated", tenant_id=group.tenant_id, group_id=group.pk)
    return group


@transaction.atomic
def delete_group(group: Group, *, acting_user: User) -> None:
    """Delete a group with its memberships, ownerships and requests (the audit log keeps it)."""
    group = _lock_group(group)
    require(acting_user, Action.DELETE, group)
    record_audit(
        tenant=group.tenant_id,
        actor=acting_user,
        action="group.deleted",
        target=group,
        data={
            **_group_snapshot(group),
            "members": group.memberships.count(),
            "owners": sorted(group.ownerships.values_list("user__email", flat=True)),
        },
    )
    group_id, tenant_id = group.pk, group.tenant_id
    group.delete()
    events.emit("group.deleted", tenant_id=tenant_id, group_id=group_id)


def _is_member(group: Group, user: User) -> bool:
    return Membership.objects.filter(group=group, user=user).exists()


def _add_membership(group: Group, user: User, *, acting_user: User | None, via: str) -> Membership:
    membership = Membership.objects.create(
        group=group, user=user, added_by=acting_user, added_via=via
    )
    events.emit("membership.added", tenant_id=group.tenant_id, group_id=group.pk, user_id=user.pk)
    return membership


@transaction.atomic
def request_to_join(group: Group, *, acting_user: User, justification: str = "") -> JoinRequest:
    """Join an open group at once, or ask the owners of an owner-approval group."""
    group = _lock_group(group)  # serialises concurrent requests for this group
    require(acting_user, Action.JOIN, group)
    if _is_member(group, acting_user):
        raise DomainError("You're already a member of this group.")
    if JoinRequest.objects.filter(group=group, requester=acting_user, status=Pending).exists():
        raise DomainError(
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
        requester=acting_user,
        justification=justification,
        status=JoinRequest.Status.APPROVED if is_open else Pending,
        decision_reason="Open group: approved automatically." if is_open else "",
        decided_at=now if is_open else None,
    )
    if is_open:
        _add_membership(group, acting_user, acting_user=acting_user, via=Membership.Via.JOIN)
    record_audit(
        tenant=group.tenant_id,
        actor=acting_user,
        action="group.joined" if is_open else "request.created",
        target=group,
        data={"request": join_request.pk, "requester": acting_user, "justification": justification},
    )
    if not is_open:
        events.emit("request.created", tenant_id=group.tenant_id, request_id=join_request.pk)
    return join_request


def _lock_request(join_request: JoinRequest) -> JoinRequest:
    """Lock the request's group, then the request: the same order as every group action,
    so deciding, adding members, deleting the group and deactivating people can't deadlock."""
    group_id = JoinRequest.objects.values_list("group_id", flat=True).get(pk=join_request.pk)
    Group.objects.select_for_update().filter(pk=group_id).first()
    return (
        JoinRequest.objects.select_for_update(of=("self",))
        .select_related("group", "requester")
        .get(pk=join_request.pk)
    )


def _require_pending(join_request: JoinRequest) -> None:
    if join_request.status != Pending:
        raise DomainError(f"This request is already {join_request.get_status_display().lower()}.")


def _close_request(
    join_request: JoinRequest, *, status: str, acting_user: User | None, reason: str
) -> None:
    join_request.status = status
    join_request.decided_by = acting_user
    join_request.decided_at = timezone.now()
    join_request.decision_reason = reason
    join_request.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])


@transaction.atomic
def cancel_request(join_request: JoinRequest, *, acting_user: User) -> JoinRequest:
    """The requester (or a global admin) withdraws a pending request."""
    join_request = _lock_request(join_request)
    require(acting_user, Action.CANCEL_REQUEST, join_request)
    _require_pending(join_request)
    _close_request(
        join_request, status=JoinRequest.Status.CANCELLED, acting_user=acting_user, reason=""
    )
    record_audit(
        tenant=join_request.group.tenant_id,
        actor=acting_user,
        action="request.cancelled",
        target=join_request.group,
        data={"request": join_request.pk, "requester": join_request.requester},
    )
    return join_request


def cancel_pending_requests_of(person: User, *, acting_user: User | None) -> int:
    """Cancel a deactivated person's pending requests, one audit event each.

    Called by tenants.actions.update_user inside its transaction; it checks no policy itself.
    """
    pending = JoinRequest.objects.select_for_update(of=("self",)).filter(
        requester=person, status=Pending
    )
    cancelled = 0
    for join_request in pending.select_related("group"):
        _close_request(
            join_request,
            status=JoinRequest.Status.CANCELLED,
            acting_user=acting_user,
            reason="The requester's account was deactivated.",
        )
        record_audit(
            tenant=join_request.group.tenant_id,
            actor=acting_user,
            action="request.cancelled",
            target=join_request.group,
            data={"request": join_request.pk, "requester": person, "reason": "deactivated"},
        )
        cancelled += 1
    return cancelled


def _clean_reason(reason: str) -> str:
    return clean_text(
        reason, field="reason", label="Reason", max_length=DECISION_REASON_MAX, required=False
    )


@transaction.atomic
def approve_request(
    join_request: JoinRequest, *, acting_user: User, reason: str = ""
) -> JoinRequest:
    """An owner (or global admin) approves: the requester becomes a member."""
    join_request = _lock_request(join_request)  # two deciders at once: the second sees it decided
    require(acting_user, Action.DECIDE_REQUEST, join_request)
    _require_pending(join_request)
    if not join_request.requester.is_active:
        raise DomainError(f"{join_request.requester.display_name}'s account is deactivated.")
    reason = _clean_reason(reason)
    _close_request(
        join_request, status=JoinRequest.Status.APPROVED, acting_user=acting_user, reason=reason
    )
    group = join_request.group
    if not _is_member(group, join_request.requester):
        _add_membership(
            group, join_request.requester, acting_user=acting_user, via=Membership.Via.REQUEST
        )
    record_audit(
        tenant=group.tenant_id,
        actor=acting_user,
        action="request.approved",
        target=group,
        data={"request": join_request.pk, "requester": join_request.requester, "reason": reason},
    )
    events.emit("request.decided", tenant_id=group.tenant_id, request_id=join_request.pk)
    return join_request


@transaction.atomic
def deny_request(join_request: JoinRequest, *, acting_user: User, reason: str = "") -> JoinRequest:
    """An owner (or global admin) denies, with an optional reason the requester will see."""
    join_request = _lock_request(join_request)
    require(acting_user, Action.DECIDE_REQUEST, join_request)
    _require_pending(join_request)
    reason = _clean_reason(reason)
    _close_request(
        join_request, status=JoinRequest.Status.DENIED, acting_user=acting_user, reason=reason
    )
    record_audit(
        tenant=join_request.group.tenant_id,
        actor=acting_user,
        action="request.denied",
        target=join_request.group,
        data={"request": join_request.pk, "requester": join_request.requester, "reason": reason},
    )
    events.emit(
        "request.decided", tenant_id=join_request.group.tenant_id, request_id=join_request.pk
    )
    return join_request


@transaction.atomic
def leave_group(group: Group, *, acting_user: User) -> None:
    """A member leaves a self-service group."""
    group = _lock_group(group)
    require(acting_user, Action.LEAVE, group)
    Membership.objects.filter(group=group, user=acting_user).delete()
    record_audit(tenant=group.tenant_id, actor=acting_user, action="group.left", target=group)
    events.emit(
        "membership.removed", tenant_id=group.tenant_id, group_id=group.pk, user_id=acting_user.pk
    )


@dataclass
class AddMembersResult:
    """What `add_members` did with each person it was given."""

    added: list[User] = field(default_factory=list)
    already_members: list[User] = field(default_factory=list)
    refused: list[tuple[User, str]] = field(default_factory=list)


def _via(acting_user: User, group: Group) -> str:
    if (
        acting_user.is_global_admin
        and not Ownership.objects.filter(group=group, user=acting_user).exists()
    ):
        return Membership.Via.ADMIN
    return Membership.Via.OWNER


@transaction.atomic
def add_members(group: Group, *, acting_user: User, people: Iterable[User]) -> AddMembersResult:
    """Add many people at once; idempotent. Each person is added, already in, or refused."""
    group = _lock_group(group)
    require(acting_user, Action.MANAGE_MEMBERS, group)
    result = AddMembersResult()
    unique_people = list({person.pk: person for person in people}.values())
    present = set(
        Membership.objects.filter(group=group, user__in=unique_people).values_list(
            "user_id", flat=True
        )
    )
    via = _via(acting_user, group)
    for person in unique_people:
        if person.tenant_id != group.tenant_id:
            result.refused.append((person, "Not a user of your organisation."))
        elif not person.is_active:
            result.refused.append((person, "This account is deactivated."))
        elif person.pk in present:
            result.already_members.append(person)
        else:
            result.added.append(person)
    for person in result.added:
        _add_membership(group, person, acting_user=acting_user, via=via)
        resolved = _resolve_pending_request(group, person, acting_user=acting_user)
        record_audit(
            tenant=group.tenant_id,
            actor=acting_user,
            action="member.added",
            target=group,
            data={"user": person, "via": via, "resolved_request": resolved},
        )
    return result


def _resolve_pending_request(group: Group, person: User, *, acting_user: User) -> int | None:
    """A person added directly no longer waits: their pending request is approved with the add."""
    pending = JoinRequest.objects.filter(group=group, requester=person, status=Pending).first()
    if pending is None:
        return None
    _close_request(
        pending,
        status=JoinRequest.Status.APPROVED,
        acting_user=acting_user,
        reason="Added directly to the group.",
    )
    return pending.pk


def _person_change(
    group: Group, person: User, *, acting_user: User, audit_action: str, event: str, **data
) -> None:
    """Audit a change about one person in a group and announce it after commit."""
    record_audit(
        tenant=group.tenant_id,
        actor=acting_user,
        action=audit_action,
        target=group,
        data={"user": person, **data},
    )
    events.emit(event, tenant_id=group.tenant_id, group_id=group.pk, user_id=person.pk)


@transaction.atomic
def remove_member(group: Group, *, acting_user: User, person: User) -> None:
    """An owner (or global admin) removes someone from the group."""
    group = _lock_group(group)
    require(acting_user, Action.MANAGE_MEMBERS, group)
    deleted, _ = Membership.objects.filter(group=group, user=person).delete()
    if not deleted:
        raise DomainError(f"{person.display_name} isn't a member of this group.")
    _person_change(
        group,
        person,
        acting_user=acting_user,
        audit_action="member.removed",
        event="membership.removed",
    )


@transaction.atomic
def add_owner(group: Group, *, acting_user: User, person: User) -> Ownership:
    """Make someone an owner (who may do this: General setting "Owners who can assign…")."""
    group = _lock_group(group)
    require(acting_user, Action.MANAGE_OWNERS, group)
    _same_tenant_people([person], group.tenant_id, field="person")
    owners = Ownership.objects.filter(group=group)
    if owners.filter(user=person).exists():
        raise DomainError(f"{person.display_name} is already an owner of this group.")
    if owners.count() >= MAX_OWNERS_PER_GROUP:
        raise DomainError(f"A group can have at most {MAX_OWNERS_PER_GROUP} owners.")
    ownership = Ownership.objects.create(group=group, user=person, added_by=acting_user)
    _person_change(
        group, person, acting_user=acting_user, audit_action="owner.added", event="ownership.added"
    )
    return ownership


def may_remove_an_owner(group: Group, *, acting_user: User, owner_count: int) -> bool:
    """The last-owner rule: a self-service group keeps an owner unless a global admin acts."""
    return acting_user.is_global_admin or not group.is_self_service or owner_count > 1


@transaction.atomic
def remove_owner(group: Group, *, acting_user: User, person: User) -> None:
    """Remove an owner; only a global admin may remove the last owner of a self-service group."""
    group = _lock_group(group)
    require(acting_user, Action.MANAGE_OWNERS, group)
    owners = Ownership.objects.filter(group=group)
    if not owners.filter(user=person).exists():
        raise DomainError(f"{person.display_name} isn't an owner of this group.")
    if not may_remove_an_owner(group, acting_user=acting_user, owner_count=owners.count()):
        raise DomainError(
            "You can't remove the last owner of a self-service group: add another owner first."
        )
    owners.filter(user=person).delete()
    _person_change(
        group,
        person,
        acting_user=acting_user,
        audit_action="owner.removed",
        event="ownership.removed",
    )
