"""Creating and revoking SCIM tokens (global admins of the tenant, or the operator)."""

from django.db import transaction
from django.utils import timezone

from scim.models import CLIENT_NAME_MAX, ScimClient
from tenants.actors import Actor, as_actor
from tenants.errors import Conflict, NotAllowed
from tenants.events import record
from tenants.models import EventKind, Tenant
from tenants.permissions import can_administer
from tenants.secrets import new_token
from tenants.text import clean_text

KIND = "sc"  # tokens read sc_<prefix>_<secret>


def _require_admin(actor: Actor, tenant_id: int) -> None:
    if actor.kind in ("api_token", "scim_client") or not can_administer(actor, tenant_id):
        raise NotAllowed("Only a global admin of this tenant can manage its SCIM tokens.")


@transaction.atomic
def create_scim_token(tenant: Tenant, *, actor: Actor, name: str) -> tuple[ScimClient, str]:
    """A new SCIM client of the tenant; returns it and the raw token, shown this once only."""
    actor = as_actor(actor)
    _require_admin(actor, tenant.pk)
    name = clean_text(name, field="name", label="Name", max_length=CLIENT_NAME_MAX, required=True)
    issued = new_token(KIND)
    client = ScimClient.objects.create(
        tenant=tenant,
        name=name,
        prefix=issued.prefix,
        digest=issued.digest,
        created_by=actor.user,
    )
    record(
        EventKind.SCIM_TOKEN_CREATED,
        actor=actor,
        tenant_id=tenant.pk,
        target=client,
        data={"name": name},
        payload={"scim_client_id": client.pk},
    )
    return client, issued.raw


@transaction.atomic
def revoke_scim_token(client: ScimClient, *, actor: Actor) -> ScimClient:
    actor = as_actor(actor)
    client = ScimClient.objects.select_for_update().get(pk=client.pk)
    _require_admin(actor, client.tenant_id)
    if client.revoked_at is not None:
        raise Conflict("This SCIM token is already revoked.")
    client.revoked_at = timezone.now()
    client.save(update_fields=["revoked_at"])
    record(
        EventKind.SCIM_TOKEN_REVOKED,
        actor=actor,
        tenant_id=client.tenant_id,
        target=client,
        data={"name": client.name},
        payload={"scim_client_id": client.pk},
    )
    return client
