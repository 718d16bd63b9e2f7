"""The live OpenAPI schema, exercised by schemathesis: no input gives a 5xx, and every response
conforms to the schema (status codes, content types, bodies)."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.actions import create_api_token
from applications import actions as app_actions
from groups import actions
from tests.factories import OPERATOR, GroupFactory

pytestmark = pytest.mark.django_db(transaction=True)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def api_schema(live_server, tenant, tenant_admin, owner, member, requester):
    """A tenant with a group, a request and an application set up for provisioning."""
    group = GroupFactory(
        created_by=owner, display_name="Fuzzed", membership_policy="owner_approval"
    )
    actions.add_members(group, actor=owner, people=[member])
    actions.request_to_join(group, actor=requester, justification="fuzz")
    site = app_actions.create_application(actor=tenant_admin, name="Fuzz site", kind="site")
    app_actions.assign(site, actor=tenant_admin, group=group)
    return schemathesis.openapi.from_url(f"{live_server.url}/api/v1/openapi.json")


def _exercise(schema, caller, mode: GenerationMode, max_examples: int) -> None:
    """Each operation of the schema, with bounded generated examples (hypothesis), called
    with a token of `caller`."""
    _token, raw = create_api_token(caller, actor=OPERATOR, name="schemathesis")
    headers = {"Authorization": f"Bearer {raw}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25  # every call of the SPEC's tables is in the schema
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=max_examples,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def exercise(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        exercise()


@pytest.mark.slow
def test_every_operation_answers_within_its_schema_and_never_5xx(api_schema, tenant_admin):
    """Data that fits the schema, as a global admin (who may do nearly everything)."""
    _exercise(api_schema, tenant_admin, GenerationMode.POSITIVE, max_examples=12)


@pytest.mark.slow
def test_data_that_doesnt_fit_the_schema_is_a_4xx_never_5xx(api_schema, tenant_admin):
    """Negative mode: wrong types, missing and extra fields, out-of-range values."""
    _exercise(api_schema, tenant_admin, GenerationMode.NEGATIVE, max_examples=8)


@pytest.mark.slow
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_a_member_gets_refusals_in_the_schema_never_5xx(api_schema, member, mode):
    """A member (not an admin): the refusal paths (403, 404) answer within the schema too."""
    _exercise(api_schema, member, mode, max_examples=6)


def test_the_schema_documents_provisioning_without_the_token(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/applications/{application_id}/provisioning-log" in schema["paths"]
    shapes = schema["components"]["schemas"]
    assert set(shapes["ProvisioningOut"]["properties"]) == {"scimUrl", "enabled", "hasToken"}
    assert set(shapes["ProvisioningIn"]["properties"]) == {"scimUrl", "token", "enabled"}
    assert "provisioning" in shapes["ApplicationPatch"]["properties"]
    assert "provisioning" in shapes["ApplicationOut"]["properties"]
