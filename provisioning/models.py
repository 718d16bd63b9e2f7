"""Provisioning: people with access to an application are kept as accounts there, over SCIM.

Per application: where to send them (`ProvisioningTarget`), who is there under which remote id
(`RemoteAccount`), and every attempt to change that (`ProvisioningAttempt`, the log).
docs/provisioning.md has the rules.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from applications.models import Application
from tenants.models import Tenant

URL_MAX = 2000


class ProvisioningTarget(models.Model):
    """An application's SCIM 2.0 endpoint. The token is sealed (tenants.secrets.seal): it is
    sent on to the endpoint, but never shown or returned again."""

    application = models.OneToOneField(
        Application, on_delete=models.CASCADE, related_name="provisioning"
    )
    scim_url = models.URLField("SCIM base URL", max_length=URL_MAX)
    sealed_token = models.TextField(blank=True, editable=False)
    enabled = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.application} → {self.scim_url}"

    @property
    def has_token(self) -> bool:
        return bool(self.sealed_token)


class RemoteAccount(models.Model):
    """One person's account at one application: its id there, and the state we last set.

    `person_id` is our id for the person (sent as `externalId`); it stays when the person is
    removed from the directory, so their account can still be deactivated. `claimed_until` and
    `claim_token` let one worker at a time change the account (provisioning/provisioner.py)."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="remote_accounts"
    )
    person_id = models.BigIntegerField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="remote_accounts",
    )
    remote_id = models.CharField(max_length=255, blank=True)
    active = models.BooleanField(default=False)
    synced_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["application", "person_id"], name="remote_account_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id} @ {self.application_id}: {self.remote_id or '—'}"


class Operation(models.TextChoices):
    CREATE = "create", "Create"
    REACTIVATE = "reactivate", "Reactivate"
    DEACTIVATE = "deactivate", "Deactivate"
    TEST = "test", "Test connection"


class Outcome(models.TextChoices):
    SUCCESS = "success", "Succeeded"
    RETRYING = "retrying", "Failed, will retry"
    FAILED = "failed", "Failed"


class ProvisioningAttempt(models.Model):
    """One call to an application's endpoint that changed (or tried to change) an account."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="provisioning_attempts"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    person_label = models.CharField(max_length=300, blank=True)  # who, even once they're gone
    operation = models.CharField(max_length=20, choices=Operation.choices)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    trigger = models.CharField(max_length=20, default="event")  # event, reconcile, admin
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["application", "-at"], name="attempt_app_at_idx"),
            models.Index(fields=["tenant", "-at"], name="attempt_tenant_at_idx"),
            models.Index(fields=["tenant", "outcome", "-at"], name="attempt_outcome_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.operation} {self.person_label}: {self.outcome}"
