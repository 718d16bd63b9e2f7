"""An application's provisioning through the API: shown to global admins (never the token),
set with the Admin center's action (audited), and its log, paginated and filtered."""

import pytest

from applications import actions as app_actions
from provisioning.actions import test_connection as check_connection
from provisioning.models import ProvisioningTarget
from tenants.actions import update_user
from tenants.models import AuditEvent
from tests.factories import OPERATOR

pytestmark = pytest.mark.django_db
CLOSED_PORT = "http://127.0.0.1:9/scim/v2"  # nothing listens: a quick, local failure


@pytest.fixture(autouse=True)
def _local_targets(settings):
    settings.PROVISIONING_ALLOW_PRIVATE_ADDRESSES = True


@pytest.fixture
def app(tenant_admin, owner):
    return app_actions.create_application(
        actor=tenant_admin, name="Expenses", kind="saas_app", owners=[owner]
    )


def test_a_global_admin_sets_provisioning_and_never_reads_the_token(api_as, tenant_admin, app):
    as_admin = api_as(tenant_admin)
    assert as_admin.get(f"/applications/{app.pk}").json()["provisioning"] is None
    body = {"provisioning": {"scimUrl": CLOSED_PORT, "token": "s3cret-token", "enabled": True}}
    answer = as_admin.patch(f"/applications/{app.pk}", body)
    assert answer.status_code == 200, answer.content
    shown = {"scimUrl": CLOSED_PORT, "enabled": True, "hasToken": True}
    assert answer.json()["provisioning"] == shown
    assert "s3cret-token" not in as_admin.get(f"/applications/{app.pk}").content.decode()
    assert as_admin.get("/applications").json()["items"][0]["provisioning"] == shown
    event = AuditEvent.objects.get(action="provisioning.updated")
    assert (event.surface, event.actor) == ("api", tenant_admin)
    sealed = ProvisioningTarget.objects.get(application=app).sealed_token
    for keeps in ({"enabled": False}, {"token": "", "enabled": True}):
        kept = as_admin.patch(f"/applications/{app.pk}", {"provisioning": keeps})
        assert kept.status_code == 200, kept.content
        assert ProvisioningTarget.objects.get(application=app).sealed_token == sealed


def test_an_owner_neither_sees_nor_sets_provisioning(api_as, tenant_admin, owner, app):
    api_as(tenant_admin).patch(
        f"/applications/{app.pk}", {"provisioning": {"scimUrl": CLOSED_PORT}}
    )
    as_owner = api_as(owner)
    assert as_owner.get(f"/applications/{app.pk}").json()["provisioning"] is None
    refused = as_owner.patch(f"/applications/{app.pk}", {"provisioning": {"enabled": True}})
    assert refused.status_code == 403
    assert not ProvisioningTarget.objects.get(application=app).enabled
    assert as_owner.get(f"/applications/{app.pk}/provisioning-log").status_code == 403


@pytest.mark.parametrize(
    ("provisioning", "field"),
    [
        ({"scimUrl": "ftp://example.test"}, "provisioning.scimUrl"),
        ({"scimUrl": CLOSED_PORT, "enabled": True}, "provisioning.token"),
        ({"enabled": None}, "provisioning.enabled"),
        ({"enabled": "yes"}, "provisioning"),
        ({"secret": "x"}, "provisioning"),
    ],
)
def test_bad_provisioning_is_422_and_changes_nothing(
    api_as, tenant_admin, app, provisioning, field
):
    answer = api_as(tenant_admin).patch(
        f"/applications/{app.pk}", {"name": "Renamed", "provisioning": provisioning}
    )
    assert answer.status_code == 422, answer.content
    assert answer.json()["error"]["field"] == field
    app.refresh_from_db()
    assert app.name == "Expenses" and not ProvisioningTarget.objects.exists()


def test_the_provisioning_log_is_paginated_and_filtered(api_as, tenant_admin, owner, app):
    api_as(tenant_admin).patch(
        f"/applications/{app.pk}", {"provisioning": {"scimUrl": CLOSED_PORT}}
    )
    for _ in range(3):
        check_connection(app, actor=tenant_admin)  # a failed "test" attempt each
    as_admin = api_as(tenant_admin)
    log = as_admin.get(f"/applications/{app.pk}/provisioning-log", {"pageSize": 2}).json()
    assert (log["total"], len(log["items"])) == (3, 2) and log["next"]
    first = log["items"][0]
    assert (first["operation"], first["outcome"]) == ("test", "failed")
    assert first["user"]["id"] == tenant_admin.pk and first["error"]
    filtered = as_admin.get(
        f"/applications/{app.pk}/provisioning-log", {"outcome": "success"}
    ).json()
    assert filtered["total"] == 0
    wrong = as_admin.get(f"/applications/{app.pk}/provisioning-log", {"operation": "nope"})
    assert (wrong.status_code, wrong.json()["error"]["field"]) == (422, "operation")


def test_another_tenants_application_log_is_not_found(api_as, app, other_tenant_user):
    admin = update_user(other_tenant_user, actor=OPERATOR, role="global_admin")
    assert api_as(admin).get(f"/applications/{app.pk}/provisioning-log").status_code == 404
    answer = api_as(admin).patch(f"/applications/{app.pk}", {"provisioning": {"enabled": False}})
    assert answer.status_code == 404
