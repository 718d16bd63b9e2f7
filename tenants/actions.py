"""Every write to tenants, people and General settings: atomic, audited, announced.

Each takes an `actor` (tenants/actors.py; a bare User means that person in the panel) and
raises a Refusal (tenants/errors.py) that leaves nothing written.
"""

import copy
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from tenants.actors import Actor, as_actor
from tenants.errors import Conflict, Invalid, NotAllowed, Taken
from tenants.events import changes, prepare, record, record_update
from tenants.models import (
    MIN_GROUP_LIFETIME_DAYS,
    EventKind,
    GeneralSettings,
    LifecycleSettings,
    Tenant,
    User,
    sync_email_addresses,
)
from tenants.permissions import (
    OWN_STANDING,
    may_change_standing,
    require_administer,
    require_change_person,
)
from tenants.text import clean_text

EMAIL_MAX = User._meta.get_field("email").max_length  # 254, as RFC 5321 allows
DISPLAY_NAME_MAX = User._meta.get_field("display_name").max_length


def _clean_display_name(display_name: str | None) -> str:
    return clean_text(
        display_name,
        field="display_name",
        label="Display name",
        max_length=DISPLAY_NAME_MAX,
        required=False,
    )


def clean_email(email: str, *, field: str = "email") -> str:
    """A trimmed, lower-cased email address, or Invalid naming the field."""
    email = (email or "").strip().lower()
    if len(email) > EMAIL_MAX:
        raise Invalid(
            f"An email address can be at most {EMAIL_MAX} characters (this one has {len(email)}).",
            field=field,
        )
    try:
        validate_email(email)
    except ValidationError:
        raise Invalid(
            f"{email or 'An empty value'!s} is not a valid email address.", field=field
        ) from None
    return email


def _email_taken(email: str, *, field: str = "email") -> Taken:
    return Taken(f"A user with the email {email} already exists.", field=field)


@transaction.atomic
def create_tenant(
    name: str,
    *,
    admin_email: str,
    admin_password: str | None,
    admin_display_name: str = "",
    actor: Actor | User,
) -> Tenant:
    """A new tenant, its General settings (docs/settings.md) and its first global admin."""
    actor = as_actor(actor)
    if not actor.is_operator:
        raise NotAllowed("Only the operator can create tenants.")
    name = (name or "").strip()
    if not name:
        raise Invalid("A tenant needs a name.", field="name")
    if Tenant.objects.filter(name__iexact=name).exists():
        raise Taken(f"A tenant named {name!r} already exists.", field="name")
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
    record(
        EventKind.TENANT_CREATED,
        actor=actor,
        tenant_id=tenant.pk,
        target=tenant,
        data={"name": name, "first_admin": admin.email},
        payload={"first_admin_id": admin.pk},
    )
    return tenant


TENANT_EDITABLE_FIELDS = ("name", "premium_seats")


@transaction.atomic
def update_tenant(tenant: Tenant, *, actor: Actor | User, **new_values: Any) -> Tenant:
    """The operator renames a tenant or changes its number of Premium seats (Django admin).

    The seats can't go below the seats in use: the refusal gives the count.
    """
    actor = as_actor(actor)
    if not actor.is_operator:
        raise NotAllowed("Only the operator can change a tenant.")
    unknown = set(new_values) - set(TENANT_EDITABLE_FIELDS)
    if unknown:
        raise Invalid(f"These tenant fields can't be changed: {', '.join(sorted(unknown))}.")
    locked = Tenant.objects.select_for_update().get(pk=tenant.pk)  # as licensing does
    if "name" in new_values:
        new_values["name"] = (new_values["name"] or "").strip()
        if not new_values["name"]:
            raise Invalid("A tenant needs a name.", field="name")
        if Tenant.objects.filter(name__iexact=new_values["name"]).exclude(pk=locked.pk).exists():
            raise Taken(f"A tenant named {new_values['name']!r} already exists.", field="name")
    if "premium_seats" in new_values:
        seats = new_values["premium_seats"]
        if not isinstance(seats, int) or isinstance(seats, bool) or seats < 0:
            raise Invalid("Premium seats must be a whole number, 0 or more.", field="premium_seats")
        used = locked.premium_seat_holders().count()
        if seats < used:
            raise Conflict(
                f"{used} Premium seat{'s are' if used != 1 else ' is'} in use in {locked}: "
                f"the total can't be lower. Remove licenses first, or keep at least {used}.",
                field="premium_seats",
            )
    diff = changes({name: getattr(locked, name) for name in new_values}, new_values)
    if not diff:
        return locked
    for name, value in new_values.items():
        setattr(locked, name, value)
    locked.save(update_fields=list(new_values))
    record_update(
        EventKind.TENANT_UPDATED, actor=actor, tenant_id=locked.pk, target=locked, diff=diff
    )
    return locked


def _insert_user(
    *, tenant: Tenant, email: str, display_name: str, role: str, premium: bool, password: str | None
) -> User:
    email = clean_email(email)
    display_name = _clean_display_name(display_name)
    if role not in User.Role.values:
        raise Invalid(f"{role!r} is not a role (member or global_admin).", field="role")
    if User.objects.filter(email__iexact=email).exists():
        raise _email_taken(email)
    if premium:
        _require_premium_seat(tenant)
    user = User(
        tenant=tenant,
        email=email,
        display_name=display_name or email.split("@")[0],
        role=role,
        has_premium_license=premium,
    )
    user.set_password(password)  # None leaves an unusable password (SSO or reset by email).
    user.save()
    sync_email_addresses(user)
    return user


def _require_premium_seat(tenant: Tenant, *, excluding: User | None = None) -> None:
    holders = tenant.premium_seat_holders()
    if excluding is not None:
        holders = holders.exclude(pk=excluding.pk)
    if holders.count() >= tenant.premium_seats:
        raise Conflict(
            f"All {tenant.premium_seats} Premium seats of {tenant} are taken.",
            field="has_premium_license",
        )


@transaction.atomic
def create_user(
    email: str,
    *,
    tenant: Tenant,
    actor: Actor | User,
    display_name: str = "",
    role: str = User.Role.MEMBER,
    premium: bool = False,
    password: str | None = None,
) -> User:
    """A new person in the tenant's directory."""
    actor = as_actor(actor)
    if tenant is None:
        raise Invalid("Choose the user's tenant.", field="tenant")
    require_administer(actor, tenant)
    tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)  # serialise seat counting
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
        raise _email_taken(email) from None
    record(
        EventKind.USER_CREATED,
        actor=actor,
        tenant_id=tenant.pk,
        target=user,
        data={"email": user.email, "role": user.role, "premium": premium},
        payload={"user_id": user.pk},
    )
    return user


def clean_external_id(model, tenant_id: int, external_id: str | None, pk) -> str:
    """An identity provider's id for a person (or group): one per tenant, at most 255."""
    external_id = clean_text(
        external_id,
        field="external_id",
        label="The external id",
        max_length=255,
        required=False,
    )
    taken = model.objects.filter(tenant_id=tenant_id, external_id=external_id).exclude(pk=pk)
    if external_id and taken.exists():
        raise Taken(f"The external id {external_id!r} is already used.", field="external_id")
    return external_id


def user_named(tenant_id: int, scim_user_name: str):
    """The tenant's people whose SCIM userName is this: their own, or their email if none."""
    return User.objects.filter(tenant_id=tenant_id).filter(
        Q(scim_user_name__iexact=scim_user_name)
        | Q(scim_user_name="", email__iexact=scim_user_name)
    )


def _clean_scim_user_name(person: User, value: str | None) -> str:
    """Stored only when it differs from the person's email; unique in the tenant."""
    value = clean_text(value, field="user_name", label="userName", max_length=255, required=False)
    if value and user_named(person.tenant_id, value).exclude(pk=person.pk).exists():
        raise Taken(f"Someone else has the userName {value!r}.", field="user_name")
    return "" if value.lower() == person.email.lower() else value


USER_EDITABLE_FIELDS = (
    "display_name",
    "role",
    "has_premium_license",
    "is_active",
    "external_id",
    "scim_user_name",
)


@transaction.atomic
def update_user(user: User, *, actor: Actor | User, **new_values: Any) -> User:
    """Change a person's name, role, license or active flag (global admins of their tenant).

    Deactivation is announced as `user.deactivated`; groups cancels the person's pending
    requests in this same transaction (groups/apps.py).
    """
    actor = as_actor(actor)
    unknown = set(new_values) - set(USER_EDITABLE_FIELDS)
    if unknown:
        raise Invalid(f"These user fields can't be changed here: {', '.join(sorted(unknown))}.")
    if new_values.get("is_active") is False and user.is_active:
        require_administer(actor, user.tenant)
        prepare(EventKind.USER_DEACTIVATED, user)  # upper layers lock what they'll change
    # NO KEY UPDATE: rows that merely reference this user (a membership being approved right
    # now) don't wait for it, so deactivation can't deadlock with approvals.
    locked = (
        User.objects.select_for_update(no_key=True, of=("self",))
        .select_related("tenant")
        .get(pk=user.pk)
    )
    require_administer(actor, locked.tenant)
    if new_values.get("role", locked.role) not in User.Role.values:
        raise Invalid(f"{new_values['role']!r} is not a role.", field="role")
    if "external_id" in new_values:
        new_values["external_id"] = clean_external_id(
            User, locked.tenant_id, new_values["external_id"], locked.pk
        )
    if "scim_user_name" in new_values:
        new_values["scim_user_name"] = _clean_scim_user_name(locked, new_values["scim_user_name"])
    if "display_name" in new_values:
        new_values["display_name"] = _clean_display_name(new_values["display_name"]) or (
            locked.display_name
        )
    changes_own_standing = new_values.get("role", locked.role) != locked.role or not new_values.get(
        "is_active", True
    )
    if changes_own_standing and not may_change_standing(actor, locked):
        raise NotAllowed(OWN_STANDING)
    diff = changes({name: getattr(locked, name) for name in new_values}, new_values)
    if not diff:
        return locked
    require_change_person(actor, locked)
    if not new_values.get("is_active", True) or new_values.get("role", locked.role) != locked.role:
        _require_another_admin(locked)
    holds_seat = locked.has_premium_license and locked.is_active
    will_hold_seat = new_values.get("has_premium_license", locked.has_premium_license) and (
        new_values.get("is_active", locked.is_active)
    )
    if will_hold_seat and not holds_seat:  # licensing, or reactivating a licensed person
        Tenant.objects.select_for_update().get(pk=locked.tenant_id)
        _require_premium_seat(locked.tenant, excluding=locked)
    for name, value in new_values.items():
        setattr(locked, name, value)
    locked.save(update_fields=list(new_values))
    kind = EventKind.USER_UPDATED
    if "is_active" in diff:
        kind = EventKind.USER_REACTIVATED if locked.is_active else EventKind.USER_DEACTIVATED
    record_update(
        kind, actor=actor, tenant_id=locked.tenant_id, target=locked, diff=diff, user_id=locked.pk
    )
    return locked


def _require_another_admin(person: User) -> None:
    """A tenant always keeps an active global admin: the last one can't be deactivated,
    demoted or deleted (on every surface). The tenant's row lock serialises two admins
    stepping down at once."""
    if not (person.is_global_admin and person.is_active and person.tenant_id):
        return
    Tenant.objects.select_for_update().get(pk=person.tenant_id)
    others = User.objects.filter(
        tenant_id=person.tenant_id, role=User.Role.GLOBAL_ADMIN, is_active=True
    ).exclude(pk=person.pk)
    if not others.exists():
        raise Conflict(
            f"{person.display_name} is the last global admin of this organisation: make "
            "someone else a global admin first."
        )


@transaction.atomic
def change_email(user: User, *, new_email: str, actor: Actor | User) -> User:
    """Change the address a person signs in with (global admins of their tenant, the CLI).

    People can't change their own address (allauth's email management is switched off):
    addresses come from the directory. allauth's EmailAddress rows follow (one, primary,
    verified), so password reset mail goes to the new address only; outstanding reset links
    stop working (Django's reset tokens include the address).
    """
    actor = as_actor(actor)
    locked = (
        User.objects.select_for_update(no_key=True, of=("self",))
        .select_related("tenant")
        .get(pk=user.pk)
    )
    if locked.tenant is None:
        raise NotAllowed("The operator's address is changed with Django's own tools.")
    require_administer(actor, locked.tenant)
    new_email = clean_email(new_email)
    old_email = locked.email
    if new_email == old_email:
        return locked
    require_change_person(actor, locked)
    if User.objects.filter(email__iexact=new_email).exclude(pk=locked.pk).exists():
        raise _email_taken(new_email)
    if not locked.scim_user_name and (
        user_named(locked.tenant_id, new_email).exclude(pk=locked.pk).exists()
    ):  # their userName is their address: it must stay unique (SCIM)
        raise Taken(f"Someone else has the userName {new_email!r}.", field="email")
    locked.email = new_email
    try:
        with transaction.atomic():
            locked.save(update_fields=["email"])
            sync_email_addresses(locked)
    except IntegrityError:  # taken at the same moment elsewhere
        raise _email_taken(new_email) from None
    record_update(
        EventKind.USER_EMAIL_CHANGED,
        actor=actor,
        tenant_id=locked.tenant_id,
        target=locked,
        diff=changes({"email": old_email}, {"email": new_email}),
        user_id=locked.pk,
    )
    return locked


@transaction.atomic
def update_general_settings(
    tenant: Tenant,
    *,
    actor: Actor | User,
    selected_owner_assigners: list[User] | None = None,
    **new_values: Any,
) -> GeneralSettings:
    """Change the tenant's General settings; takes effect on the very next request."""
    actor = as_actor(actor)
    unknown = set(new_values) - set(GeneralSettings.FIELDS)
    if unknown:
        raise Invalid(f"Unknown settings: {', '.join(sorted(unknown))}.")
    require_administer(actor, tenant)
    settings = GeneralSettings.objects.select_for_update().get(tenant=tenant)
    choice = new_values.get("owners_who_can_assign_owners", settings.owners_who_can_assign_owners)
    if choice not in GeneralSettings.OwnerAssigners.values:
        raise Invalid(
            f"{choice!r} is not a choice for Owners who can assign members as group owners.",
            field="owners_who_can_assign_owners",
        )
    before: dict[str, Any] = {name: getattr(settings, name) for name in new_values}
    after: dict[str, Any] = dict(new_values)
    if selected_owner_assigners is not None:
        if any(person.tenant_id != tenant.pk for person in selected_owner_assigners):
            raise Invalid(
                "Only people of this tenant can be selected.", field="selected_owner_assigners"
            )
        before["selected_owner_assigners"] = sorted(
            settings.selected_owner_assigners.values_list("email", flat=True)
        )
        after["selected_owner_assigners"] = sorted(p.email for p in selected_owner_assigners)
    if choice == GeneralSettings.OwnerAssigners.SELECTED and not (
        selected_owner_assigners
        if selected_owner_assigners is not None
        else settings.selected_owner_assigners.exists()
    ):
        raise Invalid(
            "With “Selected”, name at least one person who may make someone a group owner.",
            field="selected_owner_assigners",
        )
    diff = changes(before, after)
    if not diff:
        return settings
    for name, value in new_values.items():
        setattr(settings, name, value)
    settings.save()
    if selected_owner_assigners is not None:
        settings.selected_owner_assigners.set(selected_owner_assigners)
    _record_settings(EventKind.SETTINGS_UPDATED, settings, tenant=tenant, actor=actor, diff=diff)
    return settings


def _record_settings(kind: str, settings, *, tenant: Tenant, actor: Actor, diff: dict) -> None:
    """A change of one of the tenant's settings rows, in the tenant's event order."""
    record_update(
        kind,
        actor=actor,
        tenant_id=tenant.pk,
        target=settings,
        diff=diff,
        aggregate=f"tenant:{tenant.pk}",
    )


MAX_DAYS = 3650


def _clean_days(value: Any, *, field: str, label: str, minimum: int, optional: bool) -> int | None:
    if value in (None, "") and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(f"{label} must be a whole number of days.", field=field)
    if not minimum <= value <= MAX_DAYS:
        raise Invalid(f"{label} must be between {minimum} and {MAX_DAYS:,} days.", field=field)
    return value


@transaction.atomic
def update_lifecycle_settings(
    tenant: Tenant, *, actor: Actor | User, **new_values: Any
) -> LifecycleSettings:
    """Change the tenant's reminders, escalation, request expiry and group expiration policy
    (docs/lifecycle.md); audited like the General settings. Which groups are "selected" is a
    groups change (groups.lifecycle.select_groups_for_expiration)."""
    actor = as_actor(actor)
    unknown = set(new_values) - set(LifecycleSettings.FIELDS)
    if unknown:
        raise Invalid(f"Unknown settings: {', '.join(sorted(unknown))}.")
    require_administer(actor, tenant)
    Tenant.objects.select_for_update(no_key=True).filter(pk=tenant.pk).first()
    settings, _ = LifecycleSettings.objects.get_or_create(tenant=tenant)
    labels = {name: LifecycleSettings._meta.get_field(name).verbose_name for name in new_values}
    for name in ("remind_after_days", "escalate_after_days", "expire_requests_after_days"):
        if name in new_values:
            new_values[name] = _clean_days(
                new_values[name],
                field=name,
                label=labels[name],
                minimum=1,
                optional=name == "expire_requests_after_days",
            )
    if "group_lifetime_days" in new_values:
        new_values["group_lifetime_days"] = _clean_days(
            new_values["group_lifetime_days"],
            field="group_lifetime_days",
            label=labels["group_lifetime_days"],
            minimum=MIN_GROUP_LIFETIME_DAYS,
            optional=False,
        )
    applies_to = new_values.get("group_expiration_applies_to")
    if applies_to is not None and applies_to not in LifecycleSettings.AppliesTo.values:
        raise Invalid(
            f"{applies_to!r} is not a choice: all, selected or none.",
            field="group_expiration_applies_to",
        )
    if new_values.get("ownerless_group_email"):
        new_values["ownerless_group_email"] = clean_email(
            new_values["ownerless_group_email"], field="ownerless_group_email"
        )
    diff = changes({name: getattr(settings, name) for name in new_values}, new_values)
    if not diff:
        return settings
    for name, value in new_values.items():
        setattr(settings, name, value)
    if "group_expiration_applies_to" in diff and applies_to != LifecycleSettings.AppliesTo.NONE:
        # Groups older than the lifetime don't expire at once: they get 30 days' warning.
        settings.group_expiration_since = timezone.now()
    settings.save()
    _record_settings(
        EventKind.LIFECYCLE_SETTINGS_UPDATED, settings, tenant=tenant, actor=actor, diff=diff
    )
    return settings


@transaction.atomic
def delete_user(user: User, *, actor: Actor | User) -> None:
    """Remove a person from the directory (an identity provider deleting them over SCIM).

    They are deactivated first, so everything that follows a deactivation happens (their
    requests are cancelled, their access revoked, each announced); then the row goes with its
    memberships. The audit log keeps who they were.
    """
    actor = as_actor(actor)
    require_administer(actor, user.tenant)
    if actor.user is not None and actor.user.pk == user.pk:
        raise NotAllowed(OWN_STANDING)
    require_change_person(actor, user)
    if user.is_active:
        user = update_user(user, actor=actor, is_active=False)
    prepare(EventKind.USER_DELETED, user)  # groups count down the memberships that go with it
    gone = copy.copy(user)
    user.delete()
    record(
        EventKind.USER_DELETED,
        actor=actor,
        tenant_id=gone.tenant_id,
        target=gone,
        data={"email": gone.email, "display_name": gone.display_name},
        payload={"user_id": gone.pk},
    )
