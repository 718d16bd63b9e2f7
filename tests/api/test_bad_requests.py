"""Requests the API must refuse with a clear 4xx in its envelope, changing nothing (never a
500, never the panel's HTML)."""

import pytest

from groups.models import Group
from tenants.models import GeneralSettings

pytestmark = pytest.mark.django_db


def _error(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), response.content
    return response.json()["error"]


def test_a_multipart_body_is_refused_not_a_500(api_as, client, owner):
    token = api_as(owner).token
    answer = client.post(
        "/api/v1/groups",
        {"displayName": "Multipart", "groupType": "security"},  # the test client sends multipart
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert 400 <= answer.status_code < 500 and "error" in answer.json()
    assert not Group.objects.filter(display_name="Multipart").exists()


def test_unknown_paths_and_methods_answer_the_envelope(api_as, owner, group):
    as_owner = api_as(owner)
    unknown = as_owner.get("/nothing/here")
    assert (unknown.status_code, _error(unknown)["code"]) == (404, "not_found")
    wrong_method = as_owner.client.put(
        f"/api/v1/groups/{group.pk}/join", "{}", content_type="application/json"
    )
    assert wrong_method.status_code == 405
    assert _error(wrong_method)["code"] == "method_not_allowed"
    assert "POST" in wrong_method["Allow"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"displayName": "T", "groupType": "security", "owners": [%s]}' % ("9" * 5000), "owners"),
        ('{"displayName": "T", "groupType": "security", "owners": [%s]}' % ("9" * 25), "owners"),
        ('{"displayName": "a\\u0000b", "groupType": "security"}', "displayName"),
    ],
)
def test_valid_json_holding_what_cant_be_stored_names_the_field(api_as, owner, body, field):
    answer = api_as(owner).post("/groups", raw=body)
    assert answer.status_code == 422, answer.content
    error = _error(answer)
    assert error["field"] == field and "JSON" not in error["message"]
    assert not Group.objects.filter(display_name__startswith="T").exists()


def test_booleans_are_not_ids_and_ids_are_not_booleans(api_as, owner, tenant_admin, group):
    as_owner = api_as(owner)
    owners = as_owner.post(
        "/groups", {"displayName": "B", "groupType": "security", "owners": [True]}
    )
    assert (owners.status_code, _error(owners)["field"]) == (422, "owners")
    member = as_owner.post(f"/groups/{group.pk}/members", {"userId": True})
    assert (member.status_code, _error(member)["field"]) == (422, "userId")
    as_admin = api_as(tenant_admin)
    for value in ("yes", 1):
        answer = as_admin.patch("/settings", {"restrict_access_to_groups": value})
        assert answer.status_code == 422, answer.content
        assert _error(answer)["field"] == "restrict_access_to_groups"
    assert not GeneralSettings.objects.get(tenant=owner.tenant).restrict_access_to_groups


def test_a_request_filter_on_a_huge_group_id_is_refused(api_as, owner):
    answer = api_as(owner).get("/requests", {"group": str(2**70)})
    assert (answer.status_code, _error(answer)["field"]) == (422, "group")


def test_a_principal_id_of_unicode_digits_is_invalid(api_as, tenant_admin):
    site = api_as(tenant_admin).post("/applications", {"name": "Site", "kind": "site"}).json()
    answer = api_as(tenant_admin).post(
        f"/applications/{site['id']}/assignments", {"principalType": "group", "principalId": "²"}
    )
    assert (answer.status_code, _error(answer)["field"]) == (422, "principalId")


def test_selected_owner_assigners_are_matched_case_insensitively(api_as, tenant_admin, owner):
    answer = api_as(tenant_admin).patch(
        "/settings",
        {
            "owners_who_can_assign_owners": "selected",
            "selected_owner_assigners": ["OLIVIA@Contoso.test"],
        },
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["selected_owner_assigners"] == [owner.email]
