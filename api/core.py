"""The API itself: bearer-token authentication, the rate limit, and refusals mapped to JSON.

Errors are always {"error": {"code", "message", "field"?}}: 400 a request that can't be read,
401 no token or a bad one, 403 refused by the policy (its reason), 404 unknown or of another
tenant, 409 a conflict, 422 an invalid value (naming the field), 429 over the rate limit (with
Retry-After). Nothing is a 500 (docs/refusals.md).
"""

import json
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import NinjaAPI, Router, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer
from ninja.throttling import SimpleRateThrottle
from pydantic.alias_generators import to_camel

from api.models import ApiToken
from tenants.actors import Actor
from tenants.errors import Invalid, Refusal
from tenants.models import GeneralSettings, User
from tenants.secrets import matches, split
from tenants.text import MAX_ID, json_int, unstorable

LAST_USED_EVERY = timedelta(minutes=1)  # how stale `last_used_at` may be (saves a write per call)


class TokenAuth(HttpBearer):
    """`Authorization: Bearer ap_…`: the token's person, with that person's rights."""

    def authenticate(self, request: HttpRequest, raw: str) -> ApiToken | None:
        parts = split(raw, "ap")
        if parts is None:
            return None
        token = ApiToken.objects.select_related("user__tenant").filter(prefix=parts[0]).first()
        if token is None or not matches(parts[1], token.digest) or not token.is_usable:
            return None
        person = token.user
        if not person.is_active or person.tenant_id is None:
            return None
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_EVERY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        request.user = person
        request.actor = Actor.api_token(person, token_id=token.pk, token_name=token.name)
        return token


class TokenThrottle(SimpleRateThrottle):
    """At most API_RATE_LIMIT calls per token (Django's cache: Redis in production)."""

    scope = "token"

    def __init__(self) -> None:
        super().__init__(settings.API_RATE_LIMIT)

    def allow_request(self, request: HttpRequest) -> bool:
        # The setting is read on each call (not once at import), so it can change at run time.
        self.rate = settings.API_RATE_LIMIT
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request)

    def get_cache_key(self, request: HttpRequest) -> str | None:
        token = getattr(request, "auth", None)
        return f"api-throttle-{token.pk}" if isinstance(token, ApiToken) else None


def CamelRouter(**kwargs) -> Router:
    """A router whose operations answer with camelCase field names (the schemas' aliases)."""
    return Router(by_alias=True, **kwargs)


class StrictJsonParser(Parser):
    """JSON bodies whose text and numbers a database can store, else 422 naming the field
    before any work."""

    def parse_body(self, request: HttpRequest):
        data = json.loads(request.body, parse_int=json_int)
        found = unstorable(data)
        if found:
            where, reason = found
            raise ValidationError(
                [{"loc": ("body", "data", *where), "msg": f"The value {reason}.", "type": "value"}]
            )
        return data


api = NinjaAPI(
    title="Access Panel API",
    version="1",
    description=(
        "Everything the panel does, scriptable. Authenticate with a personal API token "
        "(`Authorization: Bearer ap_…`): it acts as its person, with that person's rights."
    ),
    auth=TokenAuth(),
    throttle=[TokenThrottle()],
    urls_namespace="api",
    parser=StrictJsonParser(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def error_response(request, status: int, code: str, message: str, field: str | None = None):
    """{"error": {"code", "message", "field"?}} with this status."""
    body = {"code": code, "message": message}
    if field:
        body["field"] = field
    return api.create_response(request, {"error": body}, status=status)


CODES = {400: "bad_request", 401: "unauthorized", 403: "not_allowed", 404: "not_found"}


# General settings keep their snake_case names in the API (docs/api.md); every other field is
# camelCase, as the JSON bodies name them.
SNAKE_FIELDS = {*GeneralSettings.FIELDS, "selected_owner_assigners"}


@api.exception_handler(Refusal)
def refused(request: HttpRequest, refusal: Refusal) -> HttpResponse:
    field = refusal.field
    if field and field not in SNAKE_FIELDS and "." not in field:  # dotted: named already
        field = to_camel(field)
    return error_response(request, refusal.status, refusal.code, refusal.message, field)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, "not_found", "Not found in your organisation.")


@api.exception_handler(AuthenticationError)
def unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = error_response(
        request, 401, "unauthorized", "A valid API token is required (Authorization: Bearer …)."
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, ValidationError):  # StrictJsonParser's, wrapped by ninja
        return invalid(request, exc.__cause__)
    if exc.status_code == 429:
        return error_response(request, 429, "rate_limited", "Too many requests: slow down.")
    message = str(exc)
    if exc.status_code == 400 and message.startswith("Cannot parse"):
        message = "The request body isn't valid JSON."
    return error_response(request, exc.status_code, CODES.get(exc.status_code, "error"), message)


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """A value of the wrong type or shape: 422 naming the first field at fault."""
    first = exc.errors[0] if exc.errors else {}
    where = [str(part) for part in first.get("loc", ()) if part not in ("body", "query", "path")]
    if where[:1] == ["data"]:  # a body's fields: the first names the field at fault
        where = where[1:2]
    field = where[-1] if where else None
    message = first.get("msg", "Invalid value.")
    return error_response(
        request, 422, "invalid", f"{field}: {message}" if field else message, field
    )


# --- Helpers for the endpoints -----------------------------------------------------------------


MAX_PAGE_SIZE = 200


def changes(data: Schema) -> dict:
    """The fields a PATCH body sets. Leaving a field out keeps it; null isn't a value (422)."""
    values = data.model_dump(exclude_unset=True)
    for name, value in values.items():
        if value is None:
            field = type(data).model_fields[name].alias or name
            raise Invalid(f"{field} can't be null: leave it out to keep it.", field=field)
    return values


def paginate(
    request: HttpRequest, queryset: QuerySet, page: int, page_size: int, *, total: int | None = None
) -> dict:
    """A page of the queryset with its total and the next page's URL. `total`, when the
    caller knows it without counting (a group's member count), saves the COUNT."""
    page_size = min(max(page_size, 1), MAX_PAGE_SIZE)
    paginator = Paginator(queryset, page_size)
    if total is not None:
        paginator.__dict__["count"] = total  # Paginator.count is a cached property
    found = paginator.get_page(page)
    next_url = None
    if found.has_next():
        query = request.GET.copy()
        query["page"] = found.next_page_number()
        query["pageSize"] = page_size
        next_url = request.build_absolute_uri(f"{request.path}?{urlencode(query, doseq=True)}")
    return {
        "items": list(found.object_list),
        "total": paginator.count,
        "page": found.number,
        "page_size": page_size,
        "next": next_url,
    }


def choice(value: str, allowed, field: str) -> str:
    """A filter's value if it is one of `allowed` (or empty: no filter), else 422."""
    if value and value not in allowed:
        raise Invalid(f"{value!r} is not one of {', '.join(allowed)}.", field=field)
    return value


def person(request: HttpRequest, key: int | str, *, field: str = "userId") -> User:
    """A person of the caller's tenant, named by id or email (422 naming the field if not)."""
    people = User.objects.filter(tenant_id=request.user.tenant_id)
    text = str(key).strip()
    found = None
    if text.isascii() and text.isdigit():
        found = people.filter(pk=int(text)).first() if 0 < int(text) <= MAX_ID else None
    elif "@" in text:
        found = people.filter(email__iexact=text).first()
    if found is None:
        raise Invalid(f"No one in your organisation is {key!r}.", field=field)
    return found
