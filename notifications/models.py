"""What people are told: notifications (the panel's list and its emails), each person's
email preferences, daily digests, the signed links of request emails, and the milestones that
make each housekeeping step happen once (docs/notifications.md)."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from groups.models import Group, JoinRequest
from tenants.models import OutboxEvent, Tenant


class NotificationKind(models.TextChoices):
    """What a notification is about; each person picks immediate email or the digest per kind.
    The labels are the preferences page's rows."""

    REQUEST_NEW = "request_new", "New requests waiting for your decision"
    REQUEST_REMINDER = "request_reminder", "Reminders about requests still waiting"
    REQUEST_ESCALATED = "request_escalated", "Requests escalated to global admins"
    REQUEST_DECIDED = "request_decided", "Decisions on your requests"
    REQUEST_EXPIRED = "request_expired", "Requests that expired without a decision"
    MEMBER_ADDED = "member_added", "You were added to a group"
    MEMBER_REMOVED = "member_removed", "You were removed from a group, or your membership ended"
    MEMBERSHIP_ENDING = "membership_ending", "Memberships that end soon"
    GROUP_EXPIRING = "group_expiring", "Groups you own that expire soon"
    GROUP_EXPIRED = "group_expired", "Groups you own that expired"


class Delivery(models.TextChoices):
    IMMEDIATE = "immediate", "Immediately"
    DIGEST = "digest", "In a daily digest"


class Notification(models.Model):
    """One thing told to one person (or, for a group with no owner, to the tenant's address).

    Created by the worker from an event, once: `key` names the event (or housekeeping step),
    the kind and the recipient, and is unique. Emailed once (`emailed_at`), at once or in the
    person's daily digest; listed in the panel until read.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    email = models.EmailField()
    kind = models.CharField(max_length=30, choices=NotificationKind.choices)
    key = models.CharField(max_length=200, unique=True)
    title = models.CharField(max_length=400)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=300, blank=True)  # a path in the product
    group = models.ForeignKey(
        Group, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    join_request = models.ForeignKey(
        JoinRequest, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    event = models.ForeignKey(
        OutboxEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    offers_decision = models.BooleanField(default=False)  # Approve / Deny links in the email
    delivery = models.CharField(max_length=10, choices=Delivery.choices)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_error = models.CharField(max_length=500, blank=True)
    digest = models.ForeignKey(
        "Digest", on_delete=models.SET_NULL, null=True, blank=True, related_name="notifications"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=NotificationKind.values), name="notification_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(delivery__in=Delivery.values),
                name="notification_delivery_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_list_idx"),
            models.Index(
                fields=["recipient"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread_idx",
            ),
            models.Index(
                fields=["tenant", "recipient"],
                condition=models.Q(delivery="digest", digest__isnull=True),
                name="notification_digest_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email}: {self.title}"


class Preference(models.Model):
    """How a person wants one kind of notification by email (none saved: immediately)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=30, choices=NotificationKind.choices)
    delivery = models.CharField(max_length=10, choices=Delivery.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="preference_unique"),
            models.CheckConstraint(
                condition=models.Q(delivery__in=Delivery.values), name="preference_delivery_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind} {self.delivery}"


class Digest(models.Model):
    """One person's daily digest email: at most one per person and day."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["recipient", "day"], name="digest_one_per_day")
        ]

    def __str__(self) -> str:
        return f"Digest of {self.recipient} for {self.day}"


class Milestone(models.Model):
    """A housekeeping step that must happen once (a reminder, an escalation, a warning): its
    unique name is claimed with the step's events, in one transaction, so two runs at the same
    moment can't both take it (notifications/housekeeping.py)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name


class EmailLink(models.Model):
    """A signed link in a request email: Approve, Deny or Open, for its recipient only.

    The URL carries a signature over this row's id (notifications/links.py); the row says
    whose it is, when it expires and whether it was used. Approve and Deny act once, after
    the person confirms on a page of the product; Open only shows the request.
    """

    class Action(models.TextChoices):
        APPROVE = "approve", "Approve"
        DENY = "deny", "Deny"
        OPEN = "open", "Open"

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="links")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    join_request = models.ForeignKey(JoinRequest, on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=10, choices=Action.choices)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["notification", "action"], name="email_link_unique")
        ]

    def __str__(self) -> str:
        return f"{self.action} link for {self.recipient}"
