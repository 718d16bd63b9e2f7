"""Bad or odd input gets a clear answer, never a 500 (found by review; each was a 500 once)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from groups import actions
from groups.models import Group, JoinRequest
from tenants.actions import update_user
from tenants.errors import Conflict
from tenants.models import AuditEvent, Tenant, User
from tests.factories import GroupFactory


@pytest.fixture
def operator(db):
    return User.objects.create_superuser("operator@example.test", "x")


@pytest.mark.django_db
def test_the_operator_lands_on_a_page_that_points_to_django_admin(client, operator):
    client.force_login(operator)
    response = client.get("/")
    assert response.status_code == 200
    assert "Django admin" in response.content.decode()
    assert client.get("/groups/").status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["²", "1" * 5000, "-1", "abc", ""])
def test_malformed_ids_are_ignored_or_404(client, group, owner, bad):
    client.force_login(owner)
    assert client.post("/approvals/approve-selected/", {"request": bad}).status_code == 302
    assert client.post(f"/groups/{group.pk}/members/remove/", {"user": bad}).status_code == 404
    assert client.post(f"/groups/{group.pk}/owners/remove/", {"user": bad}).status_code == 404
    response = client.post(f"/groups/{group.pk}/members/add/", {"confirm": "1", "user": bad})
    assert response.status_code == 302


@pytest.mark.django_db
def test_csv_with_classic_mac_line_endings_is_read(client, owner, member):
    group = GroupFactory(created_by=owner)
    upload = SimpleUploadedFile("people.csv", f"email\r{member.email}\r".encode())
    client.force_login(owner)
    preview = client.post(f"/groups/{group.pk}/members/add/", {"csv_file": upload}).context[
        "preview"
    ]
    assert [p.pk for p in preview.plan.added] == [member.pk]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"a@b.test," + b"x" * 200_000, "readable CSV"),
        (b"a@b.test\x00\n", "NUL"),
        (b"\xff\xfe", "UTF-8"),
    ],
)
def test_unreadable_csv_is_a_field_error(client, owner, content, message):
    group = GroupFactory(created_by=owner)
    client.force_login(owner)
    response = client.post(
        f"/groups/{group.pk}/members/add/", {"csv_file": SimpleUploadedFile("x.csv", content)}
    )
    assert response.status_code == 200
    assert message in str(response.context["form"].errors["csv_file"])


@pytest.mark.django_db
def test_nul_in_an_owner_email_is_a_message(client, group, owner):
    client.force_login(owner)
    response = client.post(
        f"/groups/{group.pk}/owners/add/", {"email": "a\x00b@x.test"}, follow=True
    )
    assert response.status_code == 200
    assert "No one in your organisation has the email address" in response.content.decode()


@pytest.mark.django_db
def test_nul_in_django_admin_input_is_a_400(client, tenant_admin):
    client.force_login(tenant_admin)
    response = client.get(
        "/admin/autocomplete/",
        {"term": "a\x00b", "app_label": "groups", "model_name": "ownership", "field_name": "user"},
    )
    assert response.status_code == 400
    assert b"NUL" in response.content
    assert client.get("/admin/tenants/user/", {"q": "a\x00"}).status_code == 400


@pytest.mark.django_db
@pytest.mark.parametrize("query", [{"until": "9999-12-31"}, {"since": "0001-01-01"}])
def test_audit_dates_at_the_edge_of_the_calendar(client, tenant_admin, query):
    client.force_login(tenant_admin)
    response = client.get("/admin-center/audit/", query)
    assert response.status_code == 200
    assert "Choose a date between" in response.content.decode()
    assert client.get("/admin-center/audit.csv", query).status_code == 200


@pytest.mark.django_db
def test_django_admin_deletes_a_group_with_requests_through_the_action(client, tenant_admin, group):
    client.force_login(tenant_admin)
    response = client.post(f"/admin/groups/group/{group.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Group.objects.filter(pk=group.pk).exists()
    assert AuditEvent.objects.filter(action="group.deleted", target_id=str(group.pk)).count() == 1


@pytest.mark.django_db
def test_operator_adding_a_user_without_a_tenant_is_told_so(client, operator):
    client.force_login(operator)
    response = client.post(
        "/admin/tenants/user/add/",
        {"email": "x@y.test", "display_name": "X", "role": "member", "tenant": ""},
        follow=True,
    )
    assert response.status_code == 200
    assert not User.objects.filter(email="x@y.test").exists()


@pytest.mark.django_db
def test_reactivating_a_licensed_person_needs_a_free_seat(
    tenant, tenant_admin, member, unlicensed_user
):
    update_user(member, actor=tenant_admin, is_active=False)
    used = User.objects.filter(tenant=tenant, has_premium_license=True, is_active=True).count()
    Tenant.objects.filter(pk=tenant.pk).update(premium_seats=used + 1)
    update_user(unlicensed_user, actor=tenant_admin, has_premium_license=True)  # takes the seat
    with pytest.raises(Conflict, match="Premium seats"):
        update_user(member, actor=tenant_admin, is_active=True)
    member.refresh_from_db()
    assert member.is_active is False


@pytest.mark.django_db
def test_a_deactivated_requester_cant_be_approved(group, owner, requester):
    join_request = JoinRequest.objects.get(requester=requester)
    User.objects.filter(pk=requester.pk).update(is_active=False)  # deactivated mid-flight
    with pytest.raises(Conflict, match="deactivated"):
        actions.approve_request(join_request, actor=owner)


@pytest.mark.django_db
def test_an_annotation_made_for_someone_else_is_not_trusted(group, owner, outsider):
    from groups.policy import Action, Decider, can

    row = Decider(owner).annotate(Group.objects.filter(pk=group.pk), [Action.MANAGE_MEMBERS]).get()
    assert not can(outsider, Action.MANAGE_MEMBERS, row)


def test_sqlite_demo_transactions_take_the_write_lock_up_front():
    """Checked on the settings builder, so it runs whatever database the suite uses."""
    from accessportal.env import database_settings

    demo = database_settings("sqlite:////tmp/demo.sqlite3", conn_max_age=60)
    assert demo["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert demo["OPTIONS"]["timeout"] == 20
    assert demo["CONN_MAX_AGE"] == 0  # one connection per request: nothing is held open
