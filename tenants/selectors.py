"""Reads of the directory and the audit log, scoped to one tenant (Admin center, later the API)."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from tenants.errors import NotFound
from tenants.models import AuditEvent, GeneralSettings, Tenant, User
from tenants.text import is_id


def person(tenant_id: int, pk: int) -> User:
    """One person of the tenant (NotFound for anyone else's)."""
    found = User.objects.filter(tenant_id=tenant_id, pk=pk).first()
    if found is None:
        raise NotFound("No such person in your organisation.")
    return found


def selected_owner_assigners(settings: GeneralSettings) -> list[User]:
    """The people listed for "Owners who can assign members as group owners: Selected"."""
    return list(settings.selected_owner_assigners.order_by("display_name", "id"))


def people_by_ids(tenant_id: int, ids) -> list[User]:
    """The tenant's people among these ids (posted values; anything else is ignored)."""
    wanted = [int(value) for value in ids if is_id(str(value))]
    return list(User.objects.filter(tenant_id=tenant_id, pk__in=wanted).order_by("display_name"))


def people(tenant_id: int, *, search: str = "") -> QuerySet:
    """A tenant's people (active or not), by name."""
    found = User.objects.filter(tenant_id=tenant_id)
    if search:
        found = found.filter(Q(display_name__icontains=search) | Q(email__icontains=search))
    return found.order_by("display_name", "id")


@dataclass(frozen=True)
class Seats:
    used: int
    total: int

    @property
    def free(self) -> int:
        return max(self.total - self.used, 0)


def premium_seats(tenant: Tenant) -> Seats:
    return Seats(used=tenant.premium_seat_holders().count(), total=tenant.premium_seats)


@dataclass(frozen=True)
class AuditFilters:
    """The Audit log's filters; empty values filter nothing."""

    actor: str = ""
    action: str = ""
    surface: str = ""
    group: str = ""  # matches the name the group had then…
    group_ids: tuple[int, ...] = ()  # …or the groups that have this name now (from groups)
    person: str = ""
    since: date | None = None
    until: date | None = None


def audit_events(tenant_id: int, filters: AuditFilters) -> QuerySet:
    """The tenant's audit events, newest first, filtered (Audit log page and its CSV export)."""
    events = AuditEvent.objects.filter(tenant_id=tenant_id)
    if filters.actor:
        events = events.filter(actor_label__icontains=filters.actor)
    if filters.action:
        events = events.filter(action=filters.action)
    if filters.surface:
        events = events.filter(surface=filters.surface)
    if filters.group:
        events = events.filter(target_type="group").filter(
            Q(target_label__icontains=filters.group)
            | Q(target_id__in=[str(pk) for pk in filters.group_ids])
        )
    if filters.person:
        person = User.objects.filter(tenant_id=tenant_id, email__iexact=filters.person).first()
        pk = person.pk if person else 0
        events = events.filter(
            Q(target_type="user", target_id=str(pk))
            | Q(data__user__id=pk)
            | Q(data__requester__id=pk)
        )
    zone = timezone.get_current_timezone()
    if filters.since:
        events = events.filter(created_at__gte=datetime.combine(filters.since, time.min, zone))
    if filters.until:
        end = datetime.combine(filters.until + timedelta(days=1), time.min, zone)
        events = events.filter(created_at__lt=end)
    return events.order_by("-created_at", "-id")
