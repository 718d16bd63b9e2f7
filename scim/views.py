"""The SCIM 2.0 service provider: /scim/v2/ (RFC 7643 and 7644), for one tenant per token.

Requests are read and answers written with scim2-models; every change is an action taken by
the tenant's SCIM client (`Actor.scim_client`), so it obeys the same rules and lands in the
audit log and the outbox like any other. PUT and PATCH are applied to the resource as it is
now (scim2-models applies the PatchOp), then the difference is made with actions.
"""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.db import transaction
from django.db.models import F, QuerySet, Value
from django.db.models.functions import Coalesce, NullIf
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from pydantic import ValidationError
from scim2_models import Context, Error, ListResponse, PatchOp, ResponseParameters, SCIMException

from groups import actions as group_actions
from groups.models import Group, GroupNesting, GroupSource, GroupType, Membership
from scim import filters
from scim.models import ScimClient
from scim.resources import (
    MAX_RESULTS,
    PROVIDER,
    ScimGroup,
    ScimUser,
    group_resource,
    is_kept_path,
    known_attributes,
    user_resource,
)
from tenants import actions as tenant_actions
from tenants.actors import Actor
from tenants.errors import Conflict, Invalid, NotAllowed, NotFound, Refusal, Taken
from tenants.models import User
from tenants.secrets import matches, split
from tenants.text import MAX_ID, is_email, is_id, json_int, unstorable

CONTENT_TYPE = "application/scim+json"
LAST_USED_EVERY = 60  # seconds


class ScimError(Exception):
    def __init__(self, status: int, detail: str, scim_type: str | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.scim_type = status, detail, scim_type


def _respond(body, status: int = 200, headers: dict | None = None) -> HttpResponse:
    response = HttpResponse(
        json.dumps(body) if body is not None else b"", status=status, content_type=CONTENT_TYPE
    )
    for key, value in (headers or {}).items():
        response[key] = value
    return response


def _error(status: int, detail: str, scim_type: str | None = None) -> HttpResponse:
    error = Error(status=status, scim_type=scim_type, detail=detail)
    return _respond(error.model_dump(), status)


REFUSALS = {  # our refusal kinds as SCIM errors (the first that matches)
    NotAllowed: (403, None),
    NotFound: (404, None),
    Taken: (409, "uniqueness"),
    Conflict: (409, None),
    Invalid: (400, "invalidValue"),
}
# A taken value's own message may name it, and addresses are unique across tenants: SCIM says
# only which attribute is taken, so a token never learns of another tenant's people.
TAKEN_ATTRIBUTES = {
    "email": "emails",
    "user_name": "userName",
    "external_id": "externalId",
    "display_name": "displayName",
}


def _as_scim_error(error: Exception) -> HttpResponse:
    if isinstance(error, ScimError):
        return _error(error.status, error.detail, error.scim_type)
    if isinstance(error, SCIMException):
        return _respond(error.to_error().model_dump(), error.status)
    if isinstance(error, ValidationError):
        first = error.errors()[0] if error.errors() else {}
        detail = f"{'.'.join(map(str, first.get('loc', ())))}: {first.get('msg', 'invalid')}"
        return _error(400, detail.strip(": "), "invalidValue")
    if isinstance(error, Taken):
        return _taken(TAKEN_ATTRIBUTES.get(error.field or "", "A unique attribute"))
    for kind, (status, scim_type) in REFUSALS.items():
        if isinstance(error, kind):
            return _error(status, error.message, scim_type)
    raise error


def _taken(attribute: str) -> HttpResponse:
    return _error(409, f"{attribute} is already in use.", "uniqueness")


def scim_endpoint(*, authenticated: bool = True) -> Callable:
    """A SCIM view: bearer token (the tenant's SCIM client), SCIM errors, no session or CSRF."""

    def wrap(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            try:
                if authenticated:
                    request.scim_client = _authenticate(request)
                    request.actor = Actor.scim_client(
                        tenant_id=request.scim_client.tenant_id,
                        client_id=request.scim_client.pk,
                        name=request.scim_client.name,
                    )
                request.base_url = request.build_absolute_uri("/scim/v2").rstrip("/")
                request.query = request.GET  # a POST …/.search puts its body here

                return view(request, *args, **kwargs)
            except (ScimError, SCIMException, ValidationError, Refusal) as error:
                return _as_scim_error(error)

        wrapper.login_required = False
        return csrf_exempt(wrapper)

    return wrap


def _authenticate(request: HttpRequest) -> ScimClient:
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    parts = split(raw, "sc") if scheme.lower() == "bearer" else None
    client = None
    if parts is not None:
        client = ScimClient.objects.filter(prefix=parts[0], revoked_at__isnull=True).first()
    if client is None or not matches(parts[1], client.digest):
        raise ScimError(401, "A valid SCIM bearer token is required.")
    now = timezone.now()
    if client.last_used_at is None or (now - client.last_used_at).total_seconds() > LAST_USED_EVERY:
        ScimClient.objects.filter(pk=client.pk).update(last_used_at=now)
    return client


def _body(request: HttpRequest) -> dict:
    """The JSON object of the body, holding only what the database can store."""
    try:
        payload = json.loads(request.body or b"{}", parse_int=json_int)
    except (ValueError, UnicodeDecodeError):
        raise ScimError(400, "The body isn't valid JSON.", "invalidSyntax") from None
    except RecursionError:
        raise ScimError(400, "The body is nested too deeply.", "invalidSyntax") from None
    if not isinstance(payload, dict):
        raise ScimError(400, "The body must be a JSON object.", "invalidSyntax")
    found = unstorable(payload)
    if found:
        where, reason = found
        name = ".".join(str(part) for part in where) or "The body"
        raise ScimError(400, f"{name} {reason}.", "invalidValue")
    return payload


def _method(request: HttpRequest, allowed: tuple[str, ...]) -> None:
    if request.method not in allowed:
        raise ScimError(405, f"{request.method} isn't supported here.")


# --- Discovery ---------------------------------------------------------------------------------


def _located(resource, location: str) -> dict:
    body = resource.model_dump()
    body.setdefault("meta", {})["location"] = location
    return body


@scim_endpoint(authenticated=False)
def service_provider_config(request: HttpRequest) -> HttpResponse:
    _method(request, ("GET",))
    return _respond(_located(PROVIDER.config, f"{request.base_url}/ServiceProviderConfig"))


@scim_endpoint(authenticated=False)
def resource_types(request: HttpRequest, name: str | None = None) -> HttpResponse:
    _method(request, ("GET",))
    return _discovery(request, PROVIDER.resource_types, "ResourceTypes", name)


@scim_endpoint(authenticated=False)
def schemas(request: HttpRequest, name: str | None = None) -> HttpResponse:
    _method(request, ("GET",))
    return _discovery(request, PROVIDER.schemas, "Schemas", name)


def _discovery(request: HttpRequest, resources, endpoint: str, name: str | None) -> HttpResponse:
    if "filter" in request.GET:
        raise ScimError(403, f"/{endpoint} can't be filtered.")
    located = [_located(r, f"{request.base_url}/{endpoint}/{r.id}") for r in resources]
    if name is not None:
        for resource, body in zip(resources, located, strict=True):
            if resource.id == name:
                return _respond(body)
        raise ScimError(404, f"No {endpoint[:-1]} called {name!r}.")
    return _respond(
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
            "totalResults": len(located),
            "itemsPerPage": len(located),
            "startIndex": 1,
            "Resources": located,
        }
    )


def _response_parameters(request: HttpRequest, model) -> ResponseParameters:
    """`attributes` and `excludedAttributes` (RFC 7644 §3.9) for this resource type."""
    return ResponseParameters[model].model_validate(
        {
            "attributes": request.query.get("attributes") or None,
            "excludedAttributes": request.query.get("excludedAttributes") or None,
        }
    )


# --- Listing -----------------------------------------------------------------------------------

SEARCH_PARAMETERS = (
    "filter",
    "sortBy",
    "sortOrder",
    "startIndex",
    "count",
    "attributes",
    "excludedAttributes",
)


def _integer(request: HttpRequest, name: str, default: int, *, most: int) -> int:
    """A whole-number query parameter, clamped to 0…`most` (RFC 7644 §3.4.2.4 reads values
    out of range as the nearest one that means something)."""
    raw = request.query.get(name, "").strip()
    if not raw:
        return default
    if not re.fullmatch(r"[+-]?[0-9]+", raw):
        raise ScimError(400, f"{name} must be a whole number.", "invalidValue")
    value = int(raw) if len(raw) <= 20 else -1 if raw.startswith("-") else most
    return min(max(value, 0), most)


def _list(request: HttpRequest, kind: "Kind") -> HttpResponse:
    """A ListResponse: filtered, sorted, from startIndex (1-based), at most `count` items;
    a page costs the same few queries whatever its size (`kind.render`)."""
    found = kind.rows(request)
    if request.query.get("filter"):
        try:
            matching = found.filter(filters.to_q(request.query["filter"], kind.attributes))
        except filters.InvalidFilter as error:
            raise ScimError(400, str(error), "invalidFilter") from None
        found = found.filter(pk__in=matching.values("pk"))  # each row once, however joined
    sort_by = request.query.get("sortBy", "").lower()
    order = "pk"
    if sort_by:
        if sort_by not in kind.sortable:
            raise ScimError(400, f"Sorting by {sort_by!r} isn't supported.", "invalidValue")
        order = kind.sortable[sort_by]
    descending = request.query.get("sortOrder", "ascending").lower() == "descending"
    key = F(order) if isinstance(order, str) else order
    found = found.order_by(key.desc() if descending else key.asc(), "pk")
    start = max(_integer(request, "startIndex", 1, most=MAX_ID), 1)
    count = _integer(request, "count", MAX_RESULTS, most=MAX_RESULTS)
    total = found.count()
    page = list(found[start - 1 : start - 1 + count]) if count and start <= total else []
    response = ListResponse[kind.model](
        total_results=total,
        items_per_page=len(page),
        start_index=start,
        resources=kind.render(request, page),
    )
    return _respond(
        response.model_dump(
            scim_ctx=Context.RESOURCE_QUERY_RESPONSE,
            response_parameters=_response_parameters(request, kind.model),
        )
    )


def _resource_body(request: HttpRequest, kind: "Kind", row, status: int = 200) -> HttpResponse:
    """One resource, as created (201) or as it is now, with its Location."""
    [resource] = kind.render(request, [row])
    context = (
        Context.RESOURCE_CREATION_RESPONSE if status == 201 else Context.RESOURCE_QUERY_RESPONSE
    )
    body = resource.model_dump(
        scim_ctx=context, response_parameters=_response_parameters(request, kind.model)
    )
    return _respond(body, status, {"Location": resource.meta.location})


def _wants(request: HttpRequest, attribute: str) -> bool:
    """Does the answer include this attribute (`attributes`, `excludedAttributes`)?"""
    listed = {
        name: {part.strip().lower() for part in request.query.get(name, "").split(",")}
        for name in ("attributes", "excludedAttributes")
    }
    if attribute in listed["excludedAttributes"]:
        return False
    return not request.query.get("attributes") or attribute in listed["attributes"]


def _id(value: str | None) -> int:
    return int(value) if is_id(value or "") else -1


# --- Users -------------------------------------------------------------------------------------


def _people(request: HttpRequest) -> QuerySet:
    return User.objects.filter(tenant_id=request.scim_client.tenant_id)


def _render_users(
    request: HttpRequest, people: list[User], *, complete: bool = False
) -> list[ScimUser]:
    """People as Users, with their direct groups (one query for the whole page); `complete`
    ignores `attributes` and `excludedAttributes` (a PATCH works on the whole resource)."""
    groups: dict[int, list[Group]] = {person.pk: [] for person in people}
    if people and (complete or _wants(request, "groups")):
        joined = Membership.objects.filter(user__in=people).select_related("group")
        for membership in joined.order_by("group_id"):
            groups[membership.user_id].append(membership.group)
    return [user_resource(person, request.base_url, groups[person.pk]) for person in people]


def _wanted_user(request: HttpRequest, context: Context) -> ScimUser:
    """The User a POST or PUT body describes. Our schema requires `emails` (the address the
    person signs in with); a body without it whose userName is an address stands for it."""
    payload = known_attributes(_body(request), ScimUser)
    keys = {key.lower(): key for key in payload}
    user_name = payload.get(keys.get("username", ""))
    if (
        not payload.get(keys.get("emails", ""))
        and isinstance(user_name, str)
        and is_email(user_name.strip())
    ):
        payload[keys.get("emails", "emails")] = [{"value": user_name.strip(), "primary": True}]
    return ScimUser.model_validate(payload, scim_ctx=context)


def _address(wanted: ScimUser, current: str | None) -> str:
    """The address the person signs in with: the primary (else work, else first) of `emails`;
    without emails, userName when it is an address; else the one they have."""
    listed = [email for email in wanted.emails or [] if email.value]
    chosen = (
        next((email for email in listed if email.primary), None)
        or next((email for email in listed if (email.type or "").lower() == "work"), None)
        or next(iter(listed), None)
    )
    user_name = (wanted.user_name or "").strip()
    address = chosen.value.strip() if chosen else user_name if is_email(user_name) else current
    if not address:
        raise ScimError(
            400,
            "A User needs an email address to sign in with: give emails, or a userName that "
            "is an address.",
            "invalidValue",
        )
    if not is_email(address):
        raise ScimError(400, f"{address!r} isn't an email address.", "invalidValue")
    return address


def _create_user(request: HttpRequest, wanted: ScimUser) -> User:
    user_name = (wanted.user_name or "").strip()
    if not user_name:
        raise ScimError(400, "userName is required.", "invalidValue")
    email = _address(wanted, None)
    tenant = request.scim_client.tenant
    if tenant_actions.user_named(tenant.pk, user_name).exists():
        raise Taken("userName is taken.", field="user_name")
    if User.objects.filter(email__iexact=email).exists():  # in any tenant: addresses sign in
        raise Taken("The address is taken.", field="email")
    person = tenant_actions.create_user(
        email, tenant=tenant, actor=request.actor, display_name=wanted.display_name or ""
    )
    changes = {"scim_user_name": user_name}
    if wanted.external_id:
        changes["external_id"] = wanted.external_id
    if wanted.active is False:
        changes["is_active"] = False
    return tenant_actions.update_user(person, actor=request.actor, **changes)


def _current_user(request: HttpRequest, person: User, operations: list | None) -> ScimUser:
    [current] = _render_users(request, [person], complete=True)
    return current


def _apply_user(request: HttpRequest, person: User, wanted: ScimUser, current: ScimUser) -> User:
    """Make the person what the resource says (only what changed, each through its action);
    what changed is read from the person, so `current` isn't needed."""
    email = _address(wanted, person.email)
    if email.lower() != person.email:
        person = tenant_actions.change_email(person, new_email=email, actor=request.actor)
    values = {}
    user_name = (wanted.user_name or "").strip()
    if user_name and user_name != (person.scim_user_name or person.email):
        values["scim_user_name"] = user_name
    if wanted.display_name is not None and wanted.display_name != person.display_name:
        values["display_name"] = wanted.display_name
    if (wanted.external_id or "") != person.external_id:
        values["external_id"] = wanted.external_id or ""
    if wanted.active is not None and wanted.active != person.is_active:
        values["is_active"] = wanted.active
    return tenant_actions.update_user(person, actor=request.actor, **values) if values else person


# --- Groups ------------------------------------------------------------------------------------


def _groups(request: HttpRequest) -> QuerySet:
    return Group.objects.filter(tenant_id=request.scim_client.tenant_id)


def _render_groups(
    request: HttpRequest,
    found: list[Group],
    *,
    complete: bool = False,
    only: set[int] | None = None,
) -> list[ScimGroup]:
    """Groups with their members, people and nested groups (two queries for the whole page;
    none when the answer leaves `members` out, as identity providers do for big groups);
    `complete` ignores `attributes` and `excludedAttributes`; `only` lists just those of
    these ids (a PATCH that names its members needn't read the others)."""
    people: dict[int, list[User]] = {group.pk: [] for group in found}
    nested: dict[int, list[Group]] = {group.pk: [] for group in found}
    if found and (complete or _wants(request, "members")):
        memberships = Membership.objects.filter(group__in=found).select_related("user")
        nestings = GroupNesting.objects.filter(parent__in=found).select_related("child")
        if only is not None:
            memberships = memberships.filter(user_id__in=only)
            nestings = nestings.filter(child_id__in=only)
        for membership in memberships:
            people[membership.group_id].append(membership.user)
        for nesting in nestings:
            nested[nesting.parent_id].append(nesting.child)
    return [
        group_resource(group, request.base_url, people[group.pk], nested[group.pk])
        for group in found
    ]


def _group(request: HttpRequest, pk: str) -> Group:
    return _find(request, GROUPS, pk)


def _wanted_group(request: HttpRequest, context: Context) -> ScimGroup:
    return ScimGroup.model_validate(known_attributes(_body(request), ScimGroup), scim_ctx=context)


def _create_group(request: HttpRequest, wanted: ScimGroup) -> Group:
    """A security group with source `api` (the API's creation defaults), then its members."""
    group = group_actions.create_group(
        actor=request.actor,
        display_name=wanted.display_name or "",
        group_type=GroupType.SECURITY,
        source=GroupSource.API,
    )
    return _apply_group(request, group, wanted, ScimGroup())


def _current_group(request: HttpRequest, group: Group, operations: list | None) -> ScimGroup:
    """The group as a PATCH's operations see it: with only the members they name when they
    name each one they change (so a PATCH of a 50,000-member group reads a handful), else
    complete."""
    named = _named_members(operations) if operations is not None else None
    only = {_id(value) for value in named} if named is not None else None
    [current] = _render_groups(request, [group], complete=True, only=only)
    return current


MEMBER_FILTER = re.compile(r'members\[\s*value\s+eq\s+"([^"]*)"\s*\]', re.IGNORECASE)


def _named_members(operations: list) -> set[str] | None:
    """The member ids a group PATCH names (`add` to members with values, `remove`
    `members[value eq "…"]`); None when an operation touches members as a whole (replace
    them, remove them all, or filter them otherwise)."""
    named: set[str] = set()
    for operation in operations:
        op, path, value = _operation_parts(operation)
        if path is None and isinstance(value, dict):
            members = {k.lower(): v for k, v in value.items()}.get("members")
            if members is None:
                continue
            path, value = "members", members
        path = (path or "").strip()
        if path.lower() == "members" and op == "add" and isinstance(value, list):
            named |= {str(member.get("value")) for member in value if isinstance(member, dict)}
        elif MEMBER_FILTER.fullmatch(path) and op == "remove":
            named.add(MEMBER_FILTER.fullmatch(path).group(1))
        elif path.lower().startswith("members"):
            return None
    return named


def _operation_parts(operation) -> tuple[str, str | None, object]:
    """(op lower-cased, path, value) of a PatchOp operation, whatever the keys' case."""
    if not isinstance(operation, dict):
        return "", None, None
    keys = {key.lower(): key for key in operation}
    op = operation.get(keys.get("op", ""))
    path = operation.get(keys.get("path", ""))
    return (
        op.lower() if isinstance(op, str) else "",
        path if isinstance(path, str) else None,
        operation.get(keys.get("value", "")),
    )


def _apply_group(
    request: HttpRequest, group: Group, wanted: ScimGroup, current: ScimGroup
) -> Group:
    """Make the group what the resource says: name, external id and members (people and
    nested groups), each change through its action; `current` is the group as `wanted`
    was made from (members compared are those it holds). Members are read in bulk."""
    values = {}
    if wanted.display_name and wanted.display_name != group.display_name:
        values["display_name"] = wanted.display_name
    if (wanted.external_id or "") != group.external_id:
        values["external_id"] = wanted.external_id or ""
    if values:
        group = group_actions.update_group(group, actor=request.actor, **values)
    have = {(member.type or "User", member.value) for member in current.members or []}
    want = _members_wanted(request, wanted.members or [])
    people_to_add = _people_named(request, [value for kind, value in want - have if kind == "User"])
    if people_to_add:
        result = group_actions.add_members(group, actor=request.actor, people=people_to_add)
        if result.refused:
            raise Invalid(f"{result.refused[0][0].email}: {result.refused[0][1]}")
    people_to_remove = [value for kind, value in have - want if kind == "User"]
    if people_to_remove:
        group_actions.remove_members(
            group, actor=request.actor, people=_people_named(request, people_to_remove)
        )
    for kind, value in sorted(have - want):
        if kind == "Group":
            group_actions.unnest_group(group, actor=request.actor, child=_group(request, value))
    for kind, value in sorted(want - have):
        if kind == "Group":
            group_actions.nest_group(group, actor=request.actor, child=_group(request, value))
    return group


def _members_wanted(request: HttpRequest, members: list) -> set[tuple[str, str]]:
    """(type, id) of each member: its type as given; else a person of that id, or failing
    that a group (two queries for all the untyped ones)."""
    if any(not member.value for member in members):
        raise ScimError(
            400, "Each member needs a value: the id of a User or Group.", "invalidValue"
        )
    untyped = {_id(member.value) for member in members if member.type not in ("User", "Group")}
    groups_only: set[int] = set()
    if untyped:
        people = set(_people(request).filter(pk__in=untyped).values_list("pk", flat=True))
        groups_only = set(
            _groups(request).filter(pk__in=untyped - people).values_list("pk", flat=True)
        )
    return {
        (
            member.type
            if member.type in ("User", "Group")
            else "Group"
            if _id(member.value) in groups_only
            else "User",
            member.value,
        )
        for member in members
    }


def _people_named(request: HttpRequest, ids: list[str]) -> list[User]:
    """The tenant's people with these ids (one query); 404 naming the first unknown one."""
    found = {str(person.pk): person for person in _people(request).filter(pk__in=map(_id, ids))}
    for value in ids:
        if value not in found:
            raise ScimError(404, f"No User {value!r}.")
    return [found[value] for value in ids]


# --- The views: one set for Users and Groups --------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """What differs between /Users and /Groups; the views below serve both."""

    name: str
    model: type
    rows: Callable[[HttpRequest], QuerySet]  # the tenant's rows
    render: Callable  # (request, rows, complete=…) → resources, in a fixed number of queries
    wanted: Callable  # (request, context) → the resource a POST or PUT body describes
    create: Callable  # (request, resource) → the new row, through actions
    current: Callable  # (request, row, PATCH operations or None) → the row as a resource
    apply: Callable  # (request, row, wanted, current) → the row made what `wanted` says
    delete: Callable  # (row, actor=…)
    attributes: dict[str, filters.Attribute]  # what `filter` may name
    sortable: dict  # what `sortBy` may name → an ORM field or expression
    kept: dict[str, str]  # attributes every row has: a PATCH can't remove them


USERS = Kind(
    name="User",
    model=ScimUser,
    rows=_people,
    render=_render_users,
    wanted=_wanted_user,
    create=_create_user,
    current=_current_user,
    apply=_apply_user,
    delete=tenant_actions.delete_user,
    attributes=filters.USER_ATTRIBUTES,
    sortable={
        "username": Coalesce(NullIf("scim_user_name", Value("")), "email"),
        "emails.value": "email",
        "displayname": "display_name",
        "id": "pk",
        "externalid": "external_id",
        "meta.created": "date_joined",
    },
    kept={
        "user_name": "userName",
        "emails": "emails",
        "display_name": "displayName",
        "active": "active",
    },
)
GROUPS = Kind(
    name="Group",
    model=ScimGroup,
    rows=_groups,
    render=_render_groups,
    wanted=_wanted_group,
    create=_create_group,
    current=_current_group,
    apply=_apply_group,
    delete=group_actions.delete_group,
    attributes=filters.GROUP_ATTRIBUTES,
    sortable={
        "displayname": "display_name",
        "id": "pk",
        "externalid": "external_id",
        "meta.created": "created_at",
        "meta.lastmodified": "updated_at",
    },
    kept={"display_name": "displayName"},
)


def _find(request: HttpRequest, kind: Kind, pk: str):
    found = kind.rows(request).filter(pk=_id(pk)).first()
    if found is None:
        raise ScimError(404, f"No {kind.name} {pk!r}.")
    return found


def _patch_body(request: HttpRequest, model: type) -> dict:
    """The PatchOp body as scim2-models applies it, Entra ID's shapes included: a `remove` of
    `members` listing values becomes one `members[value eq "…"]` remove each, and operations
    on attributes we don't keep (`name.givenName`, `title`, `phoneNumbers`, the enterprise
    extension…) are dropped, as RFC 7644 §3.3 lets a provider ignore them."""
    body = _body(request)
    keys = {key.lower(): key for key in body}
    operations = body.get(keys.get("operations", ""))
    if not isinstance(operations, list):
        return body
    kept = []
    for operation in operations:
        op, path, value = _operation_parts(operation)
        if path is not None and not is_kept_path(path, model):
            continue
        if op == "remove" and (path or "").strip().lower() == "members" and value:
            if not isinstance(value, list) or not all(
                isinstance(member, dict) and member.get("value") for member in value
            ):
                raise ScimError(400, "Each member to remove needs a value: its id.", "invalidValue")
            kept += [
                {"op": "remove", "path": f"members[value eq {json.dumps(str(member['value']))}]"}
                for member in value
            ]
            continue
        if path is None and isinstance(value, dict):
            value = known_attributes(value, model)
            if not value:
                continue
        if not isinstance(operation, dict):
            kept.append(operation)  # scim2-models says what is wrong with it
            continue
        # Only what RFC 7644 defines: Entra ID also names its operations ("name": "addMember").
        rebuilt = {"op": op, "path": path, "value": value}
        kept.append({key: part for key, part in rebuilt.items() if part is not None})
    return {**{k: v for k, v in body.items() if k != keys["operations"]}, "Operations": kept}


def _refuse_removing(wanted, kept: dict[str, str]) -> None:
    for attribute, name in kept.items():
        if getattr(wanted, attribute) in (None, "", []):
            raise ScimError(
                400, f"{name} can't be removed: replace it with another value.", "mutability"
            )


def collection(kind: Kind) -> Callable:
    """GET /Users (a list) and POST /Users (create); the same for /Groups."""

    @scim_endpoint()
    def view(request: HttpRequest) -> HttpResponse:
        _method(request, ("GET", "POST"))
        if request.method == "GET":
            return _list(request, kind)
        wanted = kind.wanted(request, Context.RESOURCE_CREATION_REQUEST)
        with transaction.atomic():
            row = kind.create(request, wanted)
        return _resource_body(request, kind, row, 201)

    return view


def search(kind: Kind) -> Callable:
    """POST /Users/.search (RFC 7644 §3.4.3): the query parameters as a JSON body."""

    @scim_endpoint()
    def view(request: HttpRequest) -> HttpResponse:
        _method(request, ("POST",))
        body = {key.lower(): value for key, value in _body(request).items()}
        request.query = {}
        for name in SEARCH_PARAMETERS:
            value = body.get(name.lower())
            if isinstance(value, list):
                value = ",".join(str(item) for item in value)
            if value is not None:
                request.query[name] = str(value)
        return _list(request, kind)

    return view


def item(kind: Kind) -> Callable:
    """GET, PUT, PATCH and DELETE /Users/{id}; the same for /Groups/{id}. PUT and PATCH make
    the wanted resource (PATCH: scim2-models applies the PatchOp to the resource as it is now),
    then `kind.apply` makes the difference with actions."""

    @scim_endpoint()
    def view(request: HttpRequest, pk: str) -> HttpResponse:
        _method(request, ("GET", "PUT", "PATCH", "DELETE"))
        row = _find(request, kind, pk)
        if request.method == "GET":
            return _resource_body(request, kind, row)
        if request.method == "DELETE":
            kind.delete(row, actor=request.actor)
            return _respond(None, 204)
        with transaction.atomic():
            if request.method == "PUT":
                wanted = kind.wanted(request, Context.RESOURCE_REPLACEMENT_REQUEST)
                current = kind.current(request, row, None)
            else:
                body = _patch_body(request, kind.model)
                operations = body.get("Operations")
                current = kind.current(request, row, operations)
                wanted = current.model_copy(deep=True)
                if operations != []:  # [] when every operation named what we don't keep
                    PatchOp[kind.model].model_validate(
                        body, scim_ctx=Context.RESOURCE_PATCH_REQUEST
                    ).patch(wanted)
                _refuse_removing(wanted, kind.kept)
            row = kind.apply(request, row, wanted, current)
        return _resource_body(request, kind, row)

    return view


users, groups = collection(USERS), collection(GROUPS)
search_users, search_groups = search(USERS), search(GROUPS)
user, group = item(USERS), item(GROUPS)


@scim_endpoint()
def search_everything(request: HttpRequest) -> HttpResponse:
    raise ScimError(501, "Search Users and Groups apart: POST /Users/.search, /Groups/.search.")


@scim_endpoint(authenticated=False)
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    return _error(404, f"There is no /{rest} endpoint.")
