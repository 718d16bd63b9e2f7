"""Housekeeping: request expiry, reminders and escalation, membership warnings and ends, group
expiration, and daily digests (docs/lifecycle.md). `manage.py housekeeping` runs it, and so
does the worker every HOUSEKEEPING_EVERY_MINUTES (notifications/tasks.py).

It is idempotent: run twice at the same moment, the second run finds nothing to do; run
twice concurrently (two workers, or a worker and cron), no step happens twice:

- a reminder, an escalation or a warning claims its `Milestone` (a unique name) in the same
  transaction that records its event. A second run's INSERT of that name waits for the first
  to commit, then conflicts and takes nothing (INSERT … ON CONFLICT DO NOTHING RETURNING);
- expiring requests, ending memberships, expiring and purging groups are actions that lock
  the groups and re-check under the lock that the work is still due (groups/actions.py,
  groups/lifecycle.py);
- a digest claims (person, day), unique in the database.

It only writes to the database: the people concerned are told by the worker, which delivers
the events recorded here (notifications/inbox.py). Each step works in batches of 500, each in
its own transaction, so a large backlog never holds locks for long.
"""

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.conf import settings as django_settings
from django.db import connection, transaction
from django.db.models import CharField, Exists, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from groups import lifecycle
from groups.actions import close_requests
from groups.models import RESTORE_DAYS, Group, JoinRequest, Membership
from notifications.models import Delivery, Digest, Milestone, Notification
from tenants.actors import Actor
from tenants.events import Change, record_many
from tenants.models import EventKind, LifecycleSettings, Tenant

BATCH = 500
MEMBERSHIP_WARNINGS = (1, 7)  # days before the end; the most urgent first
GROUP_WARNINGS = (1, 15, 30)  # days before the group expires
WARNINGS = {"membership": MEMBERSHIP_WARNINGS, "group": GROUP_WARNINGS}


@dataclass
class Report:
    """What one run did (the command prints it)."""

    requests_expired: int = 0
    reminders: int = 0
    escalations: int = 0
    membership_warnings: int = 0
    memberships_ended: int = 0
    group_warnings: int = 0
    groups_expired: int = 0
    groups_purged: int = 0
    digests: int = 0

    @property
    def total(self) -> int:
        return sum(asdict(self).values())

    def __str__(self) -> str:
        counts = asdict(self).items()
        return ", ".join(f"{name.replace('_', ' ')} {count}" for name, count in counts)


def run(*, now: datetime | None = None) -> Report:
    """One housekeeping pass over every tenant."""
    now = now or timezone.now()
    report = Report()
    for tenant_id in Tenant.objects.order_by("pk").values_list("pk", flat=True):
        policy = LifecycleSettings.for_tenant(tenant_id)
        _requests(tenant_id, policy, now, report)
        _memberships(tenant_id, now, report)
        _groups(tenant_id, policy, now, report)
        _digests(tenant_id, now, report)
    return report


def _batches(items: Sequence, size: int = BATCH) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def claim(tenant_id: int, names: Sequence[str], now: datetime) -> set[str]:
    """Take the milestones nobody took yet; returns the names this call took. Call inside
    the transaction that records what the milestones stand for."""
    if not names:
        return set()
    table = connection.ops.quote_name(Milestone._meta.db_table)
    rows = ", ".join(["(%s, %s, %s)"] * len(names))
    moment = connection.ops.adapt_datetimefield_value(now)
    params = [value for name in names for value in (tenant_id, name, moment)]
    sql = (
        f"INSERT INTO {table} (tenant_id, name, created_at) VALUES {rows} "
        "ON CONFLICT (name) DO NOTHING RETURNING name"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall()}


# --- Requests: expire, remind, escalate ----------------------------------------------------------


def _pending(tenant_id: int):
    return JoinRequest.objects.filter(
        group__tenant_id=tenant_id,
        group__deleted_at__isnull=True,
        status=JoinRequest.Status.PENDING,
    )


def _requests(tenant_id: int, policy: LifecycleSettings, now: datetime, report: Report) -> None:
    # Expiry first: a request that expires now needs no reminder.
    days = policy.expire_requests_after_days
    if days:
        system = Actor.system("request expiry", tenant_id=tenant_id)
        due = list(
            _pending(tenant_id)
            .filter(created_at__lte=now - timedelta(days=days))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for batch in _batches(due):
            result = close_requests(
                list(batch),
                actor=system,
                status=JoinRequest.Status.EXPIRED,
                reason=f"Nobody approved or denied it within {days} days.",
            )
            report.requests_expired += len(result.decided)
    report.reminders += _nudge(
        tenant_id, policy.remind_after_days, "reminder", EventKind.REQUEST_REMINDED, now
    )
    report.escalations += _nudge(
        tenant_id, policy.escalate_after_days, "escalation", EventKind.REQUEST_ESCALATED, now
    )


def _nudge(tenant_id: int, days: int, step: str, kind: str, now: datetime) -> int:
    """Remind the deciders (or escalate to global admins) once per request, `days` after it
    was made."""
    name = Concat(
        Value("request:"), Cast("pk", CharField()), Value(f":{step}"), output_field=CharField()
    )
    due = list(
        _pending(tenant_id)
        .filter(created_at__lte=now - timedelta(days=days))
        .annotate(milestone=name)
        .exclude(Exists(Milestone.objects.filter(name=OuterRef("milestone"))))
        .select_related("group", "requester")
        .order_by("pk")
    )
    system = Actor.system(f"request {step}s", tenant_id=tenant_id)
    done = 0
    for batch in _batches(due):
        with transaction.atomic():
            taken = claim(tenant_id, [r.milestone for r in batch], now)
            changes = [
                Change(
                    target=r.group,
                    data={"request": r.pk, "requester": r.requester, "days": days},
                    payload={
                        "group_id": r.group_id,
                        "user_id": r.requester_id,
                        "request_id": r.pk,
                        "days": days,
                    },
                )
                for r in batch
                if r.milestone in taken
            ]
            record_many(kind, actor=system, tenant_id=tenant_id, changes=changes)
        done += len(changes)
    return done


# --- Time-bound memberships ----------------------------------------------------------------------


def _memberships(tenant_id: int, now: datetime, report: Report) -> None:
    live = Membership.objects.filter(group__tenant_id=tenant_id, group__deleted_at__isnull=True)
    system = Actor.system("membership ends", tenant_id=tenant_id)
    for days in MEMBERSHIP_WARNINGS:
        ending = live.filter(ends_at__gt=now, ends_at__lte=now + timedelta(days=days))
        report.membership_warnings += _warn(
            tenant_id,
            _not_warned(ending.select_related("group", "user"), "membership", "ends_at", days),
            days,
            now,
            change=lambda m, d: Change(
                target=m.group,
                data={"user": m.user, "ends_at": m.ends_at, "days": d},
                payload={
                    "group_id": m.group_id,
                    "user_id": m.user_id,
                    "membership_id": m.pk,
                    "ends_at": m.ends_at,
                    "days": d,
                },
            ),
            kind=EventKind.MEMBERSHIP_ENDING,
            actor=system,
        )
    ended = list(live.filter(ends_at__lte=now).order_by("pk").values_list("pk", flat=True))
    for batch in _batches(ended):
        report.memberships_ended += lifecycle.end_memberships(list(batch), actor=system, now=now)


def _not_warned(items: QuerySet, subject: str, moment: str, days: int) -> list:
    """The items not yet warned `days` before `moment` (their end, their expiry), each with
    the milestone names of this warning and of the earlier ones (`milestone_<days>`).

    A name says what, which, when and how long before: `membership:7:2026-12-05 00:00:00+00:1`.
    It is built in SQL, so the string claimed is the string looked up; a renewal moves the
    moment, so the warnings of the new date are new milestones."""
    names = {
        f"milestone_{stage}": Concat(
            Value(f"{subject}:"),
            Cast("pk", CharField()),
            Value(":"),
            Cast(moment, CharField()),
            Value(f":{stage}"),
            output_field=CharField(),
        )
        for stage in WARNINGS[subject]
        if stage >= days
    }
    warned = Milestone.objects.filter(name=OuterRef(f"milestone_{days}"))
    return list(items.annotate(**names).exclude(Exists(warned)).order_by("pk"))


def _warn(tenant_id, due, days, now, *, change, kind, actor) -> int:
    """Record one warning per item and stage, once. Claiming the most urgent stage also
    claims the earlier ones, so a late item gets only the warning that still makes sense."""
    done = 0
    for batch in _batches(due):
        names = [
            getattr(item, field)
            for item in batch
            for field in vars(item)
            if field.startswith("milestone_")
        ]
        with transaction.atomic():
            taken = claim(tenant_id, names, now)
            changes = [
                change(item, days) for item in batch if getattr(item, f"milestone_{days}") in taken
            ]
            record_many(kind, actor=actor, tenant_id=tenant_id, changes=changes)
        done += len(changes)
    return done


# --- Group expiration ----------------------------------------------------------------------------


def _groups(tenant_id: int, policy: LifecycleSettings, now: datetime, report: Report) -> None:
    system = Actor.system("group expiration", tenant_id=tenant_id)
    under_policy = lifecycle.groups_under_expiration(tenant_id, policy)
    for days in GROUP_WARNINGS:
        expiring = under_policy.filter(
            expires_at__gt=now, expires_at__lte=now + timedelta(days=days)
        )
        report.group_warnings += _warn(
            tenant_id,
            _not_warned(expiring, "group", "expires_at", days),
            days,
            now,
            change=lambda g, d: Change(
                target=g,
                data={"expires_at": g.expires_at, "days": d},
                payload={"group_id": g.pk, "expires_at": g.expires_at, "days": d},
            ),
            kind=EventKind.GROUP_EXPIRING,
            actor=system,
        )
    expired = list(
        under_policy.filter(expires_at__lte=now).order_by("pk").values_list("pk", flat=True)
    )
    for batch in _batches(expired):
        report.groups_expired += len(
            lifecycle.expire_groups(list(batch), actor=system, settings=policy, now=now)
        )
    gone = list(
        Group.with_deleted.filter(
            tenant_id=tenant_id, deleted_at__lte=now - timedelta(days=RESTORE_DAYS)
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for batch in _batches(gone):
        report.groups_purged += lifecycle.purge_groups(list(batch), actor=system, now=now)


# --- Daily digests -------------------------------------------------------------------------------


def _digests(tenant_id: int, now: datetime, report: Report) -> None:
    """Once a day (from NOTIFICATIONS_DIGEST_HOUR), one digest per person with everything
    they chose to receive that way since their last one."""
    local = timezone.localtime(now)
    if local.hour < django_settings.NOTIFICATIONS["DIGEST_HOUR"]:
        return
    waiting = Notification.objects.filter(
        tenant_id=tenant_id,
        recipient__isnull=False,
        delivery=Delivery.DIGEST,
        digest__isnull=True,
        emailed_at__isnull=True,
        created_at__lte=now,
    )
    people = sorted(set(waiting.values_list("recipient_id", flat=True)))
    system = Actor.system("daily digest", tenant_id=tenant_id)
    for batch in _batches(people):
        with transaction.atomic():
            claimed = _claim_digests(tenant_id, batch, local.date(), now)
            if not claimed:
                continue
            todays = Digest.objects.filter(recipient_id=OuterRef("recipient_id"), day=local.date())
            waiting.filter(recipient_id__in=claimed.values()).update(
                digest_id=Subquery(todays.values("pk")[:1])
            )
            record_many(
                EventKind.DIGEST_READY,
                actor=system,
                tenant_id=tenant_id,
                audit=False,  # a digest is a delivery, not a change anyone needs to audit
                changes=[
                    Change(
                        target=Digest(pk=digest_id, recipient_id=person_id, day=local.date()),
                        payload={"digest_id": digest_id, "user_id": person_id},
                        aggregate=f"digest:{person_id}",
                    )
                    for digest_id, person_id in sorted(claimed.items())
                ],
            )
        report.digests += len(claimed)


def _claim_digests(tenant_id: int, people: Sequence[int], day, now) -> dict[int, int]:
    """Create today's digest of each person who has none yet: {digest id: person id}."""
    table = connection.ops.quote_name(Digest._meta.db_table)
    rows = ", ".join(["(%s, %s, %s, %s)"] * len(people))
    params = [
        value
        for person_id in people
        for value in (
            tenant_id,
            person_id,
            connection.ops.adapt_datefield_value(day),
            connection.ops.adapt_datetimefield_value(now),
        )
    ]
    sql = (
        f"INSERT INTO {table} (tenant_id, recipient_id, day, created_at) VALUES {rows} "
        "ON CONFLICT (recipient_id, day) DO NOTHING RETURNING id, recipient_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return dict(cursor.fetchall())
