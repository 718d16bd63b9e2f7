"""Creating and revoking personal API tokens (audited like every change)."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from api.models import TOKEN_NAME_MAX, ApiToken
from tenants.actors import Actor, as_actor
from tenants.errors import Conflict, Invalid, NotAllowed
from tenants.events import record
from tenants.models import EventKind, User
from tenants.permissions import can_administer
from tenants.secrets import new_token
from tenants.text import clean_text

KIND = "ap"  # tokens read ap_<prefix>_<secret>


def _may_manage(actor: Actor, person: User) -> bool:
    """A person manages their own tokens; a global admin (or the operator) anyone's of theirs."""
    return (actor.user is not None and actor.user.pk == person.pk) or (
        can_administer(actor, person.tenant_id) and actor.kind != "api_token"
    )


@transaction.atomic
def create_api_token(
    person: User, *, actor: Actor | User, name: str, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """A new token for `person`; returns it and the raw token, shown this once only."""
    actor = as_actor(actor)
    if not _may_manage(actor, person):
        raise NotAllowed("You can only create API tokens for yourself.")
    if actor.kind == "api_token":
        raise NotAllowed("An API token can't create API tokens: use the API tokens page.")
    if not person.is_active or person.tenant_id is None:
        raise Invalid("Only an active person of an organisation can have API tokens.")
    name = clean_text(name, field="name", label="Name", max_length=TOKEN_NAME_MAX, required=True)
    if expires_at is not None and expires_at <= timezone.now():
        raise Invalid("The expiry must be in the future.", field="expires_at")
    issued = new_token(KIND)
    token = ApiToken.objects.create(
        user=person, name=name, prefix=issued.prefix, digest=issued.digest, expires_at=expires_at
    )
    record(
        EventKind.API_TOKEN_CREATED,
        actor=actor,
        tenant_id=person.tenant_id,
        target=token,
        data={"user": person, "name": name, "expires_at": expires_at},
        payload={"user_id": person.pk, "token_id": token.pk},
    )
    return token, issued.raw


@transaction.atomic
def revoke_api_token(token: ApiToken, *, actor: Actor | User) -> ApiToken:
    actor = as_actor(actor)
    token = ApiToken.objects.select_for_update().select_related("user").get(pk=token.pk)
    if not _may_manage(actor, token.user):
        raise NotAllowed("You can only revoke your own API tokens.")
    if token.revoked_at is not None:
        raise Conflict("This token is already revoked.")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    record(
        EventKind.API_TOKEN_REVOKED,
        actor=actor,
        tenant_id=token.user.tenant_id,
        target=token,
        data={"user": token.user, "name": token.name},
        payload={"user_id": token.user_id, "token_id": token.pk},
    )
    return token
