"""The live OpenAPI schema, exercised by schemathesis: no input gives a 5xx, and every response
conforms to the schema (status codes, content types, bodies)."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
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
    """A tenant with a group, a request and an application; the caller is its global admin."""
    group = GroupFactory(
        created_by=owner, display_name="Fuzzed", membership_policy="owner_approval"
    )
    actions.add_members(group, actor=owner, people=[member])
    actions.request_to_join(group, actor=requester, justification="fuzz")
    site = app_actions.create_application(actor=tenant_admin, name="Fuzz site", kind="site")
    app_actions.assign(site, actor=tenant_admin, group=group)
    _token, raw = create_api_token(tenant_admin, actor=OPERATOR, name="schemathesis")
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/openapi.json")
    schema.token = raw
    return schema


@pytest.mark.slow
def test_every_operation_answers_within_its_schema_and_never_5xx(api_schema):
    """Each operation of the schema, with bounded generated examples (hypothesis)."""
    headers = {"Authorization": f"Bearer {api_schema.token}"}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 25  # every call of the SPEC's tables is in the schema
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=12,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def exercise(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        exercise()
