"""Who may administer a tenant. Group rules live in groups/policy.py."""

from django.core.exceptions import PermissionDenied

from tenants.models import Tenant, User


def can_administer(user: User | None, tenant: Tenant | int | None) -> bool:
    """The operator (or an operator command, user None) and the tenant's own global admins.

    `tenant` may be a Tenant, its id, or None for "any tenant this user administers" (Django
    admin asks that before it has an object).
    """
    if user is None:
        return True
    if not user.is_active:
        return False
    if user.is_superuser:
        return True
    tenant_id = tenant.pk if isinstance(tenant, Tenant) else tenant
    return user.is_global_admin and (tenant_id is None or tenant_id == user.tenant_id)


def require_administer(user: User | None, tenant: Tenant) -> None:
    if not can_administer(user, tenant):
        raise PermissionDenied("Only a global admin of this tenant can do this.")
