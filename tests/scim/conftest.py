"""SCIM test helpers: a client that calls /scim/v2/ with a tenant's SCIM bearer token."""

import json

import pytest

from scim.actions import create_scim_token
from tests.factories import OPERATOR

SCIM = "application/scim+json"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"


class ScimCalls:
    """Calls /scim/v2/… with `Authorization: Bearer <token>` (or without, when token is None)."""

    def __init__(self, client, token: str | None):
        self.client, self.token = client, token

    def _headers(self) -> dict:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}

    def get(self, path: str, params=None):
        return self.client.get(f"/scim/v2{path}", params or {}, **self._headers())

    def delete(self, path: str):
        return self.client.delete(f"/scim/v2{path}", **self._headers())

    def _send(self, method: str, path: str, body, raw: str | None):
        data = raw if raw is not None else json.dumps(body)
        return getattr(self.client, method)(
            f"/scim/v2{path}", data, content_type=SCIM, **self._headers()
        )

    def post(self, path: str, body=None, *, raw: str | None = None):
        return self._send("post", path, body, raw)

    def put(self, path: str, body):
        return self._send("put", path, body, None)

    def patch(self, path: str, *operations):
        return self._send(
            "patch", path, {"schemas": [PATCH_OP], "Operations": list(operations)}, None
        )


@pytest.fixture
def scim_for(client):
    """scim_for(tenant) → ScimCalls with a new SCIM token of that tenant."""

    def make(tenant) -> ScimCalls:
        _client, raw = create_scim_token(tenant, actor=OPERATOR, name="Identity provider")
        return ScimCalls(client, raw)

    return make


@pytest.fixture
def scim(scim_for, tenant):
    return scim_for(tenant)
