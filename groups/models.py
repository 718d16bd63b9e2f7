"""Groups, their owners and members, and requests to join (constraints live in the database)."""

from django.conf import settings
from django.db import models

from tenants.models import Tenant

DISPLAY_NAME_MAX = 256
DESCRIPTION_MAX = 1024
JUSTIFICATION_MAX = 1000
DECISION_REASON_MAX = 1000


class GroupType(models.TextChoices):
    SECURITY = "security", "Security"
    MICROSOFT365 = "microsoft365", "Microsoft 365"
    MAIL_ENABLED_SECURITY = "mail_enabled_security", "Mail-enabled security"
    DISTRIBUTION = "distribution", "Distribution list"


# Self-service (join, request, leave, create, owner approvals) exists only for these types.
SELF_SERVICE_TYPES = (GroupType.SECURITY, GroupType.MICROSOFT365)


class GroupSource(models.TextChoices):
    API = "api", "API"
    ADMIN_CENTER = "admin_center", "Admin center"
    ACCESS_PANEL = "access_panel", "Access Panel"


class MembershipPolicy(models.TextChoices):
    OPEN = "open", "Open"
    OWNER_APPROVAL = "owner_approval", "Owner approval"
    CLOSED = "closed", "Closed"


class MembershipVia(models.TextChoices):
    JOIN = "join", "Joined an open group"
    REQUEST = "request", "Request approved"
    OWNER = "owner", "Added by an owner"
    ADMIN = "admin", "Added by a global admin"
    SYSTEM = "system", "Added by a SCIM client or the system"


# The decision reason of a join to an open group (a request approved at once, by nobody).
OPEN_JOIN_REASON = "Open group: approved automatically."


class RequestStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    DENIED = "denied", "Denied"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired"


def _valid(field: str, choices: type[models.TextChoices]) -> models.Q:
    return models.Q(**{f"{field}__in": choices.values})


class Group(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="groups")
    display_name = models.CharField(max_length=DISPLAY_NAME_MAX)
    # What names are compared by (tenants.text.name_key): look-alikes share a key, and a key
    # is unique per tenant. Set by groups.actions with the name.
    name_key = models.CharField(max_length=4 * DISPLAY_NAME_MAX, editable=False)
    description = models.CharField(max_length=DESCRIPTION_MAX, blank=True)
    group_type = models.CharField(max_length=30, choices=GroupType.choices)
    source = models.CharField(max_length=20, choices=GroupSource.choices)
    membership_policy = models.CharField(max_length=20, choices=MembershipPolicy.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="created_groups",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    external_id = models.CharField(
        max_length=255, blank=True, help_text="The identity provider's id for this group (SCIM)."
    )

    class Meta:
        ordering = ["display_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "name_key"], name="group_name_key_unique_per_tenant"
            ),
            models.UniqueConstraint(
                fields=["tenant", "external_id"],
                condition=~models.Q(external_id=""),
                name="group_external_id_unique",
            ),
            models.CheckConstraint(
                condition=_valid("group_type", GroupType), name="group_type_valid"
            ),
            models.CheckConstraint(
                condition=_valid("source", GroupSource), name="group_source_valid"
            ),
            models.CheckConstraint(
                condition=_valid("membership_policy", MembershipPolicy),
                name="group_membership_policy_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(display_name=""), name="group_display_name_not_empty"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "display_name"], name="group_tenant_name_idx"),
            models.Index(fields=["created_by"], name="group_created_by_idx"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def is_self_service(self) -> bool:
        return self.group_type in SELF_SERVICE_TYPES


class Ownership(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="ownerships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ownerships"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["group", "user"], name="ownership_unique"),
        ]
        indexes = [models.Index(fields=["user", "group"], name="ownership_user_idx")]

    def __str__(self) -> str:
        return f"{self.user} owns {self.group}"


class Membership(models.Model):
    Via = MembershipVia

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    added_via = models.CharField(max_length=10, choices=Via.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["group", "user"], name="membership_unique"),
            models.CheckConstraint(
                condition=_valid("added_via", MembershipVia), name="membership_via_valid"
            ),
        ]
        indexes = [models.Index(fields=["user", "group"], name="membership_user_idx")]

    def __str__(self) -> str:
        return f"{self.user} in {self.group}"


class JoinRequest(models.Model):
    Status = RequestStatus

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="join_requests")
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="join_requests"
    )
    justification = models.TextField(max_length=JUSTIFICATION_MAX, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decision_reason = models.TextField(max_length=DECISION_REASON_MAX, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "requester"],
                condition=models.Q(status="pending"),
                name="one_pending_request_per_user_and_group",
            ),
            models.CheckConstraint(
                condition=_valid("status", RequestStatus), name="request_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status="pending", decided_at__isnull=True)
                | (~models.Q(status="pending") & models.Q(decided_at__isnull=False)),
                name="request_decided_at_matches_status",
            ),
        ]
        indexes = [
            models.Index(fields=["group", "status", "created_at"], name="request_group_status_idx"),
            models.Index(fields=["requester", "status"], name="request_requester_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.requester} → {self.group} ({self.status})"


# Only security groups nest, and into security groups only (as in Entra).
NESTABLE_TYPES = (GroupType.SECURITY,)


class GroupNesting(models.Model):
    """A group that is a member of another: the child's members count for the parent's access.

    They are not members of the parent (its member list shows the child as its own row).
    Cycles are refused by groups.actions.nest_group; the database refuses self-nesting.
    """

    parent = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="nested_children")
    child = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="nested_in")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "child"], name="nesting_unique"),
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("child")), name="nesting_not_self"
            ),
        ]
        indexes = [models.Index(fields=["child", "parent"], name="nesting_child_idx")]

    def __str__(self) -> str:
        return f"{self.child} in {self.parent}"
