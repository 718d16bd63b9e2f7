"""Reads scoped to the viewer. Each fetches its related data in a fixed number of queries."""

from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from groups.models import Group, JoinRequest, Membership, Ownership
from groups.policy import Action, Decider
from tenants.models import User

Pending = JoinRequest.Status.PENDING

# The buttons a group row may show, decided in the same query as the row.
ROW_ACTIONS = (Action.JOIN, Action.LEAVE, Action.VIEW_MEMBERS)


def with_owners(queryset: QuerySet) -> QuerySet:
    return queryset.prefetch_related(
        Prefetch(
            "ownerships", queryset=Ownership.objects.select_related("user"), to_attr="owner_list"
        )
    )


def _decider(viewer: User, decider: Decider | None) -> Decider:
    return decider if decider is not None else Decider(viewer)


def visible_groups(viewer: User, *, decider: Decider | None = None) -> QuerySet:
    """Every group of the viewer's tenant (the directory), with member counts."""
    member_count = (
        Membership.objects.filter(group=OuterRef("pk"))
        .order_by()
        .values("group")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return (
        _decider(viewer, decider)
        .queryset(Action.VIEW, Group)
        .annotate(member_count=Coalesce(Subquery(member_count, output_field=IntegerField()), 0))
    )


def directory(
    viewer: User,
    *,
    search: str = "",
    group_type: str = "",
    policy: str = "",
    decider: Decider | None = None,
) -> QuerySet:
    """Discover groups: visible groups filtered and annotated with what the viewer can do."""
    decider = _decider(viewer, decider)
    groups = visible_groups(viewer, decider=decider)
    if search:
        groups = groups.filter(Q(display_name__icontains=search) | Q(description__icontains=search))
    if group_type:
        groups = groups.filter(group_type=group_type)
    if policy:
        groups = groups.filter(membership_policy=policy)
    groups = decider.annotate(groups, ROW_ACTIONS)
    return with_owners(with_viewer_status(groups, viewer)).order_by("display_name", "id")


def with_viewer_status(groups: QuerySet, viewer: User) -> QuerySet:
    """Annotate whether the viewer is an owner, a member, or has a pending request."""
    mine = {"group": OuterRef("pk")}
    return groups.annotate(
        viewer_is_owner=Exists(Ownership.objects.filter(**mine, user=viewer)),
        viewer_is_member=Exists(Membership.objects.filter(**mine, user=viewer)),
        viewer_pending=Exists(JoinRequest.objects.filter(**mine, requester=viewer, status=Pending)),
    )


def groups_i_own(viewer: User, *, decider: Decider | None = None) -> QuerySet:
    owned = Ownership.objects.filter(group=OuterRef("pk"), user=viewer)
    return (
        visible_groups(viewer, decider=decider).filter(Exists(owned)).order_by("display_name", "id")
    )


def groups_im_in(viewer: User, *, decider: Decider | None = None) -> QuerySet:
    decider = _decider(viewer, decider)
    joined = Membership.objects.filter(group=OuterRef("pk"), user=viewer)
    groups = visible_groups(viewer, decider=decider).filter(Exists(joined))
    return decider.annotate(groups, [Action.LEAVE]).order_by("display_name", "id")


def my_pending_requests(viewer: User, *, decider: Decider | None = None) -> QuerySet:
    return (
        _decider(viewer, decider)
        .queryset(Action.CANCEL_REQUEST, JoinRequest)
        .filter(requester=viewer, status=Pending)
        .select_related("group")
        .order_by("created_at", "id")
    )


def requests_to_decide(viewer: User, *, decider: Decider | None = None) -> QuerySet:
    """Pending requests the viewer may approve or deny, oldest first."""
    return (
        _decider(viewer, decider)
        .queryset(Action.DECIDE_REQUEST, JoinRequest)
        .filter(status=Pending)
        .select_related("group", "requester")
        .order_by("created_at", "id")
    )


def visible_requests(viewer: User, *, decider: Decider | None = None) -> QuerySet:
    return (
        _decider(viewer, decider)
        .queryset(Action.VIEW_REQUEST, JoinRequest)
        .select_related("group", "requester", "decided_by")
    )


def group_members(group: Group, *, search: str = "") -> QuerySet:
    """A group's members (the caller has checked VIEW_MEMBERS)."""
    memberships = Membership.objects.filter(group=group).select_related("user", "added_by")
    if search:
        memberships = memberships.filter(
            Q(user__display_name__icontains=search) | Q(user__email__icontains=search)
        )
    return memberships.order_by("user__display_name", "user_id")


def group_owners(group: Group) -> QuerySet:
    return (
        Ownership.objects.filter(group=group).select_related("user").order_by("user__display_name")
    )


def tenant_people(viewer: User, *, search: str = "") -> QuerySet:
    """The viewer's tenant directory of active people (for people pickers)."""
    people = User.objects.filter(tenant_id=viewer.tenant_id, is_active=True)
    if search:
        people = people.filter(Q(display_name__icontains=search) | Q(email__icontains=search))
    return people.order_by("display_name", "email")
