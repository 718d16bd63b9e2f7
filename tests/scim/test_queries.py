"""filter=, sortBy/sortOrder, startIndex/count, attributes and POST …/.search on /scim/v2/:
scim2-tester doesn't check these, so they are checked here against known data."""

import pytest

from tenants.models import User
from tests.factories import GroupFactory, UserFactory
from tests.scim.conftest import GROUP_SCHEMA, USER_SCHEMA

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(tenant, other_tenant):
    """Six people of Contoso (one deactivated, one known by a userName that isn't her address)
    and one of Fabrikam who must never show."""
    made = [
        UserFactory(tenant=tenant, email=f"{name.lower()}@contoso.test", display_name=name)
        for name in ("Alice", "Bob", "Carol", "Dave", "Erin")
    ]
    made[3].is_active = False
    made[3].save(update_fields=["is_active"])
    made[4].scim_user_name = "zerin"
    made[4].save(update_fields=["scim_user_name"])
    admin = User.objects.get(tenant=tenant, role="global_admin")  # made with the tenant
    admin.email, admin.display_name = "frank@contoso.test", "Frank"
    admin.save(update_fields=["email", "display_name"])
    UserFactory(tenant=other_tenant, email="alice@fabrikam.test", display_name="Alice F")
    return made


def names(answer) -> list[str]:
    assert answer.status_code == 200, answer.content
    return [r["displayName"] for r in answer.json()["Resources"]]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('userName eq "BOB@contoso.test"', ["Bob"]),  # case-insensitive, RFC 7643 caseExact
        ('userName eq "ZERIN"', ["Erin"]),  # a userName that isn't the address
        ('userName eq "erin@contoso.test"', []),
        ('emails.value eq "erin@contoso.test"', ["Erin"]),
        ('emails[type eq "work" and value eq "carol@contoso.test"]', ["Carol"]),
        ('userName sw "a"', ["Alice"]),
        ('displayName co "a"', ["Alice", "Carol", "Dave", "Frank"]),
        ('userName ew "@contoso.test"', ["Alice", "Bob", "Carol", "Dave", "Frank"]),
        ("active eq false", ["Dave"]),
        ('active eq true and (displayName eq "Alice" or displayName eq "Bob")', ["Alice", "Bob"]),
        ('not (displayName sw "A") and active eq true', ["Bob", "Carol", "Erin", "Frank"]),
        ('displayName ne "Alice" and displayName lt "D"', ["Bob", "Carol"]),
        ("externalId pr", []),
        ("userName pr", ["Alice", "Bob", "Carol", "Dave", "Erin", "Frank"]),
        ('urn:ietf:params:scim:schemas:core:2.0:User:userName eq "alice@contoso.test"', ["Alice"]),
    ],
)
def test_user_filters(scim, people, expression, expected):
    assert names(scim.get("/Users", {"filter": expression, "sortBy": "displayName"})) == expected


@pytest.mark.parametrize(
    "expression",
    [
        'nickName eq "x"',  # an attribute we don't keep
        'userName eq "x" and',  # malformed
        'active gt "x"',  # an operator the attribute can't take
        "active eq maybe",
        'meta.created gt "yesterday"',
        "x" * 2001,
    ],
)
def test_unsupported_filters_are_invalid_filter(scim, people, expression):
    answer = scim.get("/Users", {"filter": expression})
    assert answer.status_code == 400
    assert answer.json()["scimType"] == "invalidFilter"


def test_sorting(scim, people):
    by_user_name = names(scim.get("/Users", {"sortBy": "userName", "sortOrder": "descending"}))
    # Erin's userName is "zerin": she sorts by that, not by her address.
    assert by_user_name == ["Erin", "Frank", "Dave", "Carol", "Bob", "Alice"]
    by_name = names(scim.get("/Users", {"sortBy": "displayName"}))
    assert by_name == ["Alice", "Bob", "Carol", "Dave", "Erin", "Frank"]
    answer = scim.get("/Users", {"sortBy": "phoneNumbers"})
    assert answer.status_code == 400 and answer.json()["scimType"] == "invalidValue"


def test_pagination(scim, people):
    page = scim.get("/Users", {"sortBy": "displayName", "startIndex": "2", "count": "2"}).json()
    assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (6, 2, 2)
    assert [r["displayName"] for r in page["Resources"]] == ["Bob", "Carol"]
    last = scim.get("/Users", {"sortBy": "displayName", "startIndex": "6", "count": "2"}).json()
    assert [r["displayName"] for r in last["Resources"]] == ["Frank"]
    beyond = scim.get("/Users", {"startIndex": "99"}).json()
    assert (beyond["totalResults"], beyond["itemsPerPage"], beyond.get("Resources", [])) == (
        6,
        0,
        [],
    )
    counted = scim.get("/Users", {"count": "0"}).json()  # RFC 7644 §3.4.2.4: only the total
    assert (counted["totalResults"], counted.get("Resources", [])) == (6, [])
    # Below 1 means 1; over the maximum means the maximum (ServiceProviderConfig maxResults).
    assert scim.get("/Users", {"startIndex": "-4"}).json()["startIndex"] == 1
    assert scim.get("/Users", {"count": "100000"}).json()["itemsPerPage"] == 6
    assert scim.get("/Users", {"count": "many"}).status_code == 400


def test_attributes_and_excluded_attributes(scim, people):
    bob_only = {"attributes": "userName", "filter": 'userName eq "bob@contoso.test"'}
    only = scim.get("/Users", bob_only)
    [bob] = only.json()["Resources"]
    assert set(bob) == {"id", "schemas", "userName"}
    without = scim.get(f"/Users/{people[1].pk}", {"excludedAttributes": "emails,groups"}).json()
    assert "emails" not in without and without["userName"] == "bob@contoso.test"


def test_search_by_post(scim, people):
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": 'displayName sw "C" or displayName sw "D"',
        "sortBy": "displayName",
        "attributes": ["displayName"],
        "startIndex": 1,
        "count": 10,
    }
    answer = scim.post("/Users/.search", body)
    assert names(answer) == ["Carol", "Dave"]
    assert scim.post("/.search", body).status_code == 501
    assert scim.get("/Users/.search").status_code == 405


def test_group_filters(scim, people, owner):
    engineers = GroupFactory(created_by=owner, display_name="Engineers")
    GroupFactory(created_by=owner, display_name="Finance")
    engineers.memberships.create(user=people[0], added_via="owner")
    found = scim.get("/Groups", {"filter": f'members[value eq "{people[0].pk}"]'})
    assert names(found) == ["Engineers"]
    found = scim.get("/Groups", {"filter": 'displayName eq "finance"'})
    assert names(found) == ["Finance"]
    later = scim.get("/Groups", {"filter": 'meta.lastModified gt "2000-01-01T00:00:00Z"'})
    assert names(later) == ["Engineers", "Finance"]


def test_an_identity_provider_with_principal_names(scim, tenant):
    """Entra ID's default mapping: userName is the user principal name, the address is the
    work email; Entra finds people by userName and patches with filtered paths."""
    created = scim.post(
        "/Users",
        {
            "schemas": [USER_SCHEMA],
            "userName": "ann.lee_contoso#EXT#",
            "displayName": "Ann Lee",
            "emails": [{"value": "ann@contoso.test", "type": "work", "primary": True}],
            "externalId": "3b2c-11",
        },
    )
    assert created.status_code == 201, created.content
    ann = created.json()
    assert ann["userName"] == "ann.lee_contoso#EXT#"
    assert ann["emails"] == [{"value": "ann@contoso.test", "type": "work", "primary": True}]
    found = scim.get("/Users", {"filter": 'userName eq "ann.lee_contoso#EXT#"'}).json()
    assert [r["id"] for r in found["Resources"]] == [ann["id"]]
    moved = scim.patch(
        f"/Users/{ann['id']}",
        {"op": "replace", "path": 'emails[type eq "work"].value', "value": "ann.lee@contoso.test"},
        {"op": "replace", "path": "userName", "value": "ann.lee@contoso.test"},
    )
    assert moved.status_code == 200, moved.content
    assert moved.json()["emails"][0]["value"] == "ann.lee@contoso.test"
    assert moved.json()["userName"] == "ann.lee@contoso.test"
    # The name is taken now, and a userName that isn't an address needs emails.
    again = scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": "ANN.LEE@contoso.test"})
    assert again.status_code == 409 and again.json()["scimType"] == "uniqueness"
    bare = scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": "bob_contoso"})
    assert bare.status_code == 400


def test_required_attributes_cant_be_removed(scim, people):
    for path in ("displayName", "active", "emails", "userName"):
        answer = scim.patch(f"/Users/{people[0].pk}", {"op": "remove", "path": path})
        assert answer.status_code == 400, path
        # scim2-models refuses required ones (invalidValue) before our mutability check.
        assert answer.json()["scimType"] in ("mutability", "invalidValue"), path
    people[0].refresh_from_db()
    assert (people[0].display_name, people[0].is_active) == ("Alice", True)


def test_a_group_keeps_its_name(scim, owner):
    group = scim.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Ops"}).json()
    answer = scim.patch(f"/Groups/{group['id']}", {"op": "remove", "path": "displayName"})
    assert answer.status_code == 400
    assert scim.get(f"/Groups/{group['id']}").json()["displayName"] == "Ops"


def test_a_page_costs_the_same_queries_whatever_its_size(scim, tenant, owner):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(path: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert scim.get(path, {"count": "200"}).status_code == 200
        return len(captured)

    scim.get("/Users")  # the token's last use is written now, not while counting
    group = GroupFactory(created_by=owner, display_name="Everyone")
    counts = []
    for size in (3, 40):
        for n in range(size - group.memberships.count()):
            person = UserFactory(tenant=tenant, email=f"p{size}-{n}@contoso.test")
            group.memberships.create(user=person, added_via="owner")
            GroupFactory(created_by=owner, display_name=f"G{size}-{n}")
        counts.append((queries("/Users"), queries("/Groups")))
    # The token; the count; the page; the page's groups (Users) or members and nested (Groups).
    assert counts[0] == counts[1] == (4, 5)


def test_patch_works_on_the_whole_group_whatever_the_answer_leaves_out(scim, people, owner):
    group = GroupFactory(created_by=owner, display_name="Engineers")
    group.memberships.create(user=people[0], added_via="owner")
    answer = scim.client.patch(
        f"/scim/v2/Groups/{group.pk}?excludedAttributes=members",
        '{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": '
        f'[{{"op": "add", "path": "members", "value": [{{"value": "{people[1].pk}"}}]}}]}}',
        content_type="application/scim+json",
        HTTP_AUTHORIZATION=f"Bearer {scim.token}",
    )
    assert answer.status_code == 200, answer.content
    assert "members" not in answer.json()
    assert set(group.memberships.values_list("user_id", flat=True)) == {
        people[0].pk,
        people[1].pk,
    }
