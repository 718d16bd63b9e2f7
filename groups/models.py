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


# An expired group is soft-deleted: a global admin can restore it this long (docs/lifecycle.md).
RESTORE_DAYS = 30


class LiveGroups(models.Manager):
    """Groups that exist. An expired group (soft-deleted, restorable for 30 days) is left out
    of every read that goes through `Group.objects`; `Group.with_deleted` sees it too."""

    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


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
    # Lifecycle (docs/lifecycle.md): groups/lifecycle.py changes these.
    default_membership_days = models.PositiveIntegerField(
        "Default membership duration (days)",
        null=True,
        blank=True,
        help_text="New memberships end after this many days. Empty: they don't end by themselves.",
    )
    members_can_renew = models.BooleanField("Members can renew their own membership", default=False)
    expiration_selected_at = models.DateTimeField(
        "Selected for the group expiration policy",
        null=True,
        blank=True,
        help_text="When a global admin selected it (the policy applies to selected groups).",
    )
    renewed_at = models.DateTimeField(
        null=True, blank=True, help_text="The group's lifetime counts from here (else creation)."
    )
    deleted_at = models.DateTimeField(
        null=True, blank=True, help_text="Expired: soft-deleted, restorable for 30 days."
    )
    # Counts kept by groups.actions and groups.lifecycle in the transaction of each change
    # (docs/scale.md), so that no page counts a big relation: its members, its pending requests.
    member_count = models.PositiveIntegerField(default=0, editable=False)
    pending_count = models.PositiveIntegerField(default=0, editable=False)

    objects = LiveGroups()
    with_deleted = models.Manager()  # noqa: DJ012 (a second manager, not a field)

    class Meta:
        ordering = ["display_name", "id"]
        base_manager_name = "with_deleted"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "name_key"],
                condition=models.Q(deleted_at__isnull=True),
                name="group_name_key_unique_per_tenant",
            ),
            models.UniqueConstraint(
                fields=["tenant", "external_id"],
                condition=~models.Q(external_id="") & models.Q(deleted_at__isnull=True),
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
            models.Index(fields=["tenant", "display_name", "id"], name="group_tenant_name_idx"),
            models.Index(fields=["created_by"], name="group_created_by_idx"),
            # The Approvals badge of a global admin: the groups with requests waiting.
            models.Index(
                fields=["tenant", "pending_count"],
                condition=models.Q(pending_count__gt=0, deleted_at__isnull=True),
                name="group_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def is_self_service(self) -> bool:
        return self.group_type in SELF_SERVICE_TYPES

    @property
    def lifetime_start(self):
        """Where the expiration policy's lifetime counts from: the last renewal, or creation."""
        return self.renewed_at or self.created_at


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
    # Time-bound membership (docs/lifecycle.md): removed by the system at `ends_at`; a renewal
    # adds `term_days` again.
    ends_at = models.DateTimeField(null=True, blank=True)
    term_days = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["group", "user"], name="membership_unique"),
            models.CheckConstraint(
                condition=_valid("added_via", MembershipVia), name="membership_via_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(ends_at__isnull=True, term_days__isnull=True)
                | models.Q(ends_at__isnull=False, term_days__isnull=False, term_days__gte=1),
                name="membership_end_has_term",  # IS NOT NULL: a CHECK passes NULL >= 1
            ),
        ]
        indexes = [
            models.Index(fields=["user", "group"], name="membership_user_idx"),
            models.Index(
                fields=["ends_at"],
                condition=models.Q(ends_at__isnull=False),
                name="membership_ends_at_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.group}"


class JoinRequest(models.Model):
    """A request to join. Kept for good (docs/lifecycle.md): when its group is deleted the
    request stays, with the group's name in `group_name` and its tenant in `tenant`; when its
    requester is deleted from the directory (SCIM), it stays with their name and address in
    `requester_name` and `requester_email` (groups.actions.keep_deleted_requesters_name)."""

    Status = RequestStatus

    group = models.ForeignKey(
        Group, on_delete=models.SET_NULL, null=True, blank=True, related_name="join_requests"
    )
    tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    group_name = models.CharField(max_length=DISPLAY_NAME_MAX, blank=True)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="join_requests",
    )
    # Who asked, once they are deleted (db_default: bulk loads such as seed_scale's COPY).
    requester_name = models.CharField(max_length=150, blank=True, db_default="")
    requester_email = models.EmailField(max_length=254, blank=True, db_default="")
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
            models.Index(fields=["tenant", "-created_at", "-id"], name="request_history_idx"),
            # Approvals and the Admin center's Requests: pending requests, oldest first.
            models.Index(
                fields=["created_at", "id"],
                condition=models.Q(status="pending"),
                name="request_pending_age_idx",
            ),
            # The Overview's pending requests by age, per tenant (read from the index alone).
            models.Index(
                fields=["tenant", "created_at"],
                condition=models.Q(status="pending"),
                name="request_pending_tenant_idx",
            ),
            # Approvals' "Recently decided", newest first.
            models.Index(
                fields=["-decided_at", "-id"],
                condition=models.Q(decided_at__isnull=False),
                name="request_decided_idx",
            ),
            # Django admin's join requests, in their default order.
            models.Index(fields=["created_at", "id"], name="request_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.requester_label} → {self.group or self.group_name} ({self.status})"

    def save(self, *args, **kwargs):
        if self.tenant_id is None and self.group_id is not None:
            self.tenant_id = self.group.tenant_id  # the history keeps it if the group goes
        super().save(*args, **kwargs)

    @property
    def requester_label(self) -> str:
        """Who asked: their name, even once they are deleted from the directory."""
        if self.requester is not None:
            return self.requester.display_name
        return f"{self.requester_name or self.requester_email} (deleted)"


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


class GroupArchive(models.Model):
    """What an expired group held (members, owners, nestings), kept so that a global admin
    can restore it within 30 days (groups/lifecycle.py). Ids and values only."""

    group = models.OneToOneField(Group, on_delete=models.CASCADE, related_name="archive")
    members = models.JSONField(default=list)
    owners = models.JSONField(default=list)
    nested_in = models.JSONField(default=list)  # parent group ids
    nested = models.JSONField(default=list)  # child group ids
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Archive of {self.group}"
