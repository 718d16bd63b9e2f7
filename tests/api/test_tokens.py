"""Personal API tokens: create, use, revoke, expire; hashed; tenant-scoped; rate-limited."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from api.actions import revoke_api_token
from api.models import ApiToken
from tests.factories import OPERATOR

pytestmark = pytest.mark.django_db


def test_a_token_is_created_once_used_and_revoked(client, owner):
    client.force_login(owner)
    page = client.post("/api-tokens/", {"name": "Nightly sync", "expires_in": "30"}, follow=True)
    raw = page.context["created"]
    assert raw.startswith("ap_") and raw in page.content.decode()
    token = ApiToken.objects.get(user=owner)
    assert raw not in (token.digest, token.prefix) and token.digest != raw  # stored hashed
    assert client.get("/api-tokens/").context["created"] is None  # shown once only
    client.logout()
    calls = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    assert client.get("/api/v1/me", **calls).json()["email"] == owner.email
    token.refresh_from_db()
    assert token.last_used_at is not None
    client.force_login(owner)
    client.post(f"/api-tokens/{token.pk}/revoke/")
    client.logout()
    assert client.get("/api/v1/me", **calls).status_code == 401


def test_an_expired_token_is_refused(client, api_as, owner):
    calls = api_as(owner)
    assert calls.get("/me").status_code == 200
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert calls.get("/me").status_code == 401


def test_a_deactivated_persons_token_is_refused(api_as, tenant_admin, member):
    from tenants.actions import update_user

    calls = api_as(member)
    update_user(member, actor=tenant_admin, is_active=False)
    assert calls.get("/me").status_code == 401


def test_the_command_line_creates_a_token(capsys, owner, client):
    call_command("create_api_token", owner.email)
    raw = capsys.readouterr().out.strip()
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200


def test_a_token_sees_only_its_tenant(api_as, group, other_tenant_user):
    assert api_as(other_tenant_user).get(f"/groups/{group.pk}").status_code == 404


def test_nobody_else_revokes_my_token(api_as, owner, member):
    from tenants.errors import NotAllowed

    api_as(owner)
    with pytest.raises(NotAllowed):
        revoke_api_token(ApiToken.objects.get(user=owner), actor=member)
    revoke_api_token(ApiToken.objects.get(user=owner), actor=OPERATOR)


def test_over_the_rate_limit_answers_429_with_retry_after(settings, api_as, owner):
    settings.API_RATE_LIMIT = "3/m"
    calls = api_as(owner)
    statuses = [calls.get("/me").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    over = calls.get("/me")
    assert over.json()["error"]["code"] == "rate_limited"
    assert 0 < int(over["Retry-After"]) <= 60
