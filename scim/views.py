"""The SCIM 2.0 service provider: /scim/v2/ (RFC 7643 and 7644), for one tenant per token.

Requests are read and answers written with scim2-models; every change is an action taken by
the tenant's SCIM client (`Actor.scim_client`), so it obeys the same rules and lands in the
audit log and the outbox like any other. PUT and PATCH are applied to the resource as it is
now (scim2-models applies the PatchOp), then the difference is made with actions.
"""

import json
from collections.abc import Callable
from functools import wraps

from django.db import transaction
from django.db.models import QuerySet
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
    known_attributes,
    user_resource,
)
from tenants import actions as tenant_actions
from tenants.actors import Actor
from tenants.errors import Conflict, Invalid, NotAllowed, NotFound, Refusal
from tenants.models import User
from tenants.secrets import matches, split
from tenants.text import is_email

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


REFUSALS = {  # our refusal kinds as SCIM errors
    NotAllowed: (403, None),
    NotFound: (404, None),
    Conflict: (409, "uniqueness"),
    Invalid: (400, "invalidValue"),
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
    for kind, (status, scim_type) in REFUSALS.items():
        if isinstance(error, kind):
            if isinstance(error, Conflict) and "already" not in error.message:
                scim_type = "mutability"
            return _error(status, error.message, scim_type)
    raise error


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
    if client.last_used_at is None or (now - client.last_used_at).total_seconds() > 60:
        ScimClient.objects.filter(pk=client.pk).update(last_used_at=now)
    return client


def _body(request: HttpRequest) -> dict:
    try:
        payload = json.loads(request.body or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ScimError(400, "The body isn't valid JSON.", "invalidSyntax") from None
    if not isinstance(payload, dict):
        raise ScimError(400, "The body must be a JSON object.", "invalidSyntax")
    if "\x00" in json.dumps(payload):
        raise ScimError(400, "Text can't hold NUL characters.", "invalidValue")
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
            "attributes": request.GET.get("attributes") or None,
            "excludedAttributes": request.GET.get("excludedAttributes") or None,
        }
    )


# --- Listing -----------------------------------------------------------------------------------

SORTABLE = {
    ScimUser: {
        "username": "email",
        "displayname": "display_name",
        "id": "pk",
        "externalid": "external_id",
        "meta.created": "date_joined",
    },
    ScimGroup: {
        "displayname": "display_name",
        "id": "pk",
        "externalid": "external_id",
        "meta.created": "created_at",
        "meta.lastmodified": "updated_at",
    },
}


def _integer(request: HttpRequest, name: str, default: int) -> int:
    raw = request.GET.get(name, "")
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ScimError(400, f"{name} must be a number.", "invalidValue") from None


def _list(request, found: QuerySet, model, attributes, render) -> HttpResponse:
    """A ListResponse: filtered, sorted, from startIndex (1-based), at most `count` items."""
    if request.GET.get("filter"):
        try:
            found = found.filter(filters.to_q(request.GET["filter"], attributes)).distinct()
        except filters.InvalidFilter as error:
            raise ScimError(400, str(error), "invalidFilter") from None
    sort_by = request.GET.get("sortBy", "").lower()
    order = "pk"
    if sort_by:
        if sort_by not in SORTABLE[model]:
            raise ScimError(400, f"Sorting by {sort_by!r} isn't supported.", "invalidValue")
        order = SORTABLE[model][sort_by]
    descending = request.GET.get("sortOrder", "ascending").lower() == "descending"
    found = found.order_by(f"-{order}" if descending else order, "pk")
    start = max(_integer(request, "startIndex", 1), 1)
    count = min(max(_integer(request, "count", MAX_RESULTS), 0), MAX_RESULTS)
    total = found.count()
    page = list(found[start - 1 : start - 1 + count]) if count else []
    response = ListResponse[model](
        total_results=total,
        items_per_page=len(page),
        start_index=start,
        resources=[render(request, item) for item in page],
    )
    return _respond(
        response.model_dump(
            scim_ctx=Context.RESOURCE_QUERY_RESPONSE,
            response_parameters=_response_parameters(request, model),
        )
    )


# --- Users -------------------------------------------------------------------------------------


def _people(request: HttpRequest) -> QuerySet:
    return User.objects.filter(tenant_id=request.scim_client.tenant_id)


def _render_user(request: HttpRequest, person: User) -> ScimUser:
    groups = list(Group.objects.filter(memberships__user=person).order_by("pk"))
    return user_resource(person, request.base_url, groups)


def _resource_body(request: HttpRequest, resource, status: int = 200) -> HttpResponse:
    """One resource, as created (201) or as it is now, with its Location."""
    context = (
        Context.RESOURCE_CREATION_RESPONSE if status == 201 else Context.RESOURCE_QUERY_RESPONSE
    )
    body = resource.model_dump(
        scim_ctx=context, response_parameters=_response_parameters(request, type(resource))
    )
    return _respond(body, status, {"Location": resource.meta.location})


def _user_body(request: HttpRequest, person: User, status: int = 200) -> HttpResponse:
    return _resource_body(request, _render_user(request, person), status)


def _person(request: HttpRequest, pk: str) -> User:
    found = _people(request).filter(pk=int(pk)).first() if pk.isdigit() and len(pk) < 19 else None
    if found is None:
        raise ScimError(404, f"No User {pk!r}.")
    return found


@scim_endpoint()
def users(request: HttpRequest) -> HttpResponse:
    _method(request, ("GET", "POST"))
    if request.method == "GET":
        return _list(request, _people(request), ScimUser, filters.USER_ATTRIBUTES, _render_user)
    wanted = ScimUser.model_validate(
        known_attributes(_body(request), ScimUser), scim_ctx=Context.RESOURCE_CREATION_REQUEST
    )
    with transaction.atomic():
        person = _create_user(request, wanted)
    return _user_body(request, person, 201)


def _create_user(request: HttpRequest, wanted: ScimUser) -> User:
    email = (wanted.user_name or "").strip()
    if not is_email(email):
        raise ScimError(400, "userName must be the person's email address.", "invalidValue")
    tenant = request.scim_client.tenant
    if User.objects.filter(email__iexact=email).exists():
        raise ScimError(409, f"A user with userName {email!r} exists.", "uniqueness")
    person = tenant_actions.create_user(
        email, tenant=tenant, actor=request.actor, display_name=wanted.display_name or ""
    )
    changes = {}
    if wanted.external_id:
        changes["external_id"] = wanted.external_id
    if wanted.active is False:
        changes["is_active"] = False
    return tenant_actions.update_user(person, actor=request.actor, **changes) if changes else person


def _apply_user(request: HttpRequest, person: User, wanted: ScimUser) -> User:
    """Make the person what the resource says (only what changed, through update_user)."""
    if wanted.user_name and wanted.user_name.strip().lower() != person.email:
        person = tenant_actions.change_email(
            person, new_email=wanted.user_name.strip(), actor=request.actor
        )
    values = {}
    if wanted.display_name is not None and wanted.display_name != person.display_name:
        values["display_name"] = wanted.display_name
    if (wanted.external_id or "") != person.external_id:
        values["external_id"] = wanted.external_id or ""
    if wanted.active is not None and wanted.active != person.is_active:
        values["is_active"] = wanted.active
    return tenant_actions.update_user(person, actor=request.actor, **values) if values else person


@scim_endpoint()
def user(request: HttpRequest, pk: str) -> HttpResponse:
    _method(request, ("GET", "PUT", "PATCH", "DELETE"))
    person = _person(request, pk)
    if request.method == "GET":
        return _user_body(request, person)
    if request.method == "DELETE":
        tenant_actions.delete_user(person, actor=request.actor)
        return _respond(None, 204)
    with transaction.atomic():
        if request.method == "PUT":
            wanted = ScimUser.model_validate(
                known_attributes(_body(request), ScimUser),
                scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST,
            )
        else:
            wanted = _render_user(request, person)
            _patch(request, ScimUser).patch(wanted)
        person = _apply_user(request, person, wanted)
    return _user_body(request, person)


def _patch(request: HttpRequest, model) -> PatchOp:
    payload = _body(request)
    return PatchOp[model].model_validate(payload, scim_ctx=Context.RESOURCE_PATCH_REQUEST)


# --- Groups ------------------------------------------------------------------------------------


def _groups(request: HttpRequest) -> QuerySet:
    return Group.objects.filter(tenant_id=request.scim_client.tenant_id)


def _render_group(request: HttpRequest, group: Group) -> ScimGroup:
    members = [m.user for m in Membership.objects.filter(group=group).select_related("user")]
    nested = [n.child for n in GroupNesting.objects.filter(parent=group).select_related("child")]
    return group_resource(group, request.base_url, members, nested)


def _group_body(request: HttpRequest, group: Group, status: int = 200) -> HttpResponse:
    return _resource_body(request, _render_group(request, group), status)


def _group(request: HttpRequest, pk: str) -> Group:
    found = _groups(request).filter(pk=int(pk)).first() if pk.isdigit() and len(pk) < 19 else None
    if found is None:
        raise ScimError(404, f"No Group {pk!r}.")
    return found


@scim_endpoint()
def groups(request: HttpRequest) -> HttpResponse:
    _method(request, ("GET", "POST"))
    if request.method == "GET":
        return _list(request, _groups(request), ScimGroup, filters.GROUP_ATTRIBUTES, _render_group)
    wanted = ScimGroup.model_validate(
        known_attributes(_body(request), ScimGroup), scim_ctx=Context.RESOURCE_CREATION_REQUEST
    )
    with transaction.atomic():
        group = group_actions.create_group(
            actor=request.actor,
            display_name=wanted.display_name or "",
            group_type=GroupType.SECURITY,
            source=GroupSource.API,
        )
        group = _apply_group(request, group, wanted)
    return _group_body(request, group, 201)


def _apply_group(request: HttpRequest, group: Group, wanted: ScimGroup) -> Group:
    """Make the group what the resource says: name, external id and members (people and
    nested groups), each change through its action."""
    values = {}
    if wanted.display_name and wanted.display_name != group.display_name:
        values["display_name"] = wanted.display_name
    if (wanted.external_id or "") != group.external_id:
        values["external_id"] = wanted.external_id or ""
    if values:
        group = group_actions.update_group(group, actor=request.actor, **values)
    current = _render_group(request, group)
    have = {(m.type or "User", m.value) for m in current.members or []}
    want = {(_member_kind(request, member), member.value) for member in wanted.members or []}
    people_to_add = [_person(request, value) for kind, value in want - have if kind == "User"]
    if people_to_add:
        result = group_actions.add_members(group, actor=request.actor, people=people_to_add)
        if result.refused:
            raise Invalid(f"{result.refused[0][0].email}: {result.refused[0][1]}")
    for kind, value in sorted(have - want):
        if kind == "User":
            group_actions.remove_member(group, actor=request.actor, person=_person(request, value))
        else:
            group_actions.unnest_group(group, actor=request.actor, child=_group(request, value))
    for kind, value in sorted(want - have):
        if kind == "Group":
            group_actions.nest_group(group, actor=request.actor, child=_group(request, value))
    return group


def _member_kind(request: HttpRequest, member) -> str:
    """A member's type, as given; else a person of that id, or failing that a group."""
    if member.type in ("User", "Group"):
        return member.type
    value = member.value or ""
    if (
        _groups(request).filter(pk=_id(value)).exists()
        and not _people(request).filter(pk=_id(value)).exists()
    ):
        return "Group"
    return "User"


def _id(value: str | None) -> int:
    return int(value) if value and value.isdigit() and len(value) < 19 else -1


@scim_endpoint()
def group(request: HttpRequest, pk: str) -> HttpResponse:
    _method(request, ("GET", "PUT", "PATCH", "DELETE"))
    found = _group(request, pk)
    if request.method == "GET":
        return _group_body(request, found)
    if request.method == "DELETE":
        group_actions.delete_group(found, actor=request.actor)
        return _respond(None, 204)
    with transaction.atomic():
        if request.method == "PUT":
            wanted = ScimGroup.model_validate(
                known_attributes(_body(request), ScimGroup),
                scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST,
            )
        else:
            wanted = _render_group(request, found)
            _patch(request, ScimGroup).patch(wanted)
        found = _apply_group(request, found, wanted)
    return _group_body(request, found)


@scim_endpoint(authenticated=False)
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    return _error(404, f"There is no /{rest} endpoint.")
