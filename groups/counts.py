"""A group's member count and pending-request count, kept in its row (docs/scale.md).

Pages read `Group.member_count` and `Group.pending_count` instead of counting a big relation
on every render. Every write that adds or removes memberships or pending requests changes
them in its own transaction, while it holds the group's lock, by the number of rows it wrote:
groups.actions (join, request, decide, add, remove, leave, a deactivated or deleted person),
groups.lifecycle (memberships ending, groups expiring and restored). Tests hold them to a
recount after every kind of change (tests/groups/test_counts.py).
"""

from collections import Counter
from collections.abc import Iterable, Mapping

from django.db.models import Case, Count, F, IntegerField, Value, When

from groups.models import Group, JoinRequest, Membership

Pending = JoinRequest.Status.PENDING


def change(*, members: Iterable[int] = (), pending: Iterable[int] = (), sign: int = 1) -> None:
    """Add (`sign` 1) or take away (-1) one per group id listed, for each time it is listed."""
    adjust(
        members={pk: sign * n for pk, n in Counter(members).items()},
        pending={pk: sign * n for pk, n in Counter(pending).items()},
    )


def adjust(*, members: Mapping[int, int], pending: Mapping[int, int]) -> None:
    """Add these signed numbers ({group id: delta}) to the groups' counts: one UPDATE
    whatever the number of groups (none when there is nothing to add)."""
    values = {}
    for field, deltas in (("member_count", members), ("pending_count", pending)):
        deltas = {pk: n for pk, n in deltas.items() if n}
        if deltas:
            values[field] = F(field) + Case(
                *(When(pk=pk, then=Value(n)) for pk, n in deltas.items()),
                default=Value(0),
                output_field=IntegerField(),
            )
    if values:
        group_ids = {pk for pk, n in (*members.items(), *pending.items()) if n}
        Group.with_deleted.filter(pk__in=group_ids).update(**values)


def reset(group_ids: Iterable[int]) -> None:
    """Set the counts of these groups to what their rows say (an expired or restored group,
    and the scale seed): COUNTs, so only for the set-based jobs, never on a page."""
    ids = list(group_ids)
    if not ids:
        return
    members = (
        Membership.objects.filter(group_id__in=ids)
        .values("group_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    pending = (
        JoinRequest.objects.filter(group_id__in=ids, status=Pending)
        .values("group_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    member_counts = {row["group_id"]: row["n"] for row in members}
    pending_counts = {row["group_id"]: row["n"] for row in pending}
    Group.with_deleted.filter(pk__in=ids).update(
        member_count=Case(
            *(When(pk=pk, then=Value(n)) for pk, n in member_counts.items()),
            default=Value(0),
            output_field=IntegerField(),
        ),
        pending_count=Case(
            *(When(pk=pk, then=Value(n)) for pk, n in pending_counts.items()),
            default=Value(0),
            output_field=IntegerField(),
        ),
    )


def recounted(group_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """{group id: (members, pending)} counted from the rows (tests and the seed's check)."""
    ids = list(group_ids)
    result = dict.fromkeys(ids, (0, 0))
    members = Counter(
        Membership.objects.filter(group_id__in=ids).values_list("group_id", flat=True)
    )
    pending = Counter(
        JoinRequest.objects.filter(group_id__in=ids, status=Pending).values_list(
            "group_id", flat=True
        )
    )
    for pk in ids:
        result[pk] = (members[pk], pending[pk])
    return result


def stored(group_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """{group id: (member_count, pending_count)} as the rows hold them."""
    return {
        pk: (members, pending)
        for pk, members, pending in Group.with_deleted.filter(pk__in=list(group_ids)).values_list(
            "pk", "member_count", "pending_count"
        )
    }
