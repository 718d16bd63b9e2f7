"""A tenant's SCIM clients: the identity providers allowed to provision its directory."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from tenants.models import Tenant

CLIENT_NAME_MAX = 100


class ScimClient(models.Model):
    """One bearer token of one tenant, stored as a prefix and a digest (shown once)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="scim_clients")
    name = models.CharField(max_length=CLIENT_NAME_MAX)
    prefix = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None
