"""Writes of the notifications app: a person's email preferences, reading notifications, and
deciding a request from an email link (through groups' own actions and policy)."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from groups.actions import approve_request, deny_request
from groups.models import JoinRequest
from notifications import links
from notifications.models import Delivery, EmailLink, Notification, NotificationKind, Preference
from tenants.actors import Actor, as_actor
from tenants.errors import Conflict, Invalid, NotAllowed, NotFound, Refusal
from tenants.events import changes, record
from tenants.models import EventKind, User


@transaction.atomic
def set_preferences(person: User, *, actor: Actor | User, choices: dict[str, str]) -> dict:
    """A person chooses, per kind, immediate emails or the daily digest (their own only).
    Returns what changed; audited like every change."""
    actor = as_actor(actor)
    if actor.user is None or actor.user.pk != person.pk:
        raise NotAllowed("People choose their own email preferences.")
    for kind, delivery in choices.items():
        if kind not in NotificationKind.values:
            raise Invalid(f"{kind!r} is not a kind of notification.", field=kind)
        if delivery not in Delivery.values:
            raise Invalid(f"{delivery!r} is not a choice (immediate or digest).", field=kind)
    current = dict(Preference.objects.filter(user=person).values_list("kind", "delivery"))
    before = {kind: current.get(kind, Delivery.IMMEDIATE) for kind in choices}
    diff = changes(before, choices)
    if not diff:
        return {}
    Preference.objects.bulk_create(
        [Preference(user=person, kind=kind, delivery=choices[kind]) for kind in diff],
        update_conflicts=True,
        unique_fields=["user", "kind"],
        update_fields=["delivery"],
    )
    record(
        EventKind.PREFERENCES_UPDATED,
        actor=actor,
        tenant_id=person.tenant_id,
        target=person,
        data=diff,
        payload={"user_id": person.pk, "kinds": sorted(diff)},
    )
    return diff


def mark_all_read(person: User) -> int:
    """Mark the person's notifications read. Not audited: reading changes nothing in the
    directory, it only tidies the person's own list."""
    return Notification.objects.filter(recipient=person, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def link_refusal(resolved: links.Resolved) -> Refusal:
    """Why a link can't act, as the refusal the surfaces know how to show."""
    match resolved.state:
        case links.State.NOT_YOURS:
            return NotAllowed("This link was sent to someone else: only they can use it.")
        case links.State.USED:
            return Conflict("This link was already used: each link works once.")
        case links.State.EXPIRED:
            return Conflict("This link has expired. Decide the request in Approvals instead.")
        case links.State.DECIDED:
            status = resolved.join_request.get_status_display().lower()
            return Conflict(f"This request was already {status}: nothing left to decide.")
    return NotFound("This link isn't valid. Open the request from Approvals instead.")


@transaction.atomic
def decide_from_link(
    token: str,
    *,
    actor: Actor,
    reason: str = "",
    ends_at: datetime | None = None,
) -> JoinRequest:
    """Approve or deny the request of an email's link, confirmed by its signed-in recipient.

    The link's row is locked first and marked used in the same transaction as the decision,
    which goes through groups' approve_request / deny_request (the same policy as the panel).
    A refused decision rolls back, so the link stays usable (if anything is left to decide).
    """
    resolved = links.resolve(token, user=actor.user, lock=True)
    if resolved.state != links.State.OK:
        raise link_refusal(resolved)
    link = resolved.link
    if link.action == EmailLink.Action.OPEN:
        raise Invalid("An Open link only shows the request; it decides nothing.")
    EmailLink.objects.filter(pk=link.pk, used_at__isnull=True).update(used_at=timezone.now())
    if link.action == EmailLink.Action.APPROVE:
        return approve_request(link.join_request, actor=actor, reason=reason, ends_at=ends_at)
    return deny_request(link.join_request, actor=actor, reason=reason)
