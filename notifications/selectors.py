"""Reads of a person's notifications and preferences (their own only)."""

from django.db.models import QuerySet

from notifications.models import Delivery, Notification, NotificationKind, Preference
from tenants.models import User


def notifications_of(person: User) -> QuerySet:
    """The panel's notification list: newest first."""
    return Notification.objects.filter(recipient=person).order_by("-created_at", "-id")


def unread_count(person: User) -> int:
    return Notification.objects.filter(recipient=person, read_at__isnull=True).count()


def preferences_of(person: User) -> dict[str, str]:
    """{kind: delivery} for every kind (immediately unless the person chose the digest)."""
    chosen = dict(Preference.objects.filter(user=person).values_list("kind", "delivery"))
    return {kind: chosen.get(kind, Delivery.IMMEDIATE) for kind in NotificationKind.values}
