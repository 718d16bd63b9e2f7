"""Applications and sites, what grants access to them, blocks, and who has access now.

An application's access is assigned to people, to groups (their members, nested groups
included) and to other applications (everyone with access to that one). `Access` holds the
outcome for each person: kept by applications.access in the same transaction as every change
that can alter it, so pages, My apps and provisioning read it directly (docs/access.md).
"""

from django.conf import settings
from django.db import models

from groups.models import Group
from tenants.models import Tenant

NAME_MAX = 256
DESCRIPTION_MAX = 1024
BLOCK_REASON_MAX = 1000


class ApplicationKind(models.TextChoices):
    SAAS_APP = "saas_app", "SaaS application"
    SITE = "site", "Site"


class PrincipalType(models.TextChoices):
    USER = "user", "Person"
    GROUP = "group", "Group"
    APPLICATION = "application", "Application"


class Application(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="applications")
    name = models.CharField(max_length=NAME_MAX)
    # What names are compared by: look-alikes share a key (tenants.text.name_key).
    name_key = models.CharField(max_length=1024, editable=False)
    kind = models.CharField(max_length=20, choices=ApplicationKind.choices)
    description = models.CharField(max_length=DESCRIPTION_MAX, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name_key"], name="application_name_unique"),
            models.CheckConstraint(
                condition=models.Q(kind__in=ApplicationKind.values), name="application_kind_valid"
            ),
            models.CheckConstraint(condition=~models.Q(name=""), name="application_name_set"),
        ]
        indexes = [models.Index(fields=["tenant", "name"], name="application_tenant_name_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        """How a path names it: `site "Marketing"`, `application "Expenses"`."""
        word = "site" if self.kind == ApplicationKind.SITE else "application"
        return f"{word} “{self.name}”"


class ApplicationOwnership(models.Model):
    """The people who run an application: they manage its assignments and see its access."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="ownerships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="application_ownerships"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["application", "user"], name="app_ownership_unique")
        ]
        indexes = [models.Index(fields=["user", "application"], name="app_ownership_user_idx")]

    def __str__(self) -> str:
        return f"{self.user} owns {self.application}"


class Assignment(models.Model):
    """The application's access is given to one principal: a person, a group, or everyone
    with access to another application (the "granting" application)."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="assignments"
    )
    principal_type = models.CharField(max_length=20, choices=PrincipalType.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="application_assignments",
    )
    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, null=True, blank=True, related_name="assignments"
    )
    granting_application = models.ForeignKey(
        Application, on_delete=models.CASCADE, null=True, blank=True, related_name="grants"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(
                        principal_type="user",
                        user__isnull=False,
                        group__isnull=True,
                        granting_application__isnull=True,
                    )
                    | models.Q(
                        principal_type="group",
                        user__isnull=True,
                        group__isnull=False,
                        granting_application__isnull=True,
                    )
                    | models.Q(
                        principal_type="application",
                        user__isnull=True,
                        group__isnull=True,
                        granting_application__isnull=False,
                    )
                ),
                name="assignment_one_principal",
            ),
            models.CheckConstraint(
                condition=~models.Q(granting_application=models.F("application")),
                name="assignment_not_to_itself",
            ),
            models.UniqueConstraint(
                fields=["application", "user"],
                condition=models.Q(user__isnull=False),
                name="assignment_user_unique",
            ),
            models.UniqueConstraint(
                fields=["application", "group"],
                condition=models.Q(group__isnull=False),
                name="assignment_group_unique",
            ),
            models.UniqueConstraint(
                fields=["application", "granting_application"],
                condition=models.Q(granting_application__isnull=False),
                name="assignment_application_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["group", "application"], name="assignment_group_idx"),
            models.Index(fields=["user", "application"], name="assignment_user_idx"),
            models.Index(
                fields=["granting_application", "application"], name="assignment_granting_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application} → {self.principal}"

    @property
    def principal(self):
        return self.user or self.group or self.granting_application


class Block(models.Model):
    """A global admin blocks a person from one application: it wins over every grant."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="blocks")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="application_blocks"
    )
    reason = models.TextField(max_length=BLOCK_REASON_MAX)
    blocked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["application", "user"], name="block_unique"),
            models.CheckConstraint(condition=~models.Q(reason=""), name="block_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.user} blocked from {self.application}"


class Access(models.Model):
    """A person who has a path to the application (active people only). `blocked` people
    have a path but no access; everyone else here has access."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="access")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="application_access"
    )
    blocked = models.BooleanField(default=False)
    since = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["application", "user"], name="access_unique")
        ]
        indexes = [models.Index(fields=["user", "application"], name="access_user_idx")]

    def __str__(self) -> str:
        return f"{self.user} → {self.application}{' (blocked)' if self.blocked else ''}"
