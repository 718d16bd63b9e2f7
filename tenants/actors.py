"""Who acts, and through which surface. Every action takes an actor (docs/actors.md).

An actor is a person (signed in, or through one of their API tokens: the token acts with that
person's rights), a tenant's SCIM client, or the system (jobs such as expiry and provisioning,
and operator commands). The policy decides per kind of actor; the audit log stores the kind,
the surface and a label that stays readable after the person or token is gone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import models

if TYPE_CHECKING:
    from tenants.models import User


class ActorKind(models.TextChoices):
    PERSON = "person", "Person"
    API_TOKEN = "api_token", "API token"
    SCIM_CLIENT = "scim_client", "SCIM client"
    SYSTEM = "system", "System"


class Surface(models.TextChoices):
    PANEL = "panel", "Panel"
    ADMIN_CENTER = "admin_center", "Admin center"
    DJANGO_ADMIN = "django_admin", "Django admin"
    API = "api", "API"
    SCIM = "scim", "SCIM"
    CLI = "cli", "CLI"
    SYSTEM = "system", "System"
    EMAIL = "email", "Email link"


@dataclass(frozen=True)
class Actor:
    """One actor. Build it with the class methods; `user` is set for people and their tokens."""

    kind: str
    surface: str
    label: str
    user: User | None = None
    scope_tenant_id: int | None = None  # a SCIM client's or a job's tenant (None: every tenant)
    credential_id: int | None = None  # the API token or SCIM client that acted

    @classmethod
    def person(cls, user: User, surface: str = Surface.PANEL) -> Actor:
        return cls(kind=ActorKind.PERSON, surface=surface, label=str(user), user=user)

    @classmethod
    def api_token(cls, user: User, *, token_id: int, token_name: str) -> Actor:
        return cls(
            kind=ActorKind.API_TOKEN,
            surface=Surface.API,
            label=f"{user} (API token “{token_name}”)",
            user=user,
            credential_id=token_id,
        )

    @classmethod
    def scim_client(cls, *, tenant_id: int, client_id: int, name: str) -> Actor:
        return cls(
            kind=ActorKind.SCIM_CLIENT,
            surface=Surface.SCIM,
            label=f"SCIM client “{name}”",
            scope_tenant_id=tenant_id,
            credential_id=client_id,
        )

    @classmethod
    def system(cls, job: str, *, tenant_id: int | None = None, surface: str = Surface.SYSTEM):
        """A job of the product (expiry, provisioning, housekeeping) or an operator command.

        Without `tenant_id` it may act in every tenant, as the deployment's operator does.
        """
        return cls(
            kind=ActorKind.SYSTEM,
            surface=surface,
            label=f"System: {job}",
            scope_tenant_id=tenant_id,
        )

    @classmethod
    def command_line(cls, command: str) -> Actor:
        """An operator command (`manage.py …`): the deployment's operator, every tenant."""
        return cls.system(f"manage.py {command}", surface=Surface.CLI)

    @property
    def is_person(self) -> bool:
        """A person, signed in or through their API token: acts with that person's rights."""
        return self.user is not None

    @property
    def tenant_id(self) -> int | None:
        """The tenant this actor belongs to (None: the operator, who may act in every tenant)."""
        if self.user is not None:
            return self.user.tenant_id
        return self.scope_tenant_id

    @property
    def is_operator(self) -> bool:
        """The deployment's operator: a superuser, or the system without a tenant."""
        if self.user is not None:
            return self.user.is_superuser
        return self.scope_tenant_id is None

    @property
    def administers_tenant(self) -> bool:
        """Global admins, SCIM clients and the system are never limited by General settings."""
        if self.user is not None:
            return self.user.is_global_admin
        return True


def as_actor(actor: Actor | User, surface: str = Surface.PANEL) -> Actor:
    """Actions accept a bare User as shorthand for that person acting in the panel."""
    return actor if isinstance(actor, Actor) else Actor.person(actor, surface)
