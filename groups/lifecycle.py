"""Time-bound memberships and group expiration: the writes (docs/lifecycle.md).

The same shape as groups/actions.py: atomic, groups locked by id before their rows,
policy-checked, one audit row and one event per change. The system's jobs (`end_memberships`,
`expire_groups`, `purge_groups`) are set-based, so housekeeping (notifications/housekeeping.py)
costs a fixed number of queries per batch; each re-checks under the locks that its work is
still due, so two runs at the same moment never do it twice.

An expired group is soft-deleted: its members, owners and nestings move into a
`GroupArchive` (so nobody gets anything through it, and access follows at once), its row is
hidden by `Group.objects`, and a global admin may restore it for 30 days; then it is deleted
for good, its request history kept.
"""

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.db.models import DateTimeField, ExpressionWrapper, F, Q, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from groups import counts, graph
from groups.actions import (
    MAX_MEMBERSHIP_DAYS,
    _group_change,
    close_requests,
    keep_request_history,
)
from groups.models import (
    RESTORE_DAYS,
    Group,
    GroupArchive,
    GroupNesting,
    JoinRequest,
    Membership,
    Ownership,
)
from groups.policy import Action, Decider, may_restore, require
from tenants.actors import Actor, as_actor
from tenants.errors import Conflict, Invalid, NotFound
from tenants.events import changes, record_many
from tenants.models import EventKind, LifecycleSettings, User
from tenants.permissions import require_administer

# --- Reads for the jobs and pages ---------------------------------------------------------------


GRACE_DAYS = 30  # no group expires sooner after the policy starts to apply to it


def expires_at(group: Group, settings: LifecycleSettings) -> datetime | None:
    """When the expiration policy ends this group (None: it doesn't apply to it): its
    lifetime after creation or the last renewal, but never within 30 days of the policy
    starting to apply to it."""
    if not expiration_applies(group, settings):
        return None
    candidates = [group.lifetime_start + timedelta(days=settings.group_lifetime_days)]
    for since in (settings.group_expiration_since, _selected_since(group, settings)):
        if since is not None:
            candidates.append(since + timedelta(days=GRACE_DAYS))
    return max(candidates)


def _selected_since(group: Group, settings: LifecycleSettings) -> datetime | None:
    if settings.group_expiration_applies_to == LifecycleSettings.AppliesTo.SELECTED:
        return group.expiration_selected_at
    return None


def expiration_applies(group: Group, settings: LifecycleSettings) -> bool:
    applies_to = settings.group_expiration_applies_to
    if applies_to == LifecycleSettings.AppliesTo.ALL:
        return True
    return (
        applies_to == LifecycleSettings.AppliesTo.SELECTED
        and group.expiration_selected_at is not None
    )


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def groups_under_expiration(tenant_id: int, settings: LifecycleSettings):
    """The tenant's live groups the expiration policy applies to, with `expires_at` (the
    same rule as `expires_at()`, in SQL)."""
    groups = Group.objects.filter(tenant_id=tenant_id)
    grace = timedelta(days=GRACE_DAYS)
    floor = (settings.group_expiration_since or EPOCH - grace) + grace
    ends = [
        ExpressionWrapper(
            Coalesce("renewed_at", "created_at") + timedelta(days=settings.group_lifetime_days),
            output_field=DateTimeField(),
        ),
        Value(floor, output_field=DateTimeField()),
    ]
    match settings.group_expiration_applies_to:
        case LifecycleSettings.AppliesTo.SELECTED:
            groups = groups.filter(expiration_selected_at__isnull=False)
            ends.append(
                ExpressionWrapper(F("expiration_selected_at") + grace, output_field=DateTimeField())
            )
        case LifecycleSettings.AppliesTo.NONE:
            return groups.annotate(expires_at=Value(None, output_field=DateTimeField())).none()
    return groups.annotate(expires_at=Greatest(*ends))


def restorable_until(group: Group) -> datetime | None:
    return group.deleted_at + timedelta(days=RESTORE_DAYS) if group.deleted_at else None


def deleted_groups(tenant_id: int):
    """Expired groups a global admin may still restore, most recently expired first."""
    return Group.with_deleted.filter(tenant_id=tenant_id, deleted_at__isnull=False).order_by(
        "-deleted_at", "id"
    )


def deleted_group(tenant_id: int, pk: int) -> Group:
    """One expired group of the tenant (NotFound for anything else)."""
    found = deleted_groups(tenant_id).filter(pk=pk).first()
    if found is None:
        raise NotFound("No deleted group like this in your organisation.")
    return found


def _check_days(value: int | None, *, field: str, label: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(f"{label} must be a whole number of days.", field=field)
    if not 1 <= value <= MAX_MEMBERSHIP_DAYS:
        raise Invalid(f"{label} must be between 1 and {MAX_MEMBERSHIP_DAYS:,} days.", field=field)
    return value


def _lock(group_ids: Iterable[int], *, deleted: bool = False) -> list[Group]:
    manager = Group.with_deleted if deleted else Group.objects
    return list(manager.select_for_update().filter(pk__in=list(group_ids)).order_by("pk"))


# --- Owners' settings and renewals ---------------------------------------------------------------


@transaction.atomic
def set_membership_options(
    group: Group,
    *,
    actor: Actor | User,
    default_membership_days: int | None,
    members_can_renew: bool,
) -> Group:
    """An owner (or global admin) sets how long new memberships last, and whether members
    may renew their own."""
    actor = as_actor(actor)
    locked = _lock([group.pk])
    if not locked:
        raise NotFound("This group no longer exists.")
    group = locked[0]
    require(actor, Action.MANAGE_MEMBERS, group)
    new_values = {
        "default_membership_days": _check_days(
            default_membership_days,
            field="default_membership_days",
            label="Default membership duration",
        ),
        "members_can_renew": bool(members_can_renew),
    }
    diff = changes({name: getattr(group, name) for name in new_values}, new_values)
    if not diff:
        return group
    for name, value in new_values.items():
        setattr(group, name, value)
    group.save(update_fields=[*new_values, "updated_at"])
    record_many(
        EventKind.GROUP_UPDATED,
        actor=actor,
        tenant_id=group.tenant_id,
        changes=[_group_change(group, diff, fields=sorted(diff))],
    )
    return group


@transaction.atomic
def renew_membership(group: Group, *, actor: Actor | User, person: User) -> Membership:
    """Renew a time-bound membership for another term (one click): an owner or global admin
    for anyone, a member for themselves when the group allows it."""
    actor = as_actor(actor)
    locked = _lock([group.pk])
    if not locked:
        raise NotFound("This group no longer exists.")
    group = locked[0]
    own = actor.user is not None and actor.user.pk == person.pk
    require(actor, Action.RENEW_OWN if own else Action.MANAGE_MEMBERS, group)
    membership = Membership.objects.filter(group=group, user=person).first()
    if membership is None:
        raise Conflict(f"{person.display_name} isn't a member of this group.")
    if membership.ends_at is None:
        raise Conflict(f"{person.display_name}'s membership doesn't end: nothing to renew.")
    old_end = membership.ends_at
    membership.ends_at = max(old_end, timezone.now()) + timedelta(days=membership.term_days)
    membership.save(update_fields=["ends_at"])
    record_many(
        EventKind.MEMBERSHIP_RENEWED,
        actor=actor,
        tenant_id=group.tenant_id,
        changes=[
            _group_change(
                group,
                {"user": person, "ends_at": {"old": old_end, "new": membership.ends_at}},
                user_id=person.pk,
                ends_at=membership.ends_at,
            )
        ],
    )
    return membership


@transaction.atomic
def renew_group(group: Group, *, actor: Actor | User) -> Group:
    """Renew group: its lifetime under the expiration policy starts again (owners, admins)."""
    actor = as_actor(actor)
    locked = _lock([group.pk])
    if not locked:
        raise NotFound("This group no longer exists.")
    group = locked[0]
    require(actor, Action.MANAGE_MEMBERS, group)
    settings = LifecycleSettings.for_tenant(group.tenant_id)
    if not expiration_applies(group, settings):
        raise Conflict("The group expiration policy doesn't apply to this group.")
    old_expiry = expires_at(group, settings)
    group.renewed_at = timezone.now()
    group.save(update_fields=["renewed_at", "updated_at"])
    new_expiry = expires_at(group, settings)
    record_many(
        EventKind.GROUP_RENEWED,
        actor=actor,
        tenant_id=group.tenant_id,
        changes=[
            _group_change(
                group, {"expires_at": {"old": old_expiry, "new": new_expiry}}, expires_at=new_expiry
            )
        ],
    )
    return group


@transaction.atomic
def select_groups_for_expiration(
    tenant_id: int, *, actor: Actor | User, groups: Sequence[Group]
) -> int:
    """A global admin chooses the groups the expiration policy applies to when it applies to
    "Selected groups". Returns how many groups changed (one audit row each)."""
    actor = as_actor(actor)
    require_administer(actor, tenant_id)
    if any(group.tenant_id != tenant_id for group in groups):
        raise Invalid("Only groups of your organisation can be selected.", field="selected_groups")
    wanted = {group.pk for group in groups}
    selected = set(
        Group.objects.filter(tenant_id=tenant_id, expiration_selected_at__isnull=False).values_list(
            "pk", flat=True
        )
    )
    locked = _lock(sorted(wanted ^ selected))
    if not locked:
        return 0
    now = timezone.now()
    added = [g for g in locked if g.pk in wanted]
    removed = [g for g in locked if g.pk not in wanted]
    Group.objects.filter(pk__in=[g.pk for g in added]).update(
        expiration_selected_at=now, updated_at=now
    )
    Group.objects.filter(pk__in=[g.pk for g in removed]).update(
        expiration_selected_at=None, updated_at=now
    )
    record_many(
        EventKind.GROUP_UPDATED,
        actor=actor,
        tenant_id=tenant_id,
        changes=[
            _group_change(
                group,
                {"expiration_selected": {"old": group not in added, "new": group in added}},
                fields=["expiration_selected_at"],
            )
            for group in locked
        ],
    )
    return len(locked)


# --- The system's jobs ----------------------------------------------------------------------------


@transaction.atomic
def end_memberships(membership_ids: Sequence[int], *, actor: Actor, now: datetime) -> int:
    """Remove the memberships whose end has come (the system, from housekeeping).

    Locks their groups, re-reads the memberships still due under the lock (a renewal or
    another run may have come first), deletes them and records `member.removed` with
    `ended: true`; access follows in the same transaction. Returns how many ended.
    """
    group_ids = set(
        Membership.objects.filter(pk__in=membership_ids).values_list("group_id", flat=True)
    )
    allowed = Decider(actor).queryset(Action.MANAGE_MEMBERS, Group).filter(pk__in=group_ids)
    locked = {g.pk: g for g in _lock(allowed.values_list("pk", flat=True))}
    due = list(
        Membership.objects.filter(pk__in=membership_ids, group_id__in=locked, ends_at__lte=now)
        .select_related("user")
        .order_by("group_id", "user_id")
    )
    if not due:
        return 0
    Membership.objects.filter(pk__in=[m.pk for m in due]).delete()
    counts.change(members=[m.group_id for m in due], sign=-1)
    by_tenant: dict[int, list] = {}
    for membership in due:
        group = locked[membership.group_id]
        by_tenant.setdefault(group.tenant_id, []).append(
            _group_change(
                group,
                {
                    "user": membership.user,
                    "reason": "Membership ended",
                    "ends_at": membership.ends_at,
                },
                user_id=membership.user_id,
                ended=True,
                ends_at=membership.ends_at,
            )
        )
    for tenant_id, ended in sorted(by_tenant.items()):
        record_many(EventKind.MEMBER_REMOVED, actor=actor, tenant_id=tenant_id, changes=ended)
    return len(due)


EXPIRED_REASON = "The group expired."


@transaction.atomic
def expire_groups(
    group_ids: Sequence[int], *, actor: Actor, settings: LifecycleSettings, now: datetime
) -> list[Group]:
    """Soft-delete the groups whose lifetime has run out (the system, from housekeeping).

    Under the groups' locks it keeps only those still live and still due, expires their
    pending requests, moves their members, owners and nestings into a `GroupArchive`, hides
    them, and records `group.expired` (its payload names everyone who loses what the group
    gave, so access follows in the same transaction).
    """
    require_administer(actor, settings.tenant_id)
    candidates = groups_under_expiration(settings.tenant_id, settings).filter(
        pk__in=group_ids, expires_at__lte=now
    )
    locked = _lock(candidates.values_list("pk", flat=True))
    due = [g for g in locked if expires_at(g, settings) <= now]
    if not due:
        return []
    ids = [g.pk for g in due]
    pending = JoinRequest.objects.filter(group_id__in=ids, status=JoinRequest.Status.PENDING)
    close_requests(
        list(pending.values_list("pk", flat=True)),
        actor=actor,
        status=JoinRequest.Status.EXPIRED,
        reason=EXPIRED_REASON,
    )
    losing = {g.pk: graph.subtree_member_ids([g.pk]) for g in due}
    archives = _archive(ids)
    GroupArchive.objects.filter(group_id__in=ids).delete()  # a stale one from an earlier expiry
    GroupArchive.objects.bulk_create(archives.values())
    Membership.objects.filter(group_id__in=ids).delete()
    Ownership.objects.filter(group_id__in=ids).delete()
    GroupNesting.objects.filter(Q(parent_id__in=ids) | Q(child_id__in=ids)).delete()
    # Its pending requests were expired above (close_requests counted them down).
    Group.objects.filter(pk__in=ids).update(deleted_at=now, member_count=0)
    for group in due:
        group.deleted_at = now
    record_many(
        EventKind.GROUP_EXPIRED,
        actor=actor,
        tenant_id=settings.tenant_id,
        changes=[
            _group_change(
                group,
                {
                    "members": len(archives[group.pk].members),
                    "owners": len(archives[group.pk].owners),
                    "restorable_until": restorable_until(group),
                },
                owner_ids=sorted(o["user_id"] for o in archives[group.pk].owners),
                member_ids=sorted(m["user_id"] for m in archives[group.pk].members),
                subtree_member_ids=losing[group.pk],
                restorable_until=restorable_until(group),
            )
            for group in due
        ],
    )
    return due


def _archive(group_ids: list[int]) -> dict[int, GroupArchive]:
    archives = {pk: GroupArchive(group_id=pk) for pk in group_ids}
    members = Membership.objects.filter(group_id__in=group_ids).values(
        "group_id", "user_id", "added_by_id", "added_via", "created_at", "ends_at", "term_days"
    )
    for row in members.order_by("pk"):
        archives[row.pop("group_id")].members.append(_plain(row))
    owners = Ownership.objects.filter(group_id__in=group_ids).values(
        "group_id", "user_id", "added_by_id", "created_at"
    )
    for row in owners.order_by("pk"):
        archives[row.pop("group_id")].owners.append(_plain(row))
    nestings = GroupNesting.objects.filter(Q(parent_id__in=group_ids) | Q(child_id__in=group_ids))
    for parent_id, child_id in nestings.values_list("parent_id", "child_id"):
        if parent_id in archives:
            archives[parent_id].nested.append(child_id)
        if child_id in archives:
            archives[child_id].nested_in.append(parent_id)
    return archives


def _plain(row: dict) -> dict:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}


def _when(value: str | None) -> datetime | None:
    return parse_datetime(value) if value else None


@transaction.atomic
def restore_group(group: Group, *, actor: Actor | User) -> Group:
    """A global admin restores an expired group within 30 days: its members, owners and
    nestings come back (a nesting whose other group is gone, or that would now make a loop,
    is left out), and its lifetime starts again."""
    actor = as_actor(actor)
    locked = _lock([group.pk], deleted=True)
    if not locked:
        raise NotFound("This group no longer exists.")
    group = locked[0]
    may_restore(actor, group).require()
    if group.deleted_at is None:
        raise Conflict(f"“{group.display_name}” isn't deleted.")
    now = timezone.now()
    if restorable_until(group) < now:
        raise Conflict(f"“{group.display_name}” can no longer be restored: 30 days have passed.")
    if Group.objects.filter(tenant_id=group.tenant_id, name_key=group.name_key).exists():
        raise Conflict(
            f"Another group is called “{group.display_name}” (or looks the same) now: rename it, "
            "then restore this one."
        )
    archive = GroupArchive.objects.filter(group=group).first() or GroupArchive(group=group)
    Group.with_deleted.filter(pk=group.pk).update(deleted_at=None, renewed_at=now, updated_at=now)
    group.deleted_at, group.renewed_at = None, now
    existing = set(
        User.objects.filter(
            pk__in=[row["user_id"] for row in archive.members + archive.owners]
        ).values_list("pk", flat=True)
    )
    restored = Membership.objects.bulk_create(
        Membership(
            group=group,
            user_id=row["user_id"],
            added_by_id=row["added_by_id"],
            added_via=row["added_via"],
            ends_at=_when(row["ends_at"]),
            term_days=row["term_days"],
        )
        for row in archive.members
        if row["user_id"] in existing
    )
    counts.change(members=[group.pk] * len(restored))
    Ownership.objects.bulk_create(
        Ownership(group=group, user_id=row["user_id"], added_by_id=row["added_by_id"])
        for row in archive.owners
        if row["user_id"] in existing
    )
    skipped = _restore_nestings(group, archive)
    if archive.pk:
        archive.delete()
    record_many(
        EventKind.GROUP_RESTORED,
        actor=actor,
        tenant_id=group.tenant_id,
        changes=[
            _group_change(
                group,
                {
                    "members": len(archive.members),
                    "owners": len(archive.owners),
                    **({"nestings_left_out": skipped} if skipped else {}),
                },
                subtree_member_ids=graph.subtree_member_ids([group.pk]),
            )
        ],
    )
    return group


def _restore_nestings(group: Group, archive: GroupArchive) -> list[str]:
    """Put the group's nestings back where both groups still exist and no loop forms."""
    live = set(
        Group.objects.filter(pk__in=archive.nested + archive.nested_in).values_list("pk", flat=True)
    )
    pairs = [(group.pk, child) for child in archive.nested] + [
        (parent, group.pk) for parent in archive.nested_in
    ]
    skipped = []
    for parent_id, child_id in pairs:
        other = child_id if parent_id == group.pk else parent_id
        if other not in live or graph.nesting_path(child_id, parent_id) is not None:
            skipped.append(f"{parent_id}>{child_id}")
            continue
        GroupNesting.objects.get_or_create(parent_id=parent_id, child_id=child_id)
    return skipped


@transaction.atomic
def purge_groups(group_ids: Sequence[int], *, actor: Actor, now: datetime) -> int:
    """Delete for good the expired groups whose 30 days have passed (the system). Their
    request history stays (keep_request_history). Returns how many were deleted."""
    cutoff = now - timedelta(days=RESTORE_DAYS)
    locked = _lock(
        Group.with_deleted.filter(pk__in=group_ids, deleted_at__lte=cutoff).values_list(
            "pk", flat=True
        ),
        deleted=True,
    )
    due = [g for g in locked if g.deleted_at is not None and g.deleted_at <= cutoff]
    for group in due:
        require_administer(actor, group.tenant_id)
    by_tenant: dict[int, list] = {}
    for group in due:
        owners = [o["user_id"] for o in getattr(_archive_of(group), "owners", [])]
        keep_request_history(group, actor=actor, reason=EXPIRED_REASON)
        gone_id = group.pk
        Group.with_deleted.filter(pk=gone_id).delete()
        group.pk = gone_id  # for the audit row
        by_tenant.setdefault(group.tenant_id, []).append(
            _group_change(
                group,
                {"reason": "Expired more than 30 days ago", "expired_at": group.deleted_at},
                member_ids=[],
                owner_ids=sorted(owners),
                subtree_member_ids=[],
            )
        )
    for tenant_id, deleted in sorted(by_tenant.items()):
        record_many(EventKind.GROUP_DELETED, actor=actor, tenant_id=tenant_id, changes=deleted)
    return len(due)


def _archive_of(group: Group) -> GroupArchive | None:
    return GroupArchive.objects.filter(group_id=group.pk).first()
