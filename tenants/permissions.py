"""Who may administer a tenant (its people and General settings). Group rules: groups/policy.py."""

from tenants.actors import Actor, ActorKind, as_actor
from tenants.errors import NotAllowed
from tenants.models import Tenant, User


def can_administer(actor: Actor | User, tenant: Tenant | int | None) -> bool:
    """The operator, the tenant's own global admins, and its SCIM client or system jobs.

    `tenant` may be a Tenant, its id, or None for "any tenant this actor administers" (Django
    admin asks that before it has an object).
    """
    actor = as_actor(actor)
    tenant_id = tenant.pk if isinstance(tenant, Tenant) else tenant
    if actor.user is not None:
        user = actor.user
        if not user.is_active:
            return False
        if user.is_superuser:
            return True
        return user.is_global_admin and tenant_id in (None, user.tenant_id)
    return actor.scope_tenant_id is None or tenant_id in (None, actor.scope_tenant_id)


def require_administer(actor: Actor | User, tenant: Tenant) -> None:
    if not can_administer(actor, tenant):
        raise NotAllowed("Only a global admin of this tenant can do this.")


OWN_STANDING = "You can't change your own role or deactivate yourself."


def may_change_standing(actor: Actor | User, person: User) -> bool:
    """Nobody changes their own role or deactivates themselves (another admin must)."""
    actor = as_actor(actor)
    return actor.user is None or actor.user.pk != person.pk


ADMINS_ARE_NOT_PROVISIONED = (
    "An identity provider can't change, deactivate or delete a global admin or the "
    "deployment's operator: a global admin does that in the Admin center."
)


def require_change_person(actor: Actor | User, person: User) -> None:
    """SCIM clients manage people, never global admins or the operator: an identity provider
    could otherwise lock the tenant out, or take over an administrator's address (docs/scim.md)."""
    actor = as_actor(actor)
    if actor.kind == ActorKind.SCIM_CLIENT and (person.is_global_admin or person.is_superuser):
        raise NotAllowed(ADMINS_ARE_NOT_PROVISIONED)
