"""API test helpers: a client that calls with a person's token, and JSON bodies."""

import json

import pytest

from api.actions import create_api_token
from tests.factories import OPERATOR


class ApiClient:
    """Calls /api/v1/… with `Authorization: Bearer <token>` (or without, when token is None)."""

    def __init__(self, client, token: str | None):
        self.client, self.token = client, token

    def _headers(self) -> dict:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}

    def get(self, path: str, params=None):
        return self.client.get(f"/api/v1{path}", params or {}, **self._headers())

    def delete(self, path: str):
        return self.client.delete(f"/api/v1{path}", **self._headers())

    def post(self, path: str, body=None, *, raw: str | None = None):
        data = raw if raw is not None else json.dumps(body or {})
        return self.client.post(
            f"/api/v1{path}", data, content_type="application/json", **self._headers()
        )

    def patch(self, path: str, body):
        return self.client.patch(
            f"/api/v1{path}", json.dumps(body), content_type="application/json", **self._headers()
        )


@pytest.fixture
def api_as(client):
    """api_as(person) → an ApiClient with a new token of that person."""

    def make(person) -> ApiClient:
        _token, raw = create_api_token(person, actor=OPERATOR, name="tests")
        return ApiClient(client, raw)

    return make
