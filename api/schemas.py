"""The API's JSON shapes (docs/api.md): camelCase in and out, generated into the OpenAPI schema.

Output schemas read Django objects (`from_attributes`); input schemas only validate types and
shapes: every rule is the actions' and the policy's, raised as refusals (api/errors.py).
"""

from datetime import datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import ConfigDict, Field, create_model
from pydantic.alias_generators import to_camel


class CamelSchema(Schema):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class CamelBody(CamelSchema):
    """A request body: a field it doesn't know is refused (422), so a typo never silently
    does nothing; values aren't coerced (`true` isn't an id, `"yes"` or 1 isn't a boolean)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Error(Schema):
    code: str
    message: str
    field: str | None = None


class ErrorBody(Schema):
    """Every refusal: {"error": {"code", "message", "field"?}}."""

    error: Error


def page_of(item: type[Schema], name: str) -> type[Schema]:
    """A page of `item`s: the items, the total, this page and its size, and the next page's URL."""
    return create_model(
        name,
        __base__=CamelSchema,
        items=(list[item], ...),
        total=(int, ...),
        page=(int, ...),
        page_size=(int, ...),
        next=(str | None, None),
    )


# --- People ------------------------------------------------------------------------------------


class UserRef(CamelSchema):
    id: int
    email: str
    display_name: str


class TenantRef(CamelSchema):
    id: int
    name: str


class MeOut(CamelSchema):
    id: int
    email: str
    display_name: str
    role: str
    premium_license: bool = Field(validation_alias="has_premium_license")
    tenant: TenantRef


# A person is named by id or by email wherever the API takes one.
PersonKey = int | str


# --- Groups ------------------------------------------------------------------------------------


class GroupOut(CamelSchema):
    id: int
    display_name: str
    description: str
    group_type: str
    source: str
    membership_policy: str
    self_service: bool = Field(validation_alias="is_self_service")
    owners: list[UserRef]
    member_count: int
    created_at: datetime

    @staticmethod
    def resolve_owners(group) -> list:
        """The owners prefetched with the group (groups.selectors.with_owners)."""
        return [ownership.user for ownership in group.owner_list]


class GroupIn(CamelBody):
    display_name: str
    description: str = ""
    group_type: str
    membership_policy: str | None = None
    owners: list[PersonKey] = []


class GroupPatch(CamelBody):
    display_name: str | None = None
    description: str | None = None
    membership_policy: str | None = None


class MemberIn(CamelBody):
    """A person to add (`userId`, by id or email), or a security group to nest (`groupId`)."""

    user_id: PersonKey | None = None
    group_id: int | None = None


class OwnerIn(CamelBody):
    user_id: PersonKey


class MemberOut(CamelSchema):
    user: UserRef
    added_via: str
    created_at: datetime


class NestedGroupOut(CamelSchema):
    id: int
    display_name: str


class JoinIn(CamelBody):
    justification: str = ""


class GroupRef(CamelSchema):
    id: int
    display_name: str


class RequestOut(CamelSchema):
    id: int
    group: GroupRef
    requester: UserRef | None  # deleted from the directory since (the request is kept)
    justification: str
    status: str
    decided_by: UserRef | None
    decision_reason: str
    created_at: datetime
    decided_at: datetime | None


class DecisionIn(CamelBody):
    reason: str = ""


# --- General settings (snake_case keys, as the settings are named) ---------------------------


class SettingsOut(Schema):
    owners_can_manage_requests: bool
    restrict_access_to_groups: bool
    users_can_create_security_groups: bool
    users_can_create_microsoft365_groups: bool
    owners_who_can_assign_owners: Literal["all", "selected"]
    selected_owner_assigners: list[str]


class SettingsPatch(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    owners_can_manage_requests: bool | None = None
    restrict_access_to_groups: bool | None = None
    users_can_create_security_groups: bool | None = None
    users_can_create_microsoft365_groups: bool | None = None
    owners_who_can_assign_owners: Literal["all", "selected"] | None = None
    selected_owner_assigners: list[str] | None = None


# --- Applications ------------------------------------------------------------------------------


class ProvisioningOut(CamelSchema):
    """Where the application's accounts are provisioned; the token is never shown."""

    scim_url: str
    enabled: bool
    has_token: bool


class ApplicationOut(CamelSchema):
    id: int
    name: str
    kind: str
    description: str
    owners: list[UserRef]
    created_at: datetime
    provisioning: ProvisioningOut | None = Field(
        None, description="Global admins only (null for owners, and before it is set up)."
    )

    @staticmethod
    def resolve_owners(application) -> list:
        return [ownership.user for ownership in application.owner_list]

    @staticmethod
    def resolve_provisioning(application) -> dict | None:
        """What the endpoint chose to show (api/endpoints/applications.py), not the model's
        own `provisioning` relation, which holds the sealed token."""
        return getattr(application, "provisioning_shown", None)


class ApplicationIn(CamelBody):
    name: str
    kind: Literal["saas_app", "site"]
    description: str = ""
    owners: list[PersonKey] = []


class ProvisioningIn(CamelBody):
    """Leave a field out to keep it; the token is write-only (blank keeps the stored one)."""

    scim_url: str | None = None
    token: str | None = None
    enabled: bool | None = None


class ApplicationPatch(CamelBody):
    name: str | None = None
    kind: Literal["saas_app", "site"] | None = None
    description: str | None = None
    provisioning: ProvisioningIn | None = Field(None, description="Global admins only.")


class ProvisioningAttemptOut(CamelSchema):
    id: int
    at: datetime
    user: UserRef | None
    user_label: str = Field(validation_alias="person_label")
    operation: str
    outcome: str
    http_status: int | None
    error: str
    trigger: str


class AssignmentOut(CamelSchema):
    id: int
    principal_type: str
    principal_id: int
    principal_name: str
    created_at: datetime


class AssignmentIn(CamelBody):
    principal_type: Literal["user", "group", "application"]
    principal_id: int | str  # a person may be named by email


class StepOut(CamelSchema):
    type: str  # group, application or direct
    id: int | None
    name: str


class AccessOut(CamelSchema):
    user: UserRef
    paths: list[list[StepOut]]
    blocked: bool
    block_reason: str


class ApplicationRef(CamelSchema):
    id: int
    name: str
    kind: str


class MyAccessOut(CamelSchema):
    application: ApplicationRef
    paths: list[list[StepOut]]


class BlockIn(CamelBody):
    user_id: PersonKey
    reason: str


def steps(paths: list[list[Any]]) -> list[list[dict]]:
    """access.Step paths as the API shows them."""
    return [[{"type": s.kind, "id": s.id, "name": s.name} for s in path] for path in paths]
