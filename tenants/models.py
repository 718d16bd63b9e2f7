"""Tenants (organisations), their people, their General settings, the audit log and the outbox."""

from datetime import timedelta

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from tenants.actors import ActorKind, Surface


class Tenant(models.Model):
    """One organisation's directory. Every other row belongs to exactly one tenant."""

    name = models.CharField(max_length=100)
    premium_seats = models.PositiveIntegerField(
        default=50, help_text="How many users of this tenant may hold a Premium license."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="tenant_name_unique_ci")]

    def __str__(self) -> str:
        return self.name

    def premium_seat_holders(self):
        """The people who use a Premium seat: licensed and active."""
        return self.users.filter(has_premium_license=True, is_active=True)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        """Low-level creation used by Django's tooling; the product uses tenants.actions."""
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        sync_email_addresses(user)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        """The deployment operator: no tenant, sees every tenant in Django admin."""
        fields.setdefault("display_name", "Operator")
        return self.create_user(email, password, is_superuser=True, **fields)


class User(AbstractBaseUser):
    """A person of one tenant; signs in with their email address."""

    class Role(models.TextChoices):
        MEMBER = "member", "Member"
        GLOBAL_ADMIN = "global_admin", "Global admin"

    email = models.EmailField(unique=True)
    display_name = models.CharField(max_length=150)
    tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="users", null=True, blank=True
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)
    has_premium_license = models.BooleanField("Premium license", default=False)
    is_active = models.BooleanField(default=True)
    is_superuser = models.BooleanField(
        "operator", default=False, help_text="Runs the whole deployment; belongs to no tenant."
    )
    date_joined = models.DateTimeField(auto_now_add=True)
    external_id = models.CharField(
        max_length=255, blank=True, help_text="The identity provider's id for this person (SCIM)."
    )
    scim_user_name = models.CharField(
        max_length=255,
        blank=True,
        help_text="The identity provider's userName for this person, when it isn't their email "
        "(SCIM; docs/scim.md).",
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["display_name"]

    class Meta:
        ordering = ["display_name", "email"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(tenant__isnull=False) | models.Q(is_superuser=True),
                name="user_has_tenant_unless_operator",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=["member", "global_admin"]), name="user_role_valid"
            ),
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ci"),
            models.UniqueConstraint(
                fields=["tenant", "external_id"],
                condition=~models.Q(external_id=""),
                name="user_external_id_unique",
            ),
            models.UniqueConstraint(
                "tenant",
                Lower("scim_user_name"),
                condition=~models.Q(scim_user_name=""),
                name="user_scim_user_name_unique",
            ),
        ]
        indexes = [
            # The directory in name order: member lists walk it while probing memberships.
            models.Index(fields=["tenant", "display_name", "id"], name="user_tenant_name_idx"),
            # Premium seats in use (Users, Overview): counted on this small index.
            models.Index(
                fields=["tenant"],
                condition=models.Q(has_premium_license=True, is_active=True),
                name="user_premium_seat_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} <{self.email}>"

    @property
    def is_global_admin(self) -> bool:
        return self.role == self.Role.GLOBAL_ADMIN and self.tenant_id is not None

    @property
    def is_staff(self) -> bool:
        """Django admin is open to global admins (their tenant only) and the operator."""
        return self.is_active and (self.is_superuser or self.is_global_admin)

    def has_perm(self, perm: str, obj=None) -> bool:
        """Only the operator holds Django model permissions; tenant scoping is in admin.py."""
        return self.is_active and self.is_superuser

    def has_perms(self, perm_list, obj=None) -> bool:
        return all(self.has_perm(perm, obj) for perm in perm_list)

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_active and self.is_superuser

    def get_full_name(self) -> str:
        return self.display_name

    def get_short_name(self) -> str:
        return self.display_name.split(" ")[0] if self.display_name else self.email


def sync_email_addresses(user: "User") -> None:
    """allauth's EmailAddress rows say what User.email says: one row, primary and verified.

    Addresses come from the directory (global admins, the CLI, later SCIM), never from the
    person, so allauth must know no other address for them: password reset mail and SSO
    matching use these rows. Called by tenants.actions whenever an address is set.
    """
    from allauth.account.models import EmailAddress  # allauth's models need ours loaded first

    EmailAddress.objects.filter(user=user).exclude(email=user.email).delete()
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"primary": True, "verified": True}
    )


class GeneralSettings(models.Model):
    """The tenant's self-service switches (docs/settings.md); labels are their names."""

    class OwnerAssigners(models.TextChoices):
        ALL = "all", "All"
        SELECTED = "selected", "Selected"

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="settings")
    owners_can_manage_requests = models.BooleanField(
        "Owners can manage group membership requests in the Access Panel", default=False
    )
    restrict_access_to_groups = models.BooleanField(
        "Restrict access to Groups in the Access Panel", default=False
    )
    users_can_create_security_groups = models.BooleanField(
        "Users can create security groups", default=True
    )
    users_can_create_microsoft365_groups = models.BooleanField(
        "Users can create Microsoft 365 groups", default=True
    )
    owners_who_can_assign_owners = models.CharField(
        "Owners who can assign members as group owners",
        max_length=10,
        choices=OwnerAssigners.choices,
        default=OwnerAssigners.ALL,
    )
    selected_owner_assigners = models.ManyToManyField(
        "User",
        blank=True,
        related_name="+",
        verbose_name="Selected users who can assign group owners",
    )

    class Meta:
        verbose_name = "General settings"
        verbose_name_plural = "General settings"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(owners_who_can_assign_owners__in=["all", "selected"]),
                name="settings_owner_assigners_valid",
            )
        ]

    def __str__(self) -> str:
        return f"General settings of {self.tenant}"

    # The scalar settings, in the order of docs/settings.md (audit, forms).
    FIELDS = (
        "owners_can_manage_requests",
        "restrict_access_to_groups",
        "users_can_create_security_groups",
        "users_can_create_microsoft365_groups",
        "owners_who_can_assign_owners",
    )


MIN_GROUP_LIFETIME_DAYS = 30


class LifecycleSettings(models.Model):
    """The tenant's reminders, escalation, request expiry and group expiration policy
    (docs/lifecycle.md). A tenant without a row has the defaults (`for_tenant`)."""

    class AppliesTo(models.TextChoices):
        ALL = "all", "All groups"
        SELECTED = "selected", "Selected groups"
        NONE = "none", "No groups"

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="lifecycle")
    remind_after_days = models.PositiveSmallIntegerField(
        "Remind the deciders after (days)", default=3
    )
    escalate_after_days = models.PositiveSmallIntegerField(
        "Escalate to global admins after (days) with no decision", default=7
    )
    expire_requests_after_days = models.PositiveSmallIntegerField(
        "Expire pending requests after (days)",
        null=True,
        blank=True,
        default=14,
        help_text="Empty: requests never expire.",
    )
    group_lifetime_days = models.PositiveIntegerField(
        "Group lifetime (days)", default=180, help_text="At least 30 days."
    )
    group_expiration_applies_to = models.CharField(
        "Expiration policy applies to",
        max_length=10,
        choices=AppliesTo.choices,
        default=AppliesTo.NONE,
    )
    group_expiration_since = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the expiration policy last started to apply: no group expires within "
        "30 days of it.",
    )
    ownerless_group_email = models.EmailField(
        "Email for groups with no owner",
        blank=True,
        help_text="Warnings about expiring groups that have no owner go to this address.",
    )

    class Meta:
        verbose_name = "Reminder and expiration settings"
        verbose_name_plural = "Reminder and expiration settings"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(remind_after_days__gte=1)
                & models.Q(escalate_after_days__gte=1)
                & (
                    models.Q(expire_requests_after_days__isnull=True)
                    | models.Q(expire_requests_after_days__gte=1)
                ),
                name="lifecycle_request_days_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(group_lifetime_days__gte=MIN_GROUP_LIFETIME_DAYS),
                name="lifecycle_group_lifetime_at_least_30_days",
            ),
            models.CheckConstraint(
                condition=models.Q(group_expiration_applies_to__in=["all", "selected", "none"]),
                name="lifecycle_applies_to_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Reminder and expiration settings of {self.tenant}"

    FIELDS = (
        "remind_after_days",
        "escalate_after_days",
        "expire_requests_after_days",
        "group_lifetime_days",
        "group_expiration_applies_to",
        "ownerless_group_email",
    )

    @classmethod
    def for_tenant(cls, tenant_id: int) -> "LifecycleSettings":
        """The tenant's row, or the defaults (unsaved) when it has none yet."""
        return cls.objects.filter(tenant_id=tenant_id).first() or cls(tenant_id=tenant_id)


class EventKind(models.TextChoices):
    """Every kind of change: the audit log's actions and the outbox's events (docs/events.md)."""

    TENANT_CREATED = "tenant.created", "Organisation created"
    TENANT_UPDATED = "tenant.updated", "Organisation changed"
    USER_CREATED = "user.created", "Person added to the directory"
    USER_UPDATED = "user.updated", "Person changed"
    USER_EMAIL_CHANGED = "user.email_changed", "Email address changed"
    USER_DEACTIVATED = "user.deactivated", "Person deactivated"
    USER_REACTIVATED = "user.reactivated", "Person reactivated"
    USER_DELETED = "user.deleted", "Person deleted"
    SETTINGS_UPDATED = "settings.updated", "General settings changed"
    GROUP_CREATED = "group.created", "Group created"
    GROUP_UPDATED = "group.updated", "Group changed"
    GROUP_DELETED = "group.deleted", "Group deleted"
    GROUP_JOINED = "group.joined", "Joined an open group"
    GROUP_LEFT = "group.left", "Left a group"
    MEMBER_ADDED = "member.added", "Member added"
    MEMBER_REMOVED = "member.removed", "Member removed"
    OWNER_ADDED = "owner.added", "Owner added"
    OWNER_REMOVED = "owner.removed", "Owner removed"
    GROUP_NESTED = "group.nested", "Group nested in a group"
    GROUP_UNNESTED = "group.unnested", "Nested group removed"
    REQUEST_CREATED = "request.created", "Asked to join"
    REQUEST_APPROVED = "request.approved", "Request approved"
    REQUEST_DENIED = "request.denied", "Request denied"
    REQUEST_CANCELLED = "request.cancelled", "Request cancelled"
    REQUEST_EXPIRED = "request.expired", "Request expired"
    APPLICATION_CREATED = "application.created", "Application created"
    APPLICATION_UPDATED = "application.updated", "Application changed"
    APPLICATION_DELETED = "application.deleted", "Application deleted"
    APPLICATION_OWNER_ADDED = "application.owner_added", "Application owner added"
    APPLICATION_OWNER_REMOVED = "application.owner_removed", "Application owner removed"
    ASSIGNMENT_ADDED = "assignment.added", "Access assigned"
    ASSIGNMENT_REMOVED = "assignment.removed", "Access assignment removed"
    ACCESS_BLOCKED = "access.blocked", "Access blocked"
    ACCESS_UNBLOCKED = "access.unblocked", "Access unblocked"
    ACCESS_MOVED = "access.moved", "Direct access moved into a group"
    ACCESS_GRANTED = "access.granted", "Gained access"
    ACCESS_REVOKED = "access.revoked", "Lost access"
    API_TOKEN_CREATED = "api_token.created", "API token created"
    API_TOKEN_REVOKED = "api_token.revoked", "API token revoked"
    SCIM_TOKEN_CREATED = "scim_token.created", "SCIM token created"
    SCIM_TOKEN_REVOKED = "scim_token.revoked", "SCIM token revoked"
    PROVISIONING_UPDATED = "provisioning.updated", "Provisioning settings changed"
    # Notifications and lifecycle (docs/lifecycle.md)
    LIFECYCLE_SETTINGS_UPDATED = (
        "lifecycle_settings.updated",
        "Reminder and expiration settings changed",
    )
    REQUEST_REMINDED = "request.reminded", "Deciders reminded of a request"
    REQUEST_ESCALATED = "request.escalated", "Request escalated to global admins"
    MEMBERSHIP_RENEWED = "membership.renewed", "Membership renewed"
    MEMBERSHIP_ENDING = "membership.ending", "Warned that a membership ends soon"
    GROUP_EXPIRING = "group.expiring", "Warned that a group expires soon"
    GROUP_RENEWED = "group.renewed", "Group renewed"
    GROUP_EXPIRED = "group.expired", "Group expired (deleted, restorable for 30 days)"
    GROUP_RESTORED = "group.restored", "Deleted group restored"
    PREFERENCES_UPDATED = "preferences.updated", "Email preferences changed"
    DIGEST_READY = "digest.ready", "Daily digest ready"


class AuditEventQuerySet(models.QuerySet):
    """Audit events are append-only: bulk updates and deletes are refused."""

    def update(self, **kwargs):
        raise TypeError("Audit events are append-only")

    def delete(self):
        raise TypeError("Audit events are append-only")

    def _calendar_from_range(self) -> "AuditEventQuerySet":
        """This queryset, with `datetimes()` (Django admin's date hierarchy) answered from the
        first and last event instead of a DISTINCT over a million rows: every year, month or
        day between them is offered, even one without events."""
        clone = self._chain()
        clone._calendar = True
        return clone

    def _clone(self):
        clone = super()._clone()
        clone._calendar = getattr(self, "_calendar", False)
        return clone

    def datetimes(self, field_name, kind, order="ASC", tzinfo=None):
        if not getattr(self, "_calendar", False):
            return super().datetimes(field_name, kind, order=order, tzinfo=tzinfo)
        span = self.aggregate(first=models.Min(field_name), last=models.Max(field_name))
        if span["first"] is None:
            return []
        first, last = (timezone.localtime(span[end]) for end in ("first", "last"))
        moments, moment = (
            [],
            first.replace(
                month=1 if kind == "year" else first.month,
                day=1 if kind in ("year", "month") else first.day,
                hour=0,
                minute=0,
                second=0,
                microsecond=0,
            ),
        )
        while moment <= last:
            moments.append(moment)
            if kind == "year":
                moment = moment.replace(year=moment.year + 1)
            elif kind == "month":
                moment = moment.replace(
                    year=moment.year + moment.month // 12, month=moment.month % 12 + 1
                )
            else:
                moment = timezone.localtime(moment + timedelta(days=1)).replace(hour=0)
        return moments


class AuditEvent(models.Model):
    """One state change: who did what to which object, through which surface, with old and new
    values. Written by tenants.events.record() in the transaction of the change."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="audit_events")
    actor = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_kind = models.CharField(max_length=20, choices=ActorKind.choices)
    actor_label = models.CharField(max_length=300, help_text="Who acted, kept if they are gone.")
    surface = models.CharField(max_length=20, choices=Surface.choices)
    action = models.CharField(max_length=60, choices=EventKind.choices)
    target_type = models.CharField(max_length=40)
    target_id = models.CharField(max_length=40, blank=True)
    target_label = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "-created_at", "-id"]),
            models.Index(fields=["tenant", "target_type", "target_id"]),
            # The Audit log filtered by kind, newest first.
            models.Index(
                fields=["tenant", "action", "-created_at", "-id"], name="audit_action_newest_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("Audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Audit events are append-only")


class OutboxEvent(models.Model):
    """A change announced to the worker's handlers (provisioning, email): written with the
    change and its audit row, so an event exists exactly when its change was committed."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=60, choices=EventKind.choices)
    aggregate = models.CharField(
        max_length=60, help_text="What the event is about, e.g. group:12; delivered in order."
    )
    payload = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    actor_kind = models.CharField(max_length=20, choices=ActorKind.choices)
    surface = models.CharField(max_length=20, choices=Surface.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.aggregate}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DONE = "done", "Delivered"
    FAILED = "failed", "Failed (gave up)"


class OutboxDelivery(models.Model):
    """One event for one handler: the unit the worker claims, runs, retries and reports.

    Deliveries of one handler and one aggregate run in id order; a delivery waiting for a
    retry holds back the later ones of its aggregate (docs/events.md).
    """

    Status = DeliveryStatus

    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries")
    handler = models.CharField(max_length=60)
    aggregate = models.CharField(max_length=60)  # the event's, for the ordering index
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    leased_until = models.DateTimeField(null=True, blank=True)
    lease_token = models.CharField(max_length=32, blank=True)  # which worker run holds it
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "outbox deliveries"
        constraints = [
            models.UniqueConstraint(fields=["event", "handler"], name="delivery_unique"),
            models.CheckConstraint(
                condition=models.Q(status__in=DeliveryStatus.values), name="delivery_status_valid"
            ),
        ]
        indexes = [
            models.Index(
                fields=["handler", "aggregate", "id"],
                condition=models.Q(status="pending"),
                name="delivery_pending_queue_idx",
            ),
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="delivery_pending_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.handler} ({self.status})"


class PeriodicRun(models.Model):
    """When a periodic job is next due; workers take turns by row lock (tenants/worker.py)."""

    name = models.CharField(max_length=60, primary_key=True)
    next_run_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.next_run_at:%Y-%m-%d %H:%M}"
