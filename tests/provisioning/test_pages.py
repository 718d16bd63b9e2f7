"""Admin center → an application's provisioning (settings, Test connection, accounts) and the
provisioning log: for global admins of the tenant, the token never shown again."""

import pytest
from django.urls import reverse

from applications import actions as app_actions
from applications.models import Application
from provisioning.models import Operation, Outcome, ProvisioningAttempt, ProvisioningTarget
from tenants.models import AuditEvent, EventKind
from tests.factories import UserFactory
from tests.scim_target import TOKEN, unused_url

pytestmark = pytest.mark.django_db

SECRET = "s3cret-token-only-the-application-knows"


def _settings_url(application) -> str:
    return reverse("admin_center:application_provisioning", args=[application.pk])


def _save(client, application, **values):
    data = {"scim_url": "https://expenses.example/scim/v2", "token": "", **values}
    if data.get("enabled") is False:
        data.pop("enabled")  # an unticked box sends nothing
    return client.post(_settings_url(application), data)


def _attempt(application, **values) -> ProvisioningAttempt:
    defaults = {
        "tenant_id": application.tenant_id,
        "person_label": "Mia Member <mia@contoso.test>",
        "operation": Operation.CREATE,
        "outcome": Outcome.SUCCESS,
    }
    return ProvisioningAttempt.objects.create(application=application, **{**defaults, **values})


def test_an_admin_saves_the_endpoint_and_the_token_is_never_shown_again(
    client, tenant_admin, expenses
):
    client.force_login(tenant_admin)
    response = _save(client, expenses, token=SECRET)
    assert response.status_code == 302
    target = ProvisioningTarget.objects.get(application=expenses)
    assert target.scim_url == "https://expenses.example/scim/v2" and not target.enabled
    assert SECRET not in target.sealed_token  # sealed, not stored as given
    page = client.get(_settings_url(expenses)).content.decode()
    assert "A token is saved; it is never shown" in page
    assert SECRET not in page and target.sealed_token not in page
    detail = client.get(reverse("admin_center:application_detail", args=[expenses.pk]))
    assert SECRET not in detail.content.decode()
    event = AuditEvent.objects.get(action=EventKind.PROVISIONING_UPDATED)
    assert SECRET not in str(event.data) and event.data["token"]["new"] == "(changed)"


def test_an_empty_token_keeps_the_saved_one(client, tenant_admin, expenses):
    client.force_login(tenant_admin)
    _save(client, expenses, token=SECRET)
    sealed = ProvisioningTarget.objects.get(application=expenses).sealed_token
    _save(client, expenses, scim_url="https://expenses.example/scim/v3")
    target = ProvisioningTarget.objects.get(application=expenses)
    assert target.sealed_token == sealed and target.scim_url.endswith("/v3")


@pytest.mark.parametrize(
    "values, field, message",
    [
        ({"scim_url": "ftp://expenses.example/scim"}, "scim_url", "isn't an http:// or https://"),
        ({"scim_url": ""}, "scim_url", "This field is required"),
        ({"enabled": "on"}, "token", "Give the bearer token"),
    ],
)
def test_bad_settings_re_render_with_the_error_and_change_nothing(
    client, tenant_admin, expenses, values, field, message
):
    client.force_login(tenant_admin)
    response = _save(client, expenses, **values)
    assert response.status_code == 200
    assert message in response.context["form"].errors[field][0]
    assert not ProvisioningTarget.objects.exists()
    assert not AuditEvent.objects.filter(action=EventKind.PROVISIONING_UPDATED).exists()


def test_a_private_address_is_refused_where_deployed(client, tenant_admin, expenses, settings):
    settings.PROVISIONING_ALLOW_PRIVATE_ADDRESSES = False
    client.force_login(tenant_admin)
    response = _save(client, expenses, scim_url="http://127.0.0.1:8000/scim", token=SECRET)
    assert "private address" in response.context["form"].errors["scim_url"][0]
    assert not ProvisioningTarget.objects.exists()


def test_test_connection_shows_the_result_and_logs_it(
    client, tenant_admin, expenses, provision_to, scim_target
):
    provision_to(scim_target.url)
    client.force_login(tenant_admin)
    test_url = reverse("admin_center:test_provisioning", args=[expenses.pk])
    page = client.post(test_url, follow=True).content.decode()
    assert "Connected: the endpoint answers SCIM 2.0" in page and "0 users" in page

    provision_to(unused_url())
    page = client.post(test_url, follow=True).content.decode()
    assert "Connection failed" in page
    assert list(ProvisioningAttempt.objects.order_by("id").values_list("operation", "outcome")) == [
        (Operation.TEST, Outcome.SUCCESS),
        (Operation.TEST, Outcome.FAILED),
    ]


def test_a_wrong_token_fails_the_test(client, tenant_admin, expenses, provision_to, scim_target):
    provision_to(scim_target.url, token="not-" + TOKEN)
    client.force_login(tenant_admin)
    test_url = reverse("admin_center:test_provisioning", args=[expenses.pk])
    page = client.post(test_url, follow=True).content.decode()
    assert "Connection failed" in page
    assert ProvisioningAttempt.objects.get().http_status == 401


def test_the_pages_are_for_the_tenants_global_admins(
    client, tenant_admin, owner, expenses, other_tenant
):
    settings_url = _settings_url(expenses)
    client.force_login(owner)
    assert client.get(settings_url).status_code == 403
    assert client.get(reverse("admin_center:provisioning_log")).status_code == 403
    assert _save(client, expenses, token=SECRET).status_code == 403
    other_admin = UserFactory(tenant=other_tenant, role="global_admin")
    client.force_login(other_admin)
    assert client.get(settings_url).status_code == 404
    assert _save(client, expenses, token=SECRET).status_code == 404
    assert not ProvisioningTarget.objects.exists()


def test_the_log_filters_by_application_outcome_operation_and_person(
    client, tenant_admin, expenses, other_tenant
):
    travel = app_actions.create_application(actor=tenant_admin, name="Travel", kind="saas_app")
    for application in (expenses, travel):
        ProvisioningTarget.objects.create(application=application, scim_url="https://x.example")
    _attempt(expenses)
    _attempt(expenses, outcome=Outcome.FAILED, http_status=400, error="userName is required")
    _attempt(travel, operation=Operation.DEACTIVATE, person_label="Rui Requester <rui@c.test>")
    elsewhere = app_actions.create_application(
        actor=UserFactory(tenant=other_tenant, role="global_admin"), name="Hidden", kind="site"
    )
    _attempt(elsewhere, person_label="Somebody Else <else@fabrikam.test>")
    client.force_login(tenant_admin)
    log = reverse("admin_center:provisioning_log")

    def shown(**query) -> list[tuple[str, str, str]]:
        page = client.get(log, query).context["page"]
        return [(a.application.name, a.operation, a.outcome) for a in page]

    assert len(shown()) == 3  # not the other tenant's
    assert shown(application=expenses.pk) == [
        ("Expenses", "create", "failed"),
        ("Expenses", "create", "success"),
    ]
    assert shown(outcome="failed") == [("Expenses", "create", "failed")]
    assert shown(operation="deactivate", person="rui@") == [("Travel", "deactivate", "success")]
    assert shown(application=elsewhere.pk) == []  # not a choice here: nothing shown
    assert "userName is required" in client.get(log, {"outcome": "failed"}).content.decode()


def test_the_overview_and_the_application_page_show_failures(client, tenant_admin, expenses):
    ProvisioningTarget.objects.create(
        application=expenses, scim_url="https://x.example", enabled=True, sealed_token="x"
    )
    _attempt(expenses, outcome=Outcome.FAILED, http_status=503)
    _attempt(expenses, outcome=Outcome.RETRYING, http_status=503)
    client.force_login(tenant_admin)
    overview = client.get(reverse("admin_center:home"))
    assert overview.context["provisioning_failures"][0][0]["failures"] == 2
    assert f"provisioning/?application={expenses.pk}" in overview.content.decode()
    detail = client.get(reverse("admin_center:application_detail", args=[expenses.pk]))
    assert "2 failed attempts in the last 7 days" in detail.content.decode()


def test_an_application_is_not_deleted_while_it_is_provisioned(
    client, tenant_admin, expenses, provision_to, scim_target
):
    provision_to(scim_target.url)
    client.force_login(tenant_admin)
    delete_url = reverse("admin_center:application_delete", args=[expenses.pk])
    page = client.post(delete_url, follow=True).content.decode()
    assert "Switch provisioning off for “Expenses” first" in page
    assert Application.objects.filter(pk=expenses.pk).exists()

    _save(client, expenses, scim_url=scim_target.url, enabled=False)
    client.post(delete_url)
    assert not Application.objects.filter(pk=expenses.pk).exists()
