"""Reads scoped to the viewer. Each fetches its related data in a fixed number of queries.

The panel, the Admin center and (later) the API call these; views hold no queries of their own.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from groups.models import (
    NESTABLE_TYPES,
    OPEN_JOIN_REASON,
    Group,
    GroupSource,
    GroupType,
    JoinRequest,
    Membership,
    MembershipPolicy,
    Ownership,
)
from groups.policy import Action, Decider, viewer_facts
from tenants.actors import Actor
from tenants.errors import NotFound
from tenants.models import User
from tenants.pagination import (
    AFTER,
    BEFORE,
    MANY,
    KeysetPage,
    decode,
    encode,
    keyset_page,
    past,
)
from tenants.text import is_email, name_key

Pending = JoinRequest.Status.PENDING

# The buttons a group row may show, decided in the same query as the row.
ROW_ACTIONS = (Action.JOIN, Action.LEAVE, Action.VIEW_MEMBERS)


OWNER_COLUMNS = ("group_id", "user__id", "user__display_name", "user__email")


def with_owners(queryset: QuerySet) -> QuerySet:
    """Each group's owners as `owner_list` (ownerships with their person's name and address:
    what lists and the API show, never the password hash), in one query for the page."""
    owners = Ownership.objects.select_related("user").only(*OWNER_COLUMNS)
    return queryset.prefetch_related(Prefetch("ownerships", queryset=owners, to_attr="owner_list"))


def _decider(viewer: User | Actor, decider: Decider | None) -> Decider:
    return decider if decider is not None else Decider(viewer)


def visible_groups(viewer: User, *, decider: Decider | None = None) -> QuerySet:
    """Every group of the viewer's tenant (the directory). Member counts are in each row
    (`member_count`, kept by the actions: groups/counts.py)."""
    return _decider(viewer, decider).queryset(Action.VIEW, Group)


@dataclass(frozen=True)
class GroupFilters:
    """The directory's filters (Discover and the Admin center's Groups); invalid values are
    ignored, so a hand-edited URL shows everything rather than an error."""

    search: str = ""
    group_type: str = ""
    policy: str = ""
    source: str = ""
    ownerless: bool = False
    can_join: bool = False  # Discover's "Only groups I can join"

    @classmethod
    def from_query(cls, params, *, search: str) -> "GroupFilters":
        def choice(name: str, allowed: Iterable[str]) -> str:
            value = params.get(name, "")
            return value if value in allowed else ""

        return cls(
            search=search,
            group_type=choice("type", GroupType.values),
            policy=choice("policy", MembershipPolicy.values),
            source=choice("source", GroupSource.values),
            ownerless=params.get("ownerless") == "1",
            can_join=params.get("join") == "1",
        )

    def apply(self, groups: QuerySet) -> QuerySet:
        if self.search:
            groups = groups.filter(
                Q(display_name__icontains=self.search) | Q(description__icontains=self.search)
            )
        if self.group_type:
            groups = groups.filter(group_type=self.group_type)
        if self.policy:
            groups = groups.filter(membership_policy=self.policy)
        if self.source:
            groups = groups.filter(source=self.source)
        if self.ownerless:
            groups = groups.filter(~Exists(Ownership.objects.filter(group=OuterRef("pk"))))
        return groups


# Discover's order: groups the viewer may join (or is in) first, then the rest, each by name.
DISCOVER_ORDER = ("can_act", "display_name", "id")
DISCOVER_PAGE = 25


def _directory_keys(viewer: User, filters: GroupFilters, decider: Decider) -> QuerySet:
    """The directory's rows with only what filters and orders them (the JOIN decision, in
    SQL: 0 when the viewer may join, else 1)."""
    groups = filters.apply(visible_groups(viewer, decider=decider)).annotate(
        can_act=Case(
            When(decider.allows(Action.JOIN), then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    )
    if filters.can_join:
        groups = with_viewer_status(groups, viewer).filter(
            can_act=0, viewer_is_member=False, viewer_pending=False
        )
    return groups


def directory(
    viewer: User, *, filters: GroupFilters = GroupFilters(), decider: Decider | None = None
) -> QuerySet:
    """Discover groups: visible groups filtered and annotated with what the viewer can do.

    Groups the viewer may join (or is in) come first, then the rest (closed groups, types
    without self-service, a license or setting missing), each part by name. The order is
    computed from the row's own columns, so it costs no extra query.
    """
    decider = _decider(viewer, decider)
    groups = decider.annotate(_directory_keys(viewer, filters, decider), ROW_ACTIONS)
    return with_owners(with_viewer_status(groups, viewer)).order_by(*DISCOVER_ORDER)


def directory_page(
    viewer: User, params, *, filters: GroupFilters, decider: Decider, size: int = DISCOVER_PAGE
) -> KeysetPage:
    """A page of Discover after (or before) the cursor in `params`.

    The page's keys first: in each part of the order (groups the viewer may join, then the
    rest) the next `size + 1` groups by name from the cursor, one query per part that the
    cursor can reach and the page still needs, each walking the (tenant, name, id) index and
    stopping there instead of ordering every group by the viewer's decision. Then only those
    rows with everything the page shows. The total is counted up to 10,000 ("10,000+").
    """
    keys = _directory_keys(viewer, filters, decider)
    after = decode(params.get(AFTER), len(DISCOVER_ORDER))
    before = None if after is not None else decode(params.get(BEFORE), len(DISCOVER_ORDER))
    forward = before is None
    cursor = after if forward else before
    if cursor is not None and cursor[0] not in (0, 1):
        cursor = None  # a tampered cursor: the first page
    by_name = ("display_name", "id") if forward else ("-display_name", "-id")
    found: list[tuple] = []
    for part in (0, 1) if forward else (1, 0):
        if len(found) > size:
            break  # the page and the row that says there is a next one: no other part to read
        if cursor is not None and (part < cursor[0] if forward else part > cursor[0]):
            continue  # a part this cursor has passed
        rows = keys.filter(can_act=part)
        if cursor is not None and part == cursor[0]:
            rows = past(rows, by_name, cursor[1:], forward=True)
            if rows is None:  # values that don't fit the columns: the first page
                return directory_page(viewer, {}, filters=filters, decider=decider, size=size)
        found += rows.order_by(*by_name).values_list(*DISCOVER_ORDER)[: size + 1]
    more = len(found) > size
    found = found[:size] if forward else list(reversed(found[:size]))
    ids = [key[-1] for key in found]
    rows = directory(viewer, filters=filters, decider=decider).filter(pk__in=ids).in_bulk()
    return KeysetPage(
        [rows[pk] for pk in ids if pk in rows],
        has_next=bool(found) and (more if forward else True),
        has_previous=bool(found) and (cursor is not None if forward else more),
        next_cursor=encode(found[-1]) if found else "",
        previous_cursor=encode(found[0]) if found else "",
        total=_directory_total(viewer, filters, decider, keys),
    )


def _directory_total(viewer: User, filters: GroupFilters, decider: Decider, keys) -> int:
    """Discover's total, up to 10,001: the decision columns only filter with "Only groups I
    can join", so otherwise the plain filtered directory is counted (less SQL to build)."""
    counted = keys if filters.can_join else filters.apply(visible_groups(viewer, decider=decider))
    return counted.order_by()[: MANY + 1].count()


def admin_directory(viewer: User, *, filters: GroupFilters, decider: Decider) -> QuerySet:
    """The Admin center's Groups list: the same filters, with owners, no per-viewer status."""
    groups = filters.apply(visible_groups(viewer, decider=decider))
    return with_owners(groups).order_by("display_name", "id")


def with_viewer_status(groups: QuerySet, viewer: User) -> QuerySet:
    """Annotate whether the viewer is an owner, a member (the policy's facts about the viewer,
    groups/policy.py `viewer_facts`), or has a pending request."""
    mine = JoinRequest.objects.filter(group=OuterRef("pk"), requester=viewer, status=Pending)
    return groups.annotate(**viewer_facts(viewer), viewer_pending=Exists(mine))


def with_viewer_membership_end(groups: QuerySet, viewer: User) -> QuerySet:
    """Annotate when the viewer's own membership ends (None: it doesn't, or no membership)."""
    mine = Membership.objects.filter(group=OuterRef("pk"), user=viewer).values("ends_at")[:1]
    return groups.annotate(viewer_membership_ends=Subquery(mine))


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


# What a request row shows (Approvals, the Admin center's Requests): never a password hash.
REQUEST_ROW = (
    "group_id",
    "requester_id",
    "justification",
    "status",
    "created_at",
    "decided_at",
    "decided_by_id",
    "decision_reason",
    "group__display_name",
    "group__group_type",
    "group__membership_policy",
    "group__default_membership_days",
    "requester__display_name",
    "requester__email",
)
REQUEST_ORDER = ("created_at", "id")


def requests_to_decide(viewer: User, *, decider: Decider | None = None) -> QuerySet:
    """Pending requests the viewer may approve or deny, oldest first."""
    return (
        _decider(viewer, decider)
        .queryset(Action.DECIDE_REQUEST, JoinRequest)
        .filter(status=Pending)
        .select_related("group", "requester")
        .order_by(*REQUEST_ORDER)
    )


def requests_to_decide_page(viewer: User, params, *, decider: Decider, size: int) -> KeysetPage:
    """A page of `requests_to_decide` after (or before) the cursor in `params`, with the
    total from the groups' counts (`pending_count`).

    For a person who isn't a global admin, the groups where they may decide are few and
    already read for the badge (`_decidable`): the page then walks the pending requests'
    age index for those group ids, instead of every request of each group."""
    decidable = _decidable(viewer, decider)
    if decidable is None:
        pending = requests_to_decide(viewer, decider=decider)
    else:
        pending = (
            JoinRequest.objects.filter(status=Pending, group_id__in=list(decidable))
            .exclude(requester_id=viewer.pk)
            .select_related("group", "requester")
        )
    return keyset_page(
        pending.only(*REQUEST_ROW),
        params,
        order=REQUEST_ORDER,
        size=size,
        total=pending_count(viewer, decider=decider),
    )


def _decidable(viewer: User, decider: Decider) -> dict[int, tuple[int, bool]] | None:
    """{group id: (pending count, the viewer's own request is among them)} of the groups with
    requests waiting where the viewer may decide; one query, once per page. None for global
    admins: their groups are the tenant's (counted in SQL by `pending_count`)."""
    if decider.actor.administers_tenant or decider.refusal:
        return None
    if getattr(decider, "_decidable", None) is None:
        mine = JoinRequest.objects.filter(group=OuterRef("pk"), requester_id=viewer.pk)
        rows = (
            decider.queryset(Action.DECIDE_REQUESTS, Group)
            .filter(pending_count__gt=0)
            .annotate(own=Exists(mine.filter(status=Pending)))
            .values_list("pk", "pending_count", "own")
        )
        decider._decidable = {pk: (count, own) for pk, count, own in rows}
    return decider._decidable


def pending_count(viewer: User, *, decider: Decider) -> int:
    """How many requests wait for the viewer's decision (the navigation's badge, Approvals),
    from the groups' `pending_count` columns instead of counting requests: the sum over the
    groups where the viewer may decide, less the viewer's own requests there (a person has
    at most one pending request per group). One query, kept on the Decider."""
    if getattr(decider, "_pending_count", None) is not None:
        return decider._pending_count
    decidable = _decidable(viewer, decider)
    if decidable is not None:
        decider._pending_count = sum(count - own for count, own in decidable.values())
        return decider._pending_count
    groups = decider.queryset(Action.DECIDE_REQUESTS, Group).filter(pending_count__gt=0)
    own = (  # a person never decides their own requests
        JoinRequest.objects.filter(
            requester_id=viewer.pk, status=Pending, group__in=groups.values("pk")
        )
        .order_by()
        .values("requester_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    waiting = Coalesce(Sum("pending_count"), 0) - Coalesce(
        Subquery(own, output_field=IntegerField()), 0
    )
    decider._pending_count = max(groups.aggregate(waiting=waiting)["waiting"] or 0, 0)
    return decider._pending_count


def visible_requests(viewer: User, *, decider: Decider | None = None) -> QuerySet:
    return (
        _decider(viewer, decider)
        .queryset(Action.VIEW_REQUEST, JoinRequest)
        .select_related("group", "requester", "decided_by")
    )


def pending_requests_of_group(group: Group, viewer: User, *, decider: Decider) -> QuerySet:
    """The group page's "Requests to join" (the caller has checked VIEW_REQUESTS on this
    group, which is what lets the viewer see its requests: no per-request rule to add)."""
    return (
        JoinRequest.objects.filter(group=group, status=Pending)
        .select_related("group", "requester")
        .only(*REQUEST_ROW)
        .order_by(*REQUEST_ORDER)
    )


# A join to an open group is a request approved at once: not a decision anyone waited for.
OPEN_JOINS = Q(
    status=JoinRequest.Status.APPROVED, decided_by=None, decision_reason=OPEN_JOIN_REASON
)


def my_latest_request(group: Group, viewer: User) -> JoinRequest | None:
    """The viewer's newest request to join this group, pending or decided (open joins aside).

    A pending request is always the newest: a new one can only follow a decided one.
    """
    return (
        JoinRequest.objects.filter(group=group, requester=viewer)
        .exclude(OPEN_JOINS)
        .select_related("decided_by")
        .order_by("-created_at", "-id")
        .first()
    )


def my_recent_decisions(viewer: User, *, limit: int = 5) -> QuerySet:
    """My groups' "Recent decisions": the viewer's requests approved, denied, cancelled or
    expired, newest first, with who decided and why (open joins aside)."""
    return (
        JoinRequest.objects.filter(requester=viewer, group__tenant_id=viewer.tenant_id)
        .exclude(status=Pending)
        .exclude(OPEN_JOINS)
        .select_related("group", "decided_by")
        .order_by("-decided_at", "-id")[:limit]
    )


def recently_decided(viewer: User, *, decider: Decider, limit: int = 10) -> QuerySet:
    """Approvals' "Recently decided": decisions on the groups whose requests the viewer sees."""
    # The groups' rule already holds the tenant and who may see their requests; with the
    # decision time set (request_decided_idx) the newest decisions are read first.
    newest = (
        JoinRequest.objects.filter(
            decided_at__isnull=False,
            decided_by__isnull=False,
            group__in=decider.queryset(Action.VIEW_REQUESTS, Group),
        )
        .exclude(status=Pending)
        .order_by("-decided_at", "-id")
        .values("pk")[:limit]
    )  # the ids first: only those rows are joined to their people and groups
    return (
        JoinRequest.objects.filter(pk__in=newest)
        .select_related("group", "requester", "decided_by")
        .only(*REQUEST_ROW, "decided_by__display_name")
        .order_by("-decided_at", "-id")
    )


MEMBER_ORDER = ("user__display_name", "user_id")
# What a member row shows: the person's name and address, how and when, until when.
MEMBER_ROW = (
    "group_id",
    "added_via",
    "created_at",
    "ends_at",
    "user__display_name",
    "user__email",
)


def group_members(group: Group, *, search: str = "") -> QuerySet:
    """A group's members by name (the caller has checked VIEW_MEMBERS). The tenant filter
    lets the database walk the people's name index and look each one up in the group."""
    memberships = (
        Membership.objects.filter(group=group, user__tenant_id=group.tenant_id)
        .select_related("user")
        .only(*MEMBER_ROW)
    )
    if search:
        memberships = memberships.filter(
            Q(user__display_name__icontains=search) | Q(user__email__icontains=search)
        )
    return memberships.order_by(*MEMBER_ORDER)


def group_members_page(group: Group, params, *, search: str = "", size: int) -> KeysetPage:
    """A page of the group's members after (or before) the cursor in `params`; the total is
    the group's `member_count` (none while searching)."""
    return keyset_page(
        group_members(group, search=search),
        params,
        order=MEMBER_ORDER,
        size=size,
        total=None if search else group.member_count,
    )


def group_ids_named(tenant_id: int, text: str) -> tuple[int, ...]:
    """Ids of the tenant's groups whose name contains `text` (the Audit log's group filter)."""
    found = Group.objects.filter(tenant_id=tenant_id, display_name__icontains=text)
    return tuple(found.values_list("pk", flat=True)[:1000])


def nested_groups(group: Group) -> list[Group]:
    """The groups nested in this one, with their member counts (shown as their own rows)."""
    return list(Group.objects.filter(nested_in__parent=group).order_by("display_name", "id"))


def nested_group(group: Group, child_id: str) -> Group:
    """A group nested in `group`, by the posted id (NotFound otherwise)."""
    found = None
    if child_id.isascii() and child_id.isdigit() and len(child_id) < 19:
        found = Group.objects.filter(nested_in__parent=group, pk=int(child_id)).first()
    if found is None:
        raise NotFound("That group isn't nested in this one.")
    return found


def groups_named(viewer: User, *, search: str, nestable: bool = False) -> QuerySet:
    """Up to 10 of the viewer's tenant's groups whose name contains `search` (pickers)."""
    found = Group.objects.filter(tenant_id=viewer.tenant_id, display_name__icontains=search)
    if nestable:
        found = found.filter(group_type__in=NESTABLE_TYPES)
    return found.order_by("display_name")[:10]


def group_named(viewer: User, name: str) -> Group | None:
    return Group.objects.filter(tenant_id=viewer.tenant_id, name_key=name_key(name)).first()


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


@dataclass
class AddMembersResult:
    """What adding people to a group does (or would do) with each person."""

    added: list[User] = field(default_factory=list)
    already_members: list[User] = field(default_factory=list)
    refused: list[tuple[User, str]] = field(default_factory=list)


def classify_for_adding(group: Group, people: Iterable[User]) -> AddMembersResult:
    """Sort people into added / already members / refused (one query). `add_members` decides
    with it under the group's lock; the preview shows it before anything is added."""
    result = AddMembersResult()
    unique_people = list({person.pk: person for person in people}.values())
    present = set(
        Membership.objects.filter(group=group, user__in=unique_people).values_list(
            "user_id", flat=True
        )
    )
    for person in unique_people:
        if person.tenant_id != group.tenant_id:
            result.refused.append((person, "Not a user of your organisation."))
        elif not person.is_active:
            result.refused.append((person, "This account is deactivated."))
        elif person.pk in present:
            result.already_members.append(person)
        else:
            result.added.append(person)
    return result


@dataclass
class AddMembersPreview:
    """What adding a pasted list would do, shown before anything is added."""

    plan: AddMembersResult
    unknown: list[str]
    not_emails: list[str]


def preview_add_members(group: Group, viewer: User, entries: list[str]) -> AddMembersPreview:
    """Look the entries up in the viewer's tenant only (another organisation's people are as
    unknown as strangers) and classify them as `add_members` will. Two queries."""
    emails, not_emails = [], []
    for entry in entries:
        (emails if is_email(entry) else not_emails).append(entry)
    people = {u.email: u for u in User.objects.filter(tenant_id=viewer.tenant_id, email__in=emails)}
    plan = classify_for_adding(group, [people[e] for e in emails if e in people])
    return AddMembersPreview(
        plan=plan, unknown=[e for e in emails if e not in people], not_emails=not_emails
    )


def people_by_ids(viewer: User, ids: Iterable[int]) -> list[User]:
    """People of the viewer's tenant named by id (posted by the people picker)."""
    return list(User.objects.filter(pk__in=list(ids), tenant_id=viewer.tenant_id))


def already_in(group: Group, people: list[User], *, owners: bool = False) -> set[int]:
    """Which of these people are already the group's members (or owners): one query."""
    rows = Ownership.objects if owners else Membership.objects
    return set(rows.filter(group=group, user__in=people).values_list("user_id", flat=True))


def person_by_email(viewer: User, email: str) -> User | None:
    return User.objects.filter(email=email, tenant_id=viewer.tenant_id).first()


# --- The Admin center's Overview: a fixed number of queries whatever the tenant's size --------

OUTCOMES = (
    JoinRequest.Status.APPROVED,
    JoinRequest.Status.DENIED,
    JoinRequest.Status.EXPIRED,
    JoinRequest.Status.PENDING,
)
# How long pending requests have waited: (label, at least, less than) in days.
AGE_BUCKETS = (
    ("Under a day", 0, 1),
    ("1–3 days", 1, 3),
    ("3–7 days", 3, 7),
    ("1–2 weeks", 7, 14),
    ("2–4 weeks", 14, 28),
    ("4 weeks or more", 28, None),
)


def requests_per_day(tenant_id: int, *, days: int, today: date) -> list[tuple[date, dict]]:
    """Requests to join made on each of the last `days` days, counted by their outcome so far
    (approved, denied, expired, still pending). Open joins and cancelled requests aren't
    counted. One query."""
    first = today - timedelta(days=days - 1)
    start = datetime.combine(first, time.min, timezone.get_current_timezone())
    rows = (
        JoinRequest.objects.filter(  # the request's own tenant: no join to its group
            tenant_id=tenant_id, created_at__gte=start, status__in=OUTCOMES
        )
        .exclude(OPEN_JOINS)
        .annotate(day=TruncDate("created_at"))
        .values("day", "status")
        .annotate(count=Count("pk"))
        .order_by()
    )
    counts = {first + timedelta(days=n): dict.fromkeys(OUTCOMES, 0) for n in range(days)}
    for row in rows:
        if row["day"] in counts:
            counts[row["day"]][row["status"]] = row["count"]
    return list(counts.items())


def pending_by_age(tenant_id: int, *, now: datetime) -> list[tuple[str, int]]:
    """How many pending requests have waited how long (AGE_BUCKETS). One query."""
    buckets = {}
    for index, (_, at_least, less_than) in enumerate(AGE_BUCKETS):
        waited = Q(created_at__lte=now - timedelta(days=at_least))
        if less_than is not None:
            waited &= Q(created_at__gt=now - timedelta(days=less_than))
        buckets[f"bucket_{index}"] = Count("created_at", filter=waited)  # the index alone
    counts = JoinRequest.objects.filter(tenant_id=tenant_id, status=Pending).aggregate(**buckets)
    return [(label, counts[f"bucket_{n}"]) for n, (label, _, _) in enumerate(AGE_BUCKETS)]


def ownership_by_type(tenant_id: int) -> list[tuple[str, int, int]]:
    """(type label, groups, groups without an owner) for each group type. Two queries: the
    totals, and the ownerless ones (an anti-join, not a subquery per group)."""
    groups = Group.objects.filter(tenant_id=tenant_id).order_by().values("group_type")
    totals = dict(groups.annotate(n=Count("pk")).values_list("group_type", "n"))
    ownerless = dict(
        groups.filter(~Exists(Ownership.objects.filter(group=OuterRef("pk"))))
        .annotate(n=Count("pk"))
        .values_list("group_type", "n")
    )
    return [
        (label, totals.get(value, 0), ownerless.get(value, 0)) for value, label in GroupType.choices
    ]


def busiest_groups(tenant_id: int, *, limit: int = 5) -> list[tuple[int, str, int]]:
    """The groups with the most pending requests: (id, name, pending). One query, on the
    groups' pending counts (group_pending_idx), not over the requests."""
    rows = (
        Group.objects.filter(tenant_id=tenant_id, pending_count__gt=0)
        .order_by("-pending_count", "display_name")
        .values_list("pk", "display_name", "pending_count")[:limit]
    )
    return list(rows)


# --- Request history and lifecycle (docs/lifecycle.md) -----------------------------------------


@dataclass(frozen=True)
class RequestFilters:
    """The Admin center's request history filters; empty values filter nothing."""

    search: str = ""  # requester's name or email, or the group's name (then or now)
    status: str = ""
    since: date | None = None
    until: date | None = None


def request_history(tenant_id: int, filters: RequestFilters) -> QuerySet:
    """Every request of the tenant, decided or not, kept for good (also those of deleted
    groups), newest first: the Admin center's history page and its CSV export."""
    found = JoinRequest.objects.filter(tenant_id=tenant_id)
    if filters.search:
        found = found.filter(
            Q(requester__display_name__icontains=filters.search)
            | Q(requester__email__icontains=filters.search)
            | Q(requester_name__icontains=filters.search)  # deleted from the directory since
            | Q(requester_email__icontains=filters.search)
            | Q(group__display_name__icontains=filters.search)
            | Q(group_name__icontains=filters.search)
        )
    if filters.status:
        found = found.filter(status=filters.status)
    zone = timezone.get_current_timezone()
    if filters.since:
        found = found.filter(created_at__gte=datetime.combine(filters.since, time.min, zone))
    if filters.until:
        end = datetime.combine(filters.until + timedelta(days=1), time.min, zone)
        found = found.filter(created_at__lt=end)
    return found.select_related("group", "requester", "decided_by").order_by("-created_at", "-id")


def groups_named_exactly(tenant_id: int, names: Iterable[str]) -> list[Group]:
    """The tenant's live groups with these names (compared as their look-alike keys, so case,
    spacing and accents typed another way still match), in one query."""
    keys = {name_key(name) for name in names if name}
    if not keys:
        return []
    return list(
        Group.objects.filter(tenant_id=tenant_id, name_key__in=keys).order_by("display_name")
    )


def groups_selected_for_expiration(tenant_id: int) -> list[str]:
    return list(
        Group.objects.filter(tenant_id=tenant_id, expiration_selected_at__isnull=False)
        .order_by("display_name")
        .values_list("display_name", flat=True)
    )
