"""Provisioning tests: a real SCIM server (scim2-server) as the application, an application
with provisioning switched on, and the outbox delivered in this process or by a real worker."""

import pytest
from django.utils import timezone

from applications import actions as app_actions
from provisioning.actions import configure_provisioning
from tenants import outbox
from tenants.models import OutboxDelivery
from tests.scim_target import TOKEN, faulty_proxy, scim_server


@pytest.fixture
def scim_target():
    with scim_server() as target:
        yield target


@pytest.fixture
def proxy(scim_target):
    """(url, faults): the server behind a proxy that fails when told to."""
    with faulty_proxy(scim_target) as both:
        yield both


@pytest.fixture
def expenses(tenant_admin):
    return app_actions.create_application(actor=tenant_admin, name="Expenses", kind="saas_app")


@pytest.fixture
def provision_to(tenant_admin, expenses, settings):
    """provision_to(url) switches provisioning on for Expenses, to that endpoint."""

    def switch_on(url: str, token: str = TOKEN):
        return configure_provisioning(
            expenses, actor=tenant_admin, scim_url=url, token=token, enabled=True
        )

    return switch_on


def deliver(rounds: int = 1) -> None:
    """Run the worker's deliveries here; each later round first makes retries due at once."""
    for round_number in range(rounds):
        if round_number:
            OutboxDelivery.objects.filter(status="pending").update(next_attempt_at=timezone.now())
        outbox.deliver_ready(budget_seconds=60)


def provisioning_deliveries():
    return OutboxDelivery.objects.filter(handler="provisioning")
