"""Signed links in request emails: Approve, Deny, Open (docs/notifications.md).

A link's URL carries Django's signature (with a timestamp) over its `EmailLink` row's id; the
row says whose link it is, when it expires and whether it was used. Following a link never
acts: it leads to a page of the product where the signed-in person confirms (a POST).
"""

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from groups.models import JoinRequest
from notifications.models import EmailLink, Notification
from tenants.models import User

SALT = "notifications.email-link"


def lifetime() -> timedelta:
    return timedelta(days=settings.NOTIFICATIONS["LINK_DAYS"])


def absolute(path: str) -> str:
    """A product URL as an email needs it (SITE_URL + path)."""
    return f"{settings.SITE_URL}{path}"


def make(notification: Notification, actions: list[str]) -> dict[str, str]:
    """The absolute URLs of this notification's links, {action: url} (one row per
    notification and action, so a resent email carries the same links). Two queries."""
    expires_at = timezone.now() + lifetime()
    EmailLink.objects.bulk_create(
        [
            EmailLink(
                notification=notification,
                action=action,
                recipient_id=notification.recipient_id,
                join_request_id=notification.join_request_id,
                expires_at=expires_at,
            )
            for action in actions
        ],
        ignore_conflicts=True,
    )
    found = EmailLink.objects.filter(notification=notification, action__in=actions)
    return {
        link.action: absolute(
            reverse("notifications:link", args=[signing.dumps({"l": link.pk}, salt=SALT)])
        )
        for link in found
    }


class State(StrEnum):
    OK = "ok"
    INVALID = "invalid"  # not one of our links (or tampered with)
    NOT_YOURS = "not_yours"
    USED = "used"
    EXPIRED = "expired"
    DECIDED = "decided"  # the request no longer waits (someone decided, or it expired)


@dataclass(frozen=True)
class Resolved:
    state: State
    link: EmailLink | None = None

    @property
    def join_request(self) -> JoinRequest | None:
        return self.link.join_request if self.link else None


def resolve(token: str, *, user: User, lock: bool = False) -> Resolved:
    """What this token is for this signed-in person, and whether it may still act.

    `lock` (inside a transaction) locks the link's row, so two confirmations of one link
    are decided one after the other and only the first acts.
    """
    try:
        link_id = signing.loads(token, salt=SALT, max_age=lifetime())["l"]
    except signing.SignatureExpired:
        return Resolved(State.EXPIRED)
    except (signing.BadSignature, KeyError, TypeError):
        return Resolved(State.INVALID)
    links = EmailLink.objects.select_related(
        "join_request__group", "join_request__requester", "join_request__decided_by"
    )
    if lock:
        links = links.select_for_update(of=("self",))
    link = links.filter(pk=link_id).first() if isinstance(link_id, int) else None
    if link is None:
        return Resolved(State.INVALID)
    if link.recipient_id != user.pk:
        return Resolved(State.NOT_YOURS)  # and nothing about the request
    if link.used_at is not None:
        return Resolved(State.USED, link)
    if link.expires_at <= timezone.now():
        return Resolved(State.EXPIRED, link)
    if link.join_request.status != JoinRequest.Status.PENDING:
        return Resolved(State.DECIDED, link)
    return Resolved(State.OK, link)
