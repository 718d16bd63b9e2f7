"""Reads of applications, scoped to the viewer; each page costs a fixed number of queries."""

from collections.abc import Iterator
from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery

from applications import access
from applications.models import Access, Application, ApplicationOwnership, Assignment, Block
from applications.policy import AppAction, applications_for
from groups.models import Group
from groups.selectors import AddMembersResult, classify_for_adding
from tenants.actors import Actor
from tenants.errors import NotFound
from tenants.models import User
from tenants.pagination import MANY, KeysetPage, keyset_page

ACCESS_PAGE = 25


def application_for(actor: Actor, pk: int, action: str = AppAction.VIEW) -> Application:
    """The application, if this actor may do `action` to it; NotFound otherwise (whether it
    belongs to another tenant or this actor may not see it)."""
    found = applications_for(actor, action).filter(pk=pk).first()
    if found is None:
        raise NotFound("No such application in your organisation.")
    return found


def with_owners(applications: QuerySet) -> QuerySet:
    return applications.prefetch_related(
        Prefetch(
            "ownerships",
            queryset=ApplicationOwnership.objects.select_related("user"),
            to_attr="owner_list",
        )
    )


def tenant_applications(actor: Actor, *, search: str = "") -> QuerySet:
    """The Admin center's list: every application, with owners and how many have access."""
    found = applications_for(actor, AppAction.MANAGE)
    if search:
        found = found.filter(Q(name__icontains=search) | Q(description__icontains=search))
    return with_owners(
        found.annotate(
            people_with_access=Count("access", filter=Q(access__blocked=False), distinct=True),
            assignment_count=Count("assignments", distinct=True),
        )
    ).order_by("name", "id")


def owned_applications(viewer: User) -> QuerySet:
    mine = ApplicationOwnership.objects.filter(application=OuterRef("pk"), user=viewer)
    return Application.objects.filter(Exists(mine), tenant_id=viewer.tenant_id).order_by("name")


def assignments_of(application: Application) -> QuerySet:
    return (
        Assignment.objects.filter(application=application)
        .select_related("user", "group", "granting_application")
        .order_by("principal_type", "created_at", "id")
    )


def owners_of(application: Application) -> QuerySet:
    return application.ownerships.select_related("user").order_by("user__display_name")


def blocks_of(application: Application) -> QuerySet:
    return Block.objects.filter(application=application).select_related("user", "blocked_by")


@dataclass
class AccessRow:
    """One person in an application's effective access, with every path that leads there."""

    user: User
    blocked: bool
    block_reason: str
    paths: list[list[access.Step]]

    @property
    def path_texts(self) -> list[str]:
        return [access.path_text(steps) for steps in self.paths]


def access_people(application: Application, *, search: str = "") -> QuerySet:
    """The people with a path to the application, in name order, with their `blocked` flag.

    Driven from the people (walked in the (tenant, name) index order, probing the access
    row of each), so a page doesn't sort everyone with access first.
    """
    row = Access.objects.filter(application=application, user=OuterRef("pk"))
    people = User.objects.filter(Exists(row), tenant_id=application.tenant_id)
    if search:
        people = people.filter(Q(display_name__icontains=search) | Q(email__icontains=search))
    return (
        people.annotate(blocked=Subquery(row.values("blocked")[:1]))
        .only("pk", "display_name", "email")
        .order_by("display_name", "pk")
    )


ACCESS_ORDER = ("display_name", "id")


def effective_access(application: Application, params, *, search: str = "") -> KeysetPage:
    """A page of who has access and why, after (or before) the cursor in `params`: the
    people, their paths and blocks (a fixed number of queries whatever the number of
    people); the total counted on the access rows up to 10,000 ("10,000+")."""
    total = None
    if not search:  # counted on the access rows alone: no walk over the people
        total = Access.objects.filter(application=application)[: MANY + 1].count()
    found = keyset_page(
        access_people(application, search=search),
        params,
        order=ACCESS_ORDER,
        size=ACCESS_PAGE,
        total=total,
    )
    found.object_list = explain(application, found.object_list)
    return found


def explain(application: Application, people: list[User]) -> list[AccessRow]:
    """The page's people with their paths and block reasons (paths: one query + names)."""
    user_ids = [person.pk for person in people]
    paths = access.paths([application.pk], user_ids)
    reasons = (
        dict(
            Block.objects.filter(application=application, user_id__in=user_ids).values_list(
                "user_id", "reason"
            )
        )
        if any(person.blocked for person in people)
        else {}
    )
    return [
        AccessRow(
            user=person,
            blocked=person.blocked,
            block_reason=reasons.get(person.pk, ""),
            paths=paths.get((application.pk, person.pk), []),
        )
        for person in people
    ]


def all_effective_access(application: Application, *, chunk: int = 2000) -> Iterator[AccessRow]:
    """Everyone, chunk by chunk, for the streamed CSV export (memory stays flat)."""
    rows = access_people(application)
    last: tuple[str, int] | None = None
    while True:
        batch = rows
        if last is not None:
            name, pk = last
            batch = rows.filter(Q(display_name__gt=name) | Q(display_name=name, pk__gt=pk))
        found = list(batch[:chunk])
        if not found:
            return
        yield from explain(application, found)
        last = (found[-1].display_name, found[-1].pk)


@dataclass
class AppRow:
    """An application in My apps: what I can use, and through what."""

    application: Application
    paths: list[list[access.Step]]

    @property
    def path_texts(self) -> list[str]:
        return [access.path_text(steps) for steps in self.paths]


def my_apps(viewer: User, *, page: str | None = None, size: int = 25):
    """The viewer's own applications, with the paths that give each (two queries + paths)."""
    mine = (
        Access.objects.filter(user=viewer, blocked=False)
        .select_related("application")
        .order_by("application__name", "application_id")
    )
    found = Paginator(mine, size).get_page(page)
    rows = list(found.object_list)
    paths = access.paths([row.application_id for row in rows], [viewer.pk])
    found.object_list = [
        AppRow(row.application, paths.get((row.application_id, viewer.pk), [])) for row in rows
    ]
    return found


def applications_through_group(group: Group) -> list[Application]:
    """What a group gives access to: applications assigned to it or to a group it is nested
    in, and those given to everyone with access to one of these (one query + one)."""
    ids = access.applications_reached_from_groups([group.pk])
    return list(Application.objects.filter(pk__in=ids).order_by("name"))


@dataclass
class MovePreview:
    """What moving the direct access into a group would do."""

    group: Group
    plan: AddMembersResult
    group_assigned: bool  # the group has access already

    @property
    def moving(self) -> int:
        """The people who end up with access through the group."""
        return len(self.plan.added) + len(self.plan.already_members)


def preview_move(application: Application, group: Group) -> MovePreview:
    direct = Assignment.objects.filter(application=application, user__isnull=False)
    people = [a.user for a in direct.select_related("user")]
    return MovePreview(
        group=group,
        plan=classify_for_adding(group, people),
        group_assigned=Assignment.objects.filter(application=application, group=group).exists(),
    )


def direct_access_count(application: Application) -> int:
    return Assignment.objects.filter(application=application, user__isnull=False).count()


def groups_to_assign(actor: Actor, *, search: str) -> QuerySet:
    """Groups of the actor's tenant an owner may assign (any group, as the issue says)."""
    found = Group.objects.filter(tenant_id=actor.tenant_id)
    if search:
        found = found.filter(display_name__icontains=search)
    return found.order_by("display_name")[:10]


def person_by_email(actor: Actor, email: str) -> User | None:
    return User.objects.filter(tenant_id=actor.tenant_id, email__iexact=email.strip()).first()
