"""Who may administer a tenant. Group rules live in groups/policy.py."""

from django.core.exceptions import PermissionDenied

from tenants.models import Tenant, User


def can_administer(user: User | None, tenant: Tenant) -> bool:
    """The operator (or an operator command, user None) and the tenant's own global admins."""
    if user is None:
        return True
    if not user.is_active:
        return False
    return user.is_superuser or (user.is_global_admin and user.tenant_id == tenant.pk)


def require_administer(user: User | None, tenant: Tenant) -> None:
    if not can_administer(user, tenant):
        raise PermissionDenied("Only a global admin of this tenant can do this.")
