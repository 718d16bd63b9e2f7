"""Talking to an application's SCIM 2.0 endpoint: scim2-client (over httpx2) and scim2-models,
never hand-built JSON.

`Remote` does the few things provisioning needs (find, create, (de)activate, list, read the
ServiceProviderConfig) and turns every failure into a `RemoteError` that says whether it is
worth trying again: network errors, 429 and 5xx are; any other 4xx is not (docs/provisioning.md).
"""

import ipaddress
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

import httpx2
from django.conf import settings
from pydantic import ConfigDict
from scim2_client import SCIMClientException
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_models import (
    URN,
    PatchOp,
    PatchOperation,
    Required,
    Resource,
    ResourceType,
    SCIMException,
    ScimProvider,
    SearchRequest,
    ServiceProviderConfig,
    Uniqueness,
)

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
TIMEOUT_SECONDS = 10.0
PAGE = 100  # users per page when listing an endpoint's users
BODY_KEPT = 2000  # characters of an error's response body kept in the log


class RemoteUser(Resource[Any]):
    """The part of a SCIM User we send and read; whatever else the endpoint keeps is ignored."""

    __schema__ = URN(USER_SCHEMA)
    model_config = ConfigDict(extra="ignore")

    user_name: Annotated[str | None, Uniqueness.server, Required.true] = None
    display_name: str | None = None
    active: bool | None = None


PROVIDER = ScimProvider(
    models=[RemoteUser],
    resource_types=[
        ResourceType(id="User", name="User", endpoint="/Users", schema_=URN(USER_SCHEMA))
    ],
)


class RemoteError(Exception):
    """A call that failed: its HTTP status (None: no answer), the body, and whether to retry."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        body: str = "",
        retry_after: float | None = None,
        temporary: bool = False,
    ) -> None:
        super().__init__(message)
        self.message, self.status, self.body = message, status, body[:BODY_KEPT]
        self.retry_after, self.temporary = retry_after, temporary

    def __str__(self) -> str:
        return f"{self.message} {self.body}".strip()


@dataclass(frozen=True)
class Found:
    id: str
    active: bool | None
    user_name: str | None
    external_id: str | None


def check_destination(url: str) -> None:
    """Refuse URLs that aren't http(s), and (unless PROVISIONING_ALLOW_PRIVATE_ADDRESSES)
    hosts on private, loopback or link-local addresses: a tenant's admin must not reach the
    deployment's own network through provisioning."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RemoteError("The SCIM URL must be an http:// or https:// address.")
    if settings.PROVISIONING_ALLOW_PRIVATE_ADDRESSES:
        return
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 443)}
    except OSError:
        raise RemoteError(f"{parts.hostname} can't be found.", temporary=True) from None
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not ip.is_global:
            raise RemoteError(f"{parts.hostname} is a private address ({ip}): not allowed here.")


def _retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: a number, or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def _quoted(value: str) -> str:
    """A string for a SCIM filter (RFC 7644 §3.4.2.2: JSON string rules)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Remote:
    """One application's endpoint, with its bearer token. Use as a context manager."""

    def __init__(self, url: str, token: str) -> None:
        check_destination(url)
        self.last = None  # the last response: its status, headers and body explain failures
        self.http = httpx2.Client(
            base_url=url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}"},
            timeout=TIMEOUT_SECONDS,
            follow_redirects=False,
            event_hooks={"response": [self._keep]},
        )
        self.scim = SyncSCIMClient(self.http, provider=PROVIDER)

    def _keep(self, response) -> None:
        response.read()
        self.last = response

    def __enter__(self) -> "Remote":
        return self

    def __exit__(self, *exc) -> None:
        self.http.close()

    def _call(self, operation, *args, **kwargs):
        self.last = None
        try:
            return operation(*args, **kwargs)
        except (SCIMClientException, SCIMException) as error:
            raise self._failure(error) from error
        except httpx2.HTTPError as error:  # a transport error scim2-client didn't wrap
            raise RemoteError(f"No answer: {error}", temporary=True) from error

    def _failure(self, error: Exception) -> RemoteError:
        if self.last is None:
            return RemoteError(f"No answer: {error.__cause__ or error}", temporary=True)
        status = self.last.status_code
        return RemoteError(
            f"HTTP {status}:",
            status=status,
            body=self.last.text,
            retry_after=_retry_after(self.last.headers.get("Retry-After")),
            temporary=status == 429 or status >= 500,
        )

    @staticmethod
    def _found(user: RemoteUser) -> Found:
        return Found(user.id, user.active, user.user_name, user.external_id)

    def find(self, *, user_name: str, external_id: str) -> Found | None:
        """The endpoint's user with this userName, else with this externalId."""
        for expression in (
            f"userName eq {_quoted(user_name)}",
            f"externalId eq {_quoted(external_id)}",
        ):
            answer = self._call(
                self.scim.query,
                RemoteUser,
                query_parameters=SearchRequest(filter=expression, count=2),
            )
            if answer.resources:
                return self._found(answer.resources[0])
        return None

    def get(self, remote_id: str) -> Found | None:
        """The user with this id, or None if the endpoint no longer has it (404)."""
        try:
            return self._found(self._call(self.scim.query, RemoteUser, remote_id))
        except RemoteError as error:
            if error.status == 404:
                return None
            raise

    def create(self, *, user_name: str, external_id: str, display_name: str) -> Found:
        user = RemoteUser(
            user_name=user_name, external_id=external_id, display_name=display_name, active=True
        )
        return self._found(self._call(self.scim.create, user))

    def set_active(self, remote_id: str, active: bool) -> bool:
        """PATCH active; False if the endpoint no longer has the user (404)."""
        patch = PatchOp[RemoteUser](
            operations=[PatchOperation[RemoteUser](op="replace", path="active", value=active)]
        )
        try:
            self._call(self.scim.modify, RemoteUser, remote_id, patch)
        except RemoteError as error:
            if error.status == 404:
                return False
            raise
        return True

    def each_user(self) -> Iterator[Found]:
        """Every user of the endpoint, a page at a time."""
        start = 1
        while True:
            answer = self._call(
                self.scim.query,
                RemoteUser,
                query_parameters=SearchRequest(start_index=start, count=PAGE),
            )
            users = answer.resources or []
            yield from (self._found(user) for user in users)
            start += len(users)
            if not users or start > (answer.total_results or 0):
                return

    def count_users(self) -> int:
        """How many users the endpoint has (one small call that needs the token)."""
        answer = self._call(self.scim.query, RemoteUser, query_parameters=SearchRequest(count=1))
        return answer.total_results or 0

    def service_provider_config(self) -> ServiceProviderConfig:
        return self._call(SyncSCIMClient(self.http).query, ServiceProviderConfig)
