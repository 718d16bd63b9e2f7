"""Who is told what: the worker's handler turns each event into notifications and emails.

`handle(event)` is registered for `KINDS` (notifications/apps.py). It plans the notices of the
event (recipients from the policy's inverse question, `who_may_decide`, or the event's
people), stores them once (each notification's key names the event, the kind and the
recipient, and is unique) and emails the ones wanted immediately. It is idempotent: a
redelivered event creates nothing new and sends only what wasn't sent.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.dateparse import parse_datetime

from groups.models import Group, JoinRequest, Ownership
from groups.policy import Action, can, who_may_decide
from notifications import emails
from notifications.models import Delivery, Notification, NotificationKind, Preference
from tenants.actors import ActorKind
from tenants.models import EventKind, LifecycleSettings, OutboxEvent, User

Kind = NotificationKind


@dataclass(frozen=True)
class Notice:
    """One thing to tell one person (or an address, for a group with no owner)."""

    kind: str
    title: str
    body: str = ""
    link: str = ""
    recipient: User | None = None
    email: str = ""
    group_id: int | None = None
    join_request_id: int | None = None
    offers_decision: bool = False


def handle(event: OutboxEvent) -> None:
    """The worker's handler: plan, store once, email what is wanted now."""
    if event.kind == EventKind.DIGEST_READY:
        emails.send_digest(event.payload["digest_id"])
        return
    store(event, plan(event))
    emails.send_pending(
        Notification.objects.filter(
            event=event, delivery=Delivery.IMMEDIATE, emailed_at__isnull=True, email_error=""
        )
        .select_related("recipient", "join_request")
        .order_by("pk")
    )


def store(event: OutboxEvent, notices: list["Notice"]) -> None:
    """One notification per notice, created once whatever the number of deliveries."""
    if not notices:
        return
    recipient_ids = {n.recipient.pk for n in notices if n.recipient}
    chosen = dict(
        ((user_id, kind), delivery)
        for user_id, kind, delivery in Preference.objects.filter(
            user_id__in=recipient_ids
        ).values_list("user_id", "kind", "delivery")
    )
    now = timezone.now()
    Notification.objects.bulk_create(
        [
            Notification(
                tenant_id=event.tenant_id,
                recipient=notice.recipient,
                email=notice.recipient.email if notice.recipient else notice.email,
                kind=notice.kind,
                key=f"e{event.pk}:{notice.kind}:{_addressee(notice)}",
                title=notice.title[:400],
                body=notice.body,
                link=notice.link,
                group_id=notice.group_id,
                join_request_id=notice.join_request_id,
                event=event,
                offers_decision=notice.offers_decision,
                delivery=chosen.get(
                    (notice.recipient.pk if notice.recipient else None, notice.kind),
                    Delivery.IMMEDIATE,
                ),
                created_at=now,
            )
            for notice in notices
        ],
        ignore_conflicts=True,
    )


def _addressee(notice: Notice) -> str:
    return str(notice.recipient.pk) if notice.recipient else notice.email


# --- Words ---------------------------------------------------------------------------------------


def day(moment) -> str:
    """A date as people read it, in the deployment's time zone: 5 December 2026."""
    if isinstance(moment, str):
        moment = parse_datetime(moment)
    return date_format(timezone.localtime(moment), "j F Y") if moment else ""


def in_days(count: int) -> str:
    return f"{count} day{'s' if count != 1 else ''}"


def days_between(start, end) -> int:
    """Whole days from `start` to `end`, rounded up, at least 1 (a warning's "in N days")."""
    if isinstance(end, str):
        end = parse_datetime(end)
    return max(1, math.ceil((end - start) / timedelta(days=1)))


def _actor_name(event: OutboxEvent) -> str:
    if event.actor_id is not None:
        return event.actor.display_name
    if event.actor_kind == ActorKind.SCIM_CLIENT:
        return "your organisation's identity provider"
    return "Access Panel, automatically"


def _group_link(group_id: int | None) -> str:
    return reverse("group_detail", args=[group_id]) if group_id else ""


def _quote(text: str) -> str:
    return f"“{text}”"


# --- Who is told, per kind of event --------------------------------------------------------------


def _request(event: OutboxEvent) -> JoinRequest | None:
    return (
        JoinRequest.objects.select_related("group", "requester", "decided_by")
        .filter(pk=event.payload.get("request_id"))
        .first()
    )


def deciders(join_request: JoinRequest) -> list[User]:
    """Everyone who may decide the request: its group's owners when they may (all of them),
    otherwise the global admins, so that no request waits unseen."""
    may_decide = who_may_decide(join_request).order_by("pk")
    owners = list(
        may_decide.filter(
            pk__in=Ownership.objects.filter(group_id=join_request.group_id).values("user_id")
        )
    )
    return owners or list(may_decide.filter(role=User.Role.GLOBAL_ADMIN))


def _admins(join_request: JoinRequest) -> QuerySet:
    return who_may_decide(join_request).filter(role=User.Role.GLOBAL_ADMIN).order_by("pk")


def _request_notices(
    join_request: JoinRequest, people, kind: str, title: str, body: str
) -> list[Notice]:
    return [
        Notice(
            kind=kind,
            title=title,
            body=body,
            link=_group_link(join_request.group_id),
            recipient=person,
            group_id=join_request.group_id,
            join_request_id=join_request.pk,
            offers_decision=True,
        )
        for person in people
    ]


def _justification(join_request: JoinRequest) -> str:
    if join_request.justification:
        return f"Business justification: {_quote(join_request.justification)}"
    return "No business justification was given."


def _waiting(event: OutboxEvent, kind: str) -> list[Notice]:
    """A request waits: new (its deciders), reminded (its deciders), escalated (admins)."""
    join_request = _request(event)
    if join_request is None or join_request.status != JoinRequest.Status.PENDING:
        return []  # decided meanwhile: nobody needs telling any more
    requester, group = join_request.requester.display_name, join_request.group.display_name
    days = (event.created_at - join_request.created_at).days  # how long it has really waited
    if kind == Kind.REQUEST_NEW:
        return _request_notices(
            join_request,
            deciders(join_request),
            kind,
            f"{requester} asks to join {_quote(group)}",
            _justification(join_request),
        )
    if kind == Kind.REQUEST_REMINDER:
        return _request_notices(
            join_request,
            deciders(join_request),
            kind,
            f"Reminder: {requester} has waited {in_days(days)} to join {_quote(group)}",
            f"Nobody has approved or denied this request yet.\n{_justification(join_request)}",
        )
    return _request_notices(
        join_request,
        _admins(join_request),
        kind,
        f"Escalated: {requester}'s request to join {_quote(group)} has had no decision "
        f"for {in_days(days)}",
        "Its owners haven't decided. As a global admin you can approve or deny it.\n"
        + _justification(join_request),
    )


def _decided(event: OutboxEvent) -> list[Notice]:
    """Approved or denied: the requester, with who decided and the reason."""
    join_request = _request(event)
    if join_request is None:
        return []
    group = join_request.group.display_name if join_request.group else join_request.group_name
    who = _actor_name(event)
    reason = join_request.decision_reason
    if event.kind == EventKind.REQUEST_APPROVED:
        lines = [f"Approved by {who}."]
        if reason:
            lines.append(f"Reason: {_quote(reason)}")
        if event.payload.get("ends_at"):
            lines.append(f"Your membership ends on {day(event.payload['ends_at'])}.")
        title = f"Your request to join {_quote(group)} was approved"
    else:
        lines = [f"Denied by {who}.", f"Reason: {_quote(reason)}" if reason else "No reason given."]
        title = f"Your request to join {_quote(group)} was denied"
    return [
        Notice(
            kind=Kind.REQUEST_DECIDED,
            title=title,
            body="\n".join(lines),
            link=_group_link(join_request.group_id),
            recipient=join_request.requester,
            group_id=join_request.group_id,
            join_request_id=join_request.pk,
        )
    ]


def _expired(event: OutboxEvent) -> list[Notice]:
    """An expired request: both sides are told (the requester and its deciders)."""
    join_request = _request(event)
    if join_request is None:
        return []
    requester, group = join_request.requester, join_request.group
    name = group.display_name if group else join_request.group_name
    reason = join_request.decision_reason or "Nobody decided in time."
    live = group is not None and group.deleted_at is None
    common = {
        "kind": Kind.REQUEST_EXPIRED,
        "link": _group_link(group.pk) if live else "",
        "group_id": join_request.group_id,
        "join_request_id": join_request.pk,
    }
    notices = [
        Notice(
            **common,
            title=f"Your request to join {_quote(name)} expired",
            body=f"{reason}\nYou can ask again on the group's page." if live else reason,
            recipient=requester,
        )
    ]
    if live:  # the deciders of a group that is gone have nothing left to decide
        notices += [
            Notice(
                **common,
                title=f"{requester.display_name}'s request to join {_quote(name)} expired",
                body=f"{reason}\nThey have been told and can ask again.",
                recipient=person,
            )
            for person in deciders(join_request)
        ]
    return notices


def _person(event: OutboxEvent) -> User | None:
    return User.objects.filter(pk=event.payload.get("user_id"), is_active=True).first()


def _group(event: OutboxEvent) -> Group | None:
    return Group.with_deleted.filter(pk=event.payload.get("group_id")).first()


def _added(event: OutboxEvent) -> list[Notice]:
    """Added to a group by someone else."""
    person, group = _person(event), _group(event)
    if person is None or group is None or event.actor_id == person.pk:
        return []
    lines = [f"Added by {_actor_name(event)}."]
    if event.payload.get("ends_at"):
        lines.append(f"Your membership ends on {day(event.payload['ends_at'])}.")
    return [
        Notice(
            kind=Kind.MEMBER_ADDED,
            title=f"You were added to {_quote(group.display_name)}",
            body="\n".join(lines),
            link=_group_link(group.pk),
            recipient=person,
            group_id=group.pk,
        )
    ]


def _removed(event: OutboxEvent) -> list[Notice]:
    """Removed from a group by someone else, or the membership's end date came."""
    person, group = _person(event), _group(event)
    if person is None or group is None or event.actor_id == person.pk:
        return []
    if event.payload.get("ended"):
        title = f"Your membership of {_quote(group.display_name)} ended"
        body = (
            f"It ended on {day(event.payload.get('ends_at'))}, as planned. "
            "Ask an owner of the group if you still need it."
        )
    else:
        title = f"You were removed from {_quote(group.display_name)}"
        body = f"Removed by {_actor_name(event)}."
    return [
        Notice(
            kind=Kind.MEMBER_REMOVED,
            title=title,
            body=body,
            link=_group_link(group.pk),
            recipient=person,
            group_id=group.pk,
        )
    ]


def _owners(group: Group, owner_ids: list[int] | None = None) -> list[User]:
    ids = (
        owner_ids
        if owner_ids is not None
        else Ownership.objects.filter(group=group).values_list("user_id", flat=True)
    )
    return list(User.objects.filter(pk__in=list(ids), is_active=True).order_by("pk"))


def _membership_ending(event: OutboxEvent) -> list[Notice]:
    """A membership ends in 7 days, or tomorrow: the person and the group's owners."""
    person, group = _person(event), _group(event)
    if person is None or group is None or group.deleted_at is not None:
        return []
    ends = day(event.payload["ends_at"])
    days = days_between(event.created_at, event.payload["ends_at"])
    renews = can(person, Action.RENEW_OWN, group)
    own = (
        "Renew it on the group's page if you still need it."
        if renews
        else "Ask an owner of the group to renew it if you still need it."
    )
    common = {"kind": Kind.MEMBERSHIP_ENDING, "link": _group_link(group.pk), "group_id": group.pk}
    notices = [
        Notice(
            **common,
            title=f"Your membership of {_quote(group.display_name)} ends in {in_days(days)}",
            body=f"It ends on {ends}.\n{own}",
            recipient=person,
        )
    ]
    notices += [
        Notice(
            **common,
            title=f"{person.display_name}'s membership of {_quote(group.display_name)} ends in "
            f"{in_days(days)}",
            body=f"It ends on {ends}. Renew it on the group's page if they still need it.",
            recipient=owner,
        )
        for owner in _owners(group)
        if owner.pk != person.pk
    ]
    return notices


def _to_owners_or_address(
    event: OutboxEvent, group: Group, owner_ids: list[int] | None, kind: str, title: str, body: str
) -> list[Notice]:
    """Group expiration: its owners; for a group with no owner the tenant's address for
    ownerless groups, or, when none is set, the global admins (never nobody)."""
    common = {"kind": kind, "link": _group_link(group.pk), "group_id": group.pk}
    owners = _owners(group, owner_ids)
    if owners:
        return [Notice(**common, title=title, body=body, recipient=o) for o in owners]
    address = LifecycleSettings.for_tenant(group.tenant_id).ownerless_group_email
    if not address:  # nobody would hear of it: the global admins do
        admins = User.objects.filter(
            tenant_id=group.tenant_id, role=User.Role.GLOBAL_ADMIN, is_active=True
        ).order_by("pk")
        body += (
            "\nThis group has no owner and no address for ownerless groups is set, so this "
            "goes to the global admins."
        )
        return [
            Notice(**common, title=f"{title} (it has no owner)", body=body, recipient=a)
            for a in admins
        ]
    return [
        Notice(
            **common,
            title=f"{title} (it has no owner)",
            body=f"{body}\nThis group has no owner, so this goes to your organisation's "
            "address for ownerless groups.",
            email=address,
        )
    ]


def _group_expiring(event: OutboxEvent) -> list[Notice]:
    group = _group(event)
    if group is None or group.deleted_at is not None:
        return []
    ends = day(event.payload["expires_at"])
    days = days_between(event.created_at, event.payload["expires_at"])
    return _to_owners_or_address(
        event,
        group,
        None,
        Kind.GROUP_EXPIRING,
        f"{_quote(group.display_name)} expires in {in_days(days)}",
        f"Under your organisation's group expiration policy it expires on {ends}: it will be "
        "deleted and its members lose what it gives access to.\nIf it's still needed, use "
        "Renew group on its page.",
    )


def _group_expired(event: OutboxEvent) -> list[Notice]:
    group = _group(event)
    if group is None:
        return []
    owner_ids = event.payload.get("owner_ids", [])
    notices = _to_owners_or_address(
        event,
        group,
        owner_ids,
        Kind.GROUP_EXPIRED,
        f"{_quote(group.display_name)} expired and was deleted",
        "Its members lost what it gave access to. A global admin can restore it, with its "
        f"members and owners, until {day(event.payload.get('restorable_until'))}.",
    )
    members = User.objects.filter(
        pk__in=set(event.payload.get("member_ids", [])) - set(owner_ids), is_active=True
    ).order_by("pk")
    notices += [  # removed from the group, as anyone removed is told
        Notice(
            kind=Kind.MEMBER_REMOVED,
            title=f"You were removed from {_quote(group.display_name)}: the group expired",
            body="Nobody renewed it in time, so it was deleted with its memberships. If you "
            "still need it, ask a global admin to restore it.",
            recipient=member,
            group_id=group.pk,
        )
        for member in members
    ]
    return [replace(notice, link="") for notice in notices]  # its page is gone


PLANNERS: dict[str, Callable[[OutboxEvent], list[Notice]]] = {
    EventKind.REQUEST_CREATED: lambda event: _waiting(event, Kind.REQUEST_NEW),
    EventKind.REQUEST_REMINDED: lambda event: _waiting(event, Kind.REQUEST_REMINDER),
    EventKind.REQUEST_ESCALATED: lambda event: _waiting(event, Kind.REQUEST_ESCALATED),
    EventKind.REQUEST_APPROVED: _decided,
    EventKind.REQUEST_DENIED: _decided,
    EventKind.REQUEST_EXPIRED: _expired,
    EventKind.MEMBER_ADDED: _added,
    EventKind.MEMBER_REMOVED: _removed,
    EventKind.MEMBERSHIP_ENDING: _membership_ending,
    EventKind.GROUP_EXPIRING: _group_expiring,
    EventKind.GROUP_EXPIRED: _group_expired,
}
KINDS = [*PLANNERS, EventKind.DIGEST_READY]


def plan(event: OutboxEvent) -> list[Notice]:
    return PLANNERS[event.kind](event)
