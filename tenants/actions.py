"""Every write to tenants, people and General settings: atomic and audited."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from tenants.audit import changes, record_audit
from tenants.errors import DomainError
from tenants.models import GeneralSettings, Tenant, User
from tenants.permissions import require_administer


def _clean_email(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise DomainError(
            f"{email or 'An empty value'!s} is not a valid email address.", field="email"
        ) from None
    return email


@transaction.atomic
def create_tenant(
    name: str,
    *,
    admin_email: str,
    admin_password: str | None,
    admin_display_name: str = "",
    acting_user: User | None = None,
) -> Tenant:
    """A new tenant with its General settings (SPEC defaults) and its first global admin."""
    if acting_user is not None and not acting_user.is_superuser:
        raise DomainError("Only the operator can create tenants.")
    name = (name or "").strip()
    if not name:
        raise DomainError("A tenant needs a name.", field="name")
    if Tenant.objects.filter(name__iexact=name).exists():
        raise DomainError(f"A tenant named {name!r} already exists.", field="name")
    tenant = Tenant.objects.create(name=name)
    GeneralSettings.objects.create(tenant=tenant)
    admin = _insert_user(
        tenant=tenant,
        email=admin_email,
        display_name=admin_display_name or "Global admin",
        role=User.Role.GLOBAL_ADMIN,
        premium=True,
        password=admin_password,
    )
    record_audit(
        tenant=tenant,
        actor=acting_user,
        action="tenant.created",
        target=tenant,
        data={"name": name, "first_admin": admin.email},
    )
    return tenant


def _insert_user(
    *, tenant: Tenant, email: str, display_name: str, role: str, premium: bool, password: str | None
) -> User:
    email = _clean_email(email)
    if role not in User.Role.values:
        raise DomainError(f"{role!r} is not a role (member or global_admin).", field="role")
    if User.objects.filter(email__iexact=email).exists():
        raise DomainError(f"A user with the email {email} already exists.", field="email")
    if premium:
        _require_premium_seat(tenant)
    user = User(
        tenant=tenant,
        email=email,
        display_name=(display_name or "").strip() or email.split("@")[0],
        role=role,
        has_premium_license=premium,
    )
    user.set_password(password)  # None leaves an unusable password (SSO or reset by email).
    user.save()
    return user


def _require_premium_seat(tenant: Tenant, *, excluding: User | None = None) -> None:
    holders = tenant.premium_seat_holders()
    if excluding is not None:
        holders = holders.exclude(pk=excluding.pk)
    if holders.count() >= tenant.premium_seats:
        raise DomainError(
            f"All {tenant.premium_seats} Premium seats of {tenant} are taken.",
            field="has_premium_license",
        )


@transaction.atomic
def create_user(
    email: str,
    *,
    tenant: Tenant,
    acting_user: User | None,
    display_name: str = "",
    role: str = User.Role.MEMBER,
    premium: bool = False,
    password: str | None = None,
) -> User:
    """A new person in the tenant's directory."""
    if tenant is None:
        raise DomainError("Choose the user's tenant.", field="tenant")
    require_administer(acting_user, tenant)
    Tenant.objects.select_for_update().get(pk=tenant.pk)  # serialise seat counting
    try:
        with transaction.atomic():
            user = _insert_user(
                tenant=tenant,
                email=email,
                display_name=display_name,
                role=role,
                premium=premium,
                password=password,
            )
    except IntegrityError:  # the same email created at the same moment elsewhere
        raise DomainError(f"A user with the email {email} already exists.", field="email") from None
    record_audit(
        tenant=tenant,
        actor=acting_user,
        action="user.created",
        target=user,
        data={"email": user.email, "role": user.role, "premium": premium},
    )
    return user


USER_EDITABLE_FIELDS = ("display_name", "role", "has_premium_license", "is_active")


@transaction.atomic
def update_user(user: User, *, acting_user: User | None, **new_values: Any) -> User:
    """Change a person's name, role, license or active flag (global admins of their tenant)."""
    unknown = set(new_values) - set(USER_EDITABLE_FIELDS)
    if unknown:
        raise DomainError(f"These user fields can't be changed here: {', '.join(sorted(unknown))}.")
    # NO KEY UPDATE: rows that merely reference this user (a membership being approved right
    # now) don't wait for it, so deactivation can't deadlock with approvals.
    locked = User.objects.select_for_update(no_key=True).get(pk=user.pk)
    require_administer(acting_user, locked.tenant)
    if new_values.get("role", locked.role) not in User.Role.values:
        raise DomainError(f"{new_values['role']!r} is not a role.", field="role")
    changes_own_standing = new_values.get("role", locked.role) != locked.role or not new_values.get(
        "is_active", True
    )
    if acting_user is not None and locked.pk == acting_user.pk and changes_own_standing:
        raise DomainError("You can't change your own role or deactivate yourself.")
    before = {field: getattr(locked, field) for field in new_values}
    diff = changes(before, new_values)
    if not diff:
        return locked
    holds_seat = locked.has_premium_license and locked.is_active
    will_hold_seat = new_values.get("has_premium_license", locked.has_premium_license) and (
        new_values.get("is_active", locked.is_active)
    )
    if will_hold_seat and not holds_seat:  # licensing, or reactivating a licensed person
        Tenant.objects.select_for_update().get(pk=locked.tenant_id)
        _require_premium_seat(locked.tenant, excluding=locked)
    for field, value in new_values.items():
        setattr(locked, field, value)
    locked.save(update_fields=list(new_values))
    record_audit(
        tenant=locked.tenant, actor=acting_user, action="user.updated", target=locked, data=diff
    )
    if "is_active" in diff and not locked.is_active:
        from groups.actions import cancel_pending_requests_of  # groups builds on tenants

        cancel_pending_requests_of(locked, acting_user=acting_user)
    return locked


@transaction.atomic
def update_general_settings(
    tenant: Tenant,
    *,
    acting_user: User | None,
    selected_owner_assigners: list[User] | None = None,
    **new_values: Any,
) -> GeneralSettings:
    """Change the tenant's General settings; takes effect on the very next request."""
    unknown = set(new_values) - set(GeneralSettings.FIELDS)
    if unknown:
        raise DomainError(f"Unknown settings: {', '.join(sorted(unknown))}.")
    require_administer(acting_user, tenant)
    settings = GeneralSettings.objects.select_for_update().get(tenant=tenant)
    choice = new_values.get("owners_who_can_assign_owners", settings.owners_who_can_assign_owners)
    if choice not in GeneralSettings.OwnerAssigners.values:
        raise DomainError(
            f"{choice!r} is not a choice for Owners who can assign members as group owners.",
            field="owners_who_can_assign_owners",
        )
    before: dict[str, Any] = {field: getattr(settings, field) for field in new_values}
    after: dict[str, Any] = dict(new_values)
    if selected_owner_assigners is not None:
        if any(person.tenant_id != tenant.pk for person in selected_owner_assigners):
            raise DomainError(
                "Only people of this tenant can be selected.", field="selected_owner_assigners"
            )
        before["selected_owner_assigners"] = sorted(
            settings.selected_owner_assigners.values_list("email", flat=True)
        )
        after["selected_owner_assigners"] = sorted(p.email for p in selected_owner_assigners)
    diff = changes(before, after)
    if not diff:
        return settings
    for field, value in new_values.items():
        setattr(settings, field, value)
    settings.save()
    if selected_owner_assigners is not None:
        settings.selected_owner_assigners.set(selected_owner_assigners)
    record_audit(
        tenant=tenant, actor=acting_user, action="settings.updated", target=settings, data=diff
    )
    return settings
