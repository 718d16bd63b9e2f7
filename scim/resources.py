"""The SCIM resources this service publishes, and how they map to people and groups.

Only the attributes the directory really keeps are published (docs/scim.md), so a client
reading /Schemas knows what round-trips: a User is userName, emails (the one address they
sign in with), displayName, active, externalId and its groups (read-only); a Group is
displayName, externalId and members (people, and nested security groups). Attributes of the
standard schemas we don't keep are accepted and ignored, as RFC 7644 §3.3 allows.
"""

import re
from typing import Annotated, Any

from scim2_models import (
    URN,
    ComplexAttribute,
    GroupMember,
    Meta,
    Mutability,
    Required,
    Resource,
    ResourceType,
    ScimProvider,
    ServiceProviderConfig,
    Uniqueness,
)
from scim2_models.resources.service_provider_config import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    ETag,
    Filter,
    Patch,
    Sort,
)
from scim2_models.resources.user import GroupMembership

from groups import models as groups
from tenants import models as tenants

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
MAX_RESULTS = 200


class Email(ComplexAttribute):
    """The address a person signs in with (the directory keeps one per person).

    Any address the directory accepts, including reserved domains such as .test and .local,
    which scim2-models' own Email (pydantic's EmailStr) refuses.
    """

    value: Annotated[str | None, Required.true] = None
    """The email address."""

    display: Annotated[str | None, Mutability.read_only] = None
    """The person's display name (read-only: set displayName)."""

    type: Annotated[str | None, Mutability.read_only] = None
    """Always 'work': the directory keeps one address per person, of no other type."""

    primary: bool | None = None
    """True for the address the person signs in with."""


class Member(GroupMember):
    """A person or nested group of a Group; `display` is its name, read from the directory."""

    display: Annotated[str | None, Mutability.read_only] = None
    """The member's display name (read-only: it is the person's or group's own)."""


class User(Resource[Any]):
    """A person of the directory."""

    __schema__ = URN(USER_SCHEMA)

    user_name: Annotated[str | None, Uniqueness.server, Required.true] = None
    """The identity provider's name for the person, unique in the organisation: their email
    address unless the provider says otherwise (docs/scim.md)."""

    display_name: str | None = None
    """The name shown for the person."""

    active: bool | None = None
    """False for a deactivated person (they can't sign in and have no access)."""

    emails: Annotated[list[Email] | None, Required.true] = None
    """The address the person signs in with (one; a userName that isn't an address needs it)."""

    groups: Annotated[list[GroupMembership] | None, Mutability.read_only] = None
    """The groups the person is a member of."""


class Group(Resource[Any]):
    """A group of the directory (created through SCIM: a security group, source `api`)."""

    __schema__ = URN(GROUP_SCHEMA)

    display_name: Annotated[str | None, Required.true] = None
    """The group's name, unique in the organisation."""

    members: list[Member] | None = None
    """Its members: people (type User) and nested security groups (type Group)."""


# scim2-models publishes a class's name as its schema's name, which RFC 7643 calls User and
# Group; the rest of the app says ScimUser and ScimGroup, apart from the directory's models.
ScimUser, ScimGroup = User, Group

CONFIG = ServiceProviderConfig(
    documentation_uri=None,
    patch=Patch(supported=True),
    bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
    filter=Filter(supported=True, max_results=MAX_RESULTS),
    change_password=ChangePassword(supported=False),
    sort=Sort(supported=True),
    etag=ETag(supported=False),
    authentication_schemes=[
        AuthenticationScheme(
            type="oauthbearertoken",
            name="Bearer token",
            description="A SCIM token of the organisation, created in the Admin center.",
            primary=True,
        )
    ],
)

PROVIDER = ScimProvider(
    models=[User, Group],
    resource_types=[
        ResourceType(
            id="User",
            name="User",
            endpoint="/Users",
            description="People of the directory",
            schema_=URN(USER_SCHEMA),
        ),
        ResourceType(
            id="Group",
            name="Group",
            endpoint="/Groups",
            description="Groups of the directory",
            schema_=URN(GROUP_SCHEMA),
        ),
    ],
    config=CONFIG,
)


def user_resource(
    person: tenants.User, base_url: str, memberships: list[groups.Group] | None = None
) -> User:
    return User(
        id=str(person.pk),
        external_id=person.external_id or None,
        user_name=person.scim_user_name or person.email,
        display_name=person.display_name,
        active=person.is_active,
        emails=[Email(value=person.email, type="work", primary=True)],
        groups=[
            GroupMembership(
                value=str(group.pk),
                display=group.display_name,
                ref=f"{base_url}/Groups/{group.pk}",
                type="direct",
            )
            for group in memberships or []
        ]
        or None,
        meta=Meta(
            resource_type="User",
            created=person.date_joined,
            last_modified=person.date_joined,
            location=f"{base_url}/Users/{person.pk}",
        ),
    )


def group_resource(
    group: groups.Group, base_url: str, members: list[tenants.User], nested: list[groups.Group]
) -> Group:
    return Group(
        id=str(group.pk),
        external_id=group.external_id or None,
        display_name=group.display_name,
        members=[
            Member(
                value=str(person.pk),
                display=person.display_name,
                ref=f"{base_url}/Users/{person.pk}",
                type="User",
            )
            for person in members
        ]
        + [
            Member(
                value=str(child.pk),
                display=child.display_name,
                ref=f"{base_url}/Groups/{child.pk}",
                type="Group",
            )
            for child in nested
        ]
        or None,
        meta=Meta(
            resource_type="Group",
            created=group.created_at,
            last_modified=group.updated_at,
            location=f"{base_url}/Groups/{group.pk}",
        ),
    )


def published_attributes(model: type[Resource]) -> set[str]:
    """The top-level attributes `model` publishes, lower-cased."""
    allowed = {"schemas", "id", "externalid", "meta"}
    for name, field in model.model_fields.items():
        allowed.add(name.replace("_", "").lower())
        if field.alias:
            allowed.add(field.alias.lower())
    return allowed


def known_attributes(payload: Any, model: type[Resource]) -> Any:
    """The payload with only the attributes `model` publishes (case-insensitively), so that
    standard attributes and extensions we don't keep (name, phone numbers, the enterprise
    extension…) are ignored, not refused."""
    if not isinstance(payload, dict):
        return payload
    allowed = published_attributes(model)
    kept = {key: value for key, value in payload.items() if key.lower() in allowed}
    for key, schemas in kept.items():
        if key.lower() == "schemas" and isinstance(schemas, list):  # extensions we don't keep
            ours = str(model.__schema__).lower()
            kept[key] = [urn for urn in schemas if not isinstance(urn, str) or urn.lower() == ours]
    return kept


def is_kept_path(path: str, model: type[Resource]) -> bool:
    """Does a PATCH path name an attribute `model` publishes? `name.givenName`, `title`,
    `phoneNumbers[type eq "work"].value` or the enterprise extension's
    `urn:…:enterprise:2.0:User:department` don't: such operations are ignored (RFC 7644 §3.3)."""
    path = path.strip()
    schema = str(model.__schema__).lower()
    if path.lower().startswith("urn:"):
        if not path.lower().startswith(f"{schema}:"):
            return False  # another schema's attribute: an extension we don't keep
        path = path[len(schema) + 1 :]
    attribute = re.split(r"[.\[]", path, maxsplit=1)[0]
    return attribute.lower() in published_attributes(model)
