"""What SCIM refuses, with a SCIM error and nothing written: global admins and the operator,
bodies a database can't hold, taken values (without telling another tenant's), odd paging."""

import json

import pytest

from groups.models import Membership
from tenants.models import User
from tests.factories import UserFactory
from tests.scim.conftest import GROUP_SCHEMA, SCIM, USER_SCHEMA

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "change",
    [
        {"op": "replace", "path": "active", "value": False},
        {"op": "replace", "path": "displayName", "value": "Not an admin"},
        {"op": "replace", "path": 'emails[type eq "work"].value', "value": "idp@contoso.test"},
    ],
)
def test_scim_never_changes_a_global_admin(scim, tenant_admin, change):
    answer = scim.patch(f"/Users/{tenant_admin.pk}", change)
    assert answer.status_code == 403, answer.content
    assert answer["Content-Type"] == SCIM and "global admin" in answer.json()["detail"]
    tenant_admin.refresh_from_db()
    assert tenant_admin.is_active and tenant_admin.display_name == "Ada Admin"
    assert tenant_admin.email == "ada@contoso.test"


def test_scim_never_deletes_a_global_admin_or_the_operator(scim, tenant, tenant_admin):
    assert scim.delete(f"/Users/{tenant_admin.pk}").status_code == 403
    operator = UserFactory(tenant=tenant, email="root@contoso.test")
    User.objects.filter(pk=operator.pk).update(is_superuser=True)
    assert scim.delete(f"/Users/{operator.pk}").status_code == 403
    assert User.objects.filter(pk__in=[tenant_admin.pk, operator.pk], is_active=True).count() == 2


def test_a_put_that_changes_nothing_of_an_admin_is_fine(scim, tenant_admin):
    body = {
        "schemas": [USER_SCHEMA],
        "userName": tenant_admin.email,
        "displayName": tenant_admin.display_name,
        "active": True,
    }
    assert scim.put(f"/Users/{tenant_admin.pk}", body).status_code == 200


def test_a_display_name_is_cleaned_like_the_panels(scim, member):
    body = {"schemas": [USER_SCHEMA], "userName": "long@contoso.test", "displayName": "x" * 151}
    too_long = scim.post("/Users", body)
    assert (too_long.status_code, too_long.json()["scimType"]) == (400, "invalidValue")
    assert not User.objects.filter(email="long@contoso.test").exists()
    nul = scim.patch(
        f"/Users/{member.pk}", {"op": "replace", "path": "displayName", "value": "Mia\x00"}
    )
    assert (nul.status_code, nul.json()["scimType"]) == (400, "invalidValue")
    spaced = scim.patch(
        f"/Users/{member.pk}", {"op": "replace", "path": "displayName", "value": "  Mia M.  "}
    )
    assert spaced.status_code == 200 and spaced.json()["displayName"] == "Mia M."


@pytest.mark.parametrize(
    ("body", "attribute"),
    [
        ({"userName": "a\x00@contoso.test"}, "userName"),
        ({"userName": "nul@contoso.test", "nickName": "\x00"}, "nickName"),
    ],
)
def test_an_escaped_nul_is_refused_naming_where(scim, body, attribute):
    answer = scim.post("/Users", raw=json.dumps({"schemas": [USER_SCHEMA], **body}))  # \u0000
    assert (answer.status_code, answer.json()["scimType"]) == (400, "invalidValue")
    assert answer.json()["detail"].startswith(f"{attribute} can't contain NUL")
    assert not User.objects.filter(email="nul@contoso.test").exists()


def test_deeply_nested_json_is_invalid_syntax(scim):
    answer = scim.post("/Users", raw='{"a": ' * 100_000 + "1" + "}" * 100_000)
    assert (answer.status_code, answer.json()["scimType"]) == (400, "invalidSyntax")


@pytest.mark.parametrize(
    "params",
    [
        {"startIndex": str(2**70)},
        {"startIndex": "9" * 5000},
        {"startIndex": "-5", "count": "-1"},
        {"count": str(2**70)},
    ],
)
def test_paging_out_of_range_is_clamped(scim, member, params):
    answer = scim.get("/Users", params)
    assert answer.status_code == 200, answer.content
    assert answer.json()["totalResults"] >= 1


def test_a_taken_address_of_another_tenant_is_a_plain_uniqueness_conflict(scim, other_tenant_user):
    answer = scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": other_tenant_user.email})
    assert (answer.status_code, answer.json()["scimType"]) == (409, "uniqueness")
    assert other_tenant_user.email not in answer.content.decode()
    assert "felix" not in answer.json()["detail"].lower()


def test_a_taken_user_name_on_update_is_uniqueness_without_the_value(scim, member, owner):
    answer = scim.patch(
        f"/Users/{member.pk}", {"op": "replace", "path": "userName", "value": owner.email}
    )
    assert (answer.status_code, answer.json()["scimType"]) == (409, "uniqueness")
    assert owner.email not in answer.json()["detail"]


def test_a_nesting_cycle_is_a_conflict_but_not_uniqueness(scim):
    parent = scim.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "P"}).json()
    child = scim.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "C"}).json()
    add = {"op": "add", "path": "members", "value": [{"value": child["id"], "type": "Group"}]}
    assert scim.patch(f"/Groups/{parent['id']}", add).status_code == 200
    back = {"op": "add", "path": "members", "value": [{"value": parent["id"], "type": "Group"}]}
    cycle = scim.patch(f"/Groups/{child['id']}", back)
    assert cycle.status_code == 409 and cycle.json().get("scimType") != "uniqueness"


def test_a_member_without_a_value_is_refused(scim, group):
    before = set(Membership.objects.filter(group=group).values_list("user_id", flat=True))
    answer = scim.patch(f"/Groups/{group.pk}", {"op": "add", "path": "members", "value": [{}]})
    assert (answer.status_code, answer.json()["scimType"]) == (400, "invalidValue")
    put = scim.put(
        f"/Groups/{group.pk}",
        {"schemas": [GROUP_SCHEMA], "displayName": group.display_name, "members": [{}]},
    )
    assert put.status_code == 400
    assert set(Membership.objects.filter(group=group).values_list("user_id", flat=True)) == before


def test_emails_of_a_type_we_dont_keep_match_nobody(scim, member):
    home = scim.get("/Users", {"filter": 'emails[type eq "home"]'}).json()
    assert home["totalResults"] == 0
    work = scim.get("/Users", {"filter": f'emails[type eq "work" and value eq "{member.email}"]'})
    assert work.json()["totalResults"] == 1


def test_a_multipart_body_is_a_scim_error_not_a_500(client, scim):
    answer = client.post(
        "/scim/v2/Users", {"userName": "x@contoso.test"}, HTTP_AUTHORIZATION=f"Bearer {scim.token}"
    )
    assert answer.status_code == 400 and answer["Content-Type"] == SCIM
    assert json.loads(answer.content)["scimType"] == "invalidSyntax"
