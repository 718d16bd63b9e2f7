"""Django admin is tenant-scoped for global admins; the operator sees every tenant."""

import pytest

from tenants.models import AuditEvent, User
from tests.factories import UserFactory


@pytest.fixture
def fabrikam_admin(other_tenant):
    return UserFactory(tenant=other_tenant, role="global_admin", email="fiona@fabrikam.test")


@pytest.fixture
def operator(db):
    return User.objects.create_superuser("operator@example.test", "x", display_name="Operator")


@pytest.mark.django_db
def test_admin_of_fabrikam_cant_list_contoso_users(client, fabrikam_admin, member):
    client.force_login(fabrikam_admin)
    response = client.get("/admin/tenants/user/")
    assert response.status_code == 200
    assert fabrikam_admin.email.encode() in response.content
    assert member.email.encode() not in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("view", ["change", "history", "delete"])
def test_admin_of_fabrikam_gets_404_for_a_contoso_user(client, fabrikam_admin, member, view):
    client.force_login(fabrikam_admin)
    suffix = "" if view == "change" else f"{view}/"
    response = client.get(
        f"/admin/tenants/user/{member.pk}/change/{suffix}".replace(
            "change/history", "history"
        ).replace("change/delete", "delete")
    )
    assert response.status_code == 404


@pytest.mark.django_db
def test_admin_of_fabrikam_gets_404_for_contoso_settings(client, fabrikam_admin, tenant):
    client.force_login(fabrikam_admin)
    assert (
        client.get(f"/admin/tenants/generalsettings/{tenant.settings.pk}/change/").status_code
        == 404
    )
    listing = client.get("/admin/tenants/generalsettings/")
    assert listing.status_code == 200
    assert b"General settings of Contoso" not in listing.content
    assert b"General settings of Fabrikam" in listing.content


@pytest.mark.django_db
def test_operator_sees_every_tenant(client, operator, fabrikam_admin, member, tenant):
    client.force_login(operator)
    listing = client.get("/admin/tenants/user/")
    assert member.email.encode() in listing.content
    assert fabrikam_admin.email.encode() in listing.content
    assert client.get(f"/admin/tenants/user/{member.pk}/change/").status_code == 200
    assert (
        client.get(f"/admin/tenants/generalsettings/{tenant.settings.pk}/change/").status_code
        == 200
    )


@pytest.mark.django_db
def test_global_admin_flips_a_setting_in_django_admin_with_one_audit_event(
    client, tenant_admin, tenant
):
    client.force_login(tenant_admin)
    before = AuditEvent.objects.count()
    response = client.post(
        f"/admin/tenants/generalsettings/{tenant.settings.pk}/change/",
        {
            "owners_can_manage_requests": "on",
            "restrict_access_to_groups": "on",
            "users_can_create_security_groups": "on",
            "users_can_create_microsoft365_groups": "on",
            "owners_who_can_assign_owners": "all",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    tenant.settings.refresh_from_db()
    assert tenant.settings.restrict_access_to_groups is True
    assert AuditEvent.objects.count() == before + 1
    assert AuditEvent.objects.latest("id").actor == tenant_admin


@pytest.mark.django_db
def test_global_admin_edits_a_user_of_their_tenant_through_the_action(client, tenant_admin, member):
    client.force_login(tenant_admin)
    response = client.post(
        f"/admin/tenants/user/{member.pk}/change/",
        {
            "email": member.email,
            "display_name": "Mia M.",
            "role": "member",
            "has_premium_license": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.display_name == "Mia M."
    assert member.has_premium_license is False
    event = AuditEvent.objects.latest("id")
    assert event.action == "user.updated"
    assert event.data["has_premium_license"] == {"old": True, "new": False}


@pytest.mark.django_db
def test_global_admin_adds_a_user_to_their_own_tenant(client, tenant_admin):
    client.force_login(tenant_admin)
    response = client.post(
        "/admin/tenants/user/add/",
        {
            "email": "new@contoso.test",
            "display_name": "New Person",
            "role": "member",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert User.objects.get(email="new@contoso.test").tenant == tenant_admin.tenant


@pytest.mark.django_db
def test_a_member_cant_open_django_admin(client, member):
    client.force_login(member)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "login" in response["Location"]


@pytest.mark.django_db
def test_audit_log_is_read_only_and_scoped(client, fabrikam_admin, tenant_admin):
    client.force_login(fabrikam_admin)
    contoso_event = AuditEvent.objects.filter(tenant=tenant_admin.tenant).first()
    assert client.get(f"/admin/tenants/auditevent/{contoso_event.pk}/change/").status_code == 404
    own_event = AuditEvent.objects.filter(tenant=fabrikam_admin.tenant).first()
    response = client.post(f"/admin/tenants/auditevent/{own_event.pk}/change/", {"action": "x"})
    assert response.status_code == 403


# --- Only declared filters filter (a hash can't be read one character at a time) -------------


def _registered_admins():
    from django.contrib import admin

    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


@pytest.mark.django_db
@pytest.mark.parametrize("lookup", ["password__startswith", "password__regex", "password"])
def test_password_lookups_are_refused_in_the_user_list(client, tenant_admin, member, lookup):
    client.force_login(tenant_admin)
    response = client.get("/admin/tenants/user/", {lookup: "pbkdf2_sha256$"})
    assert response.status_code == 400
    assert member.email.encode() not in response.content


@pytest.mark.django_db
def test_every_admin_refuses_a_lookup_that_is_not_a_declared_filter(client, rf, operator, member):
    """Third-party admins (allauth's, django-tasks-db's) included."""
    client.force_login(operator)
    request = rf.get("/")
    request.user = operator
    for model, model_admin in _registered_admins():
        opts = model._meta
        url = f"/admin/{opts.app_label}/{opts.model_name}/"
        declared = model_admin.declared_lookups(request)
        for field in opts.concrete_fields:
            lookup = f"{field.attname}__startswith"
            if lookup in declared:
                continue
            response = client.get(url, {lookup: "a"})
            assert response.status_code == 400, (url, lookup, response.status_code)


@pytest.mark.django_db
def test_declared_filters_and_the_date_hierarchy_still_filter(client, operator, tenant_admin):
    client.force_login(operator)
    for url, params in [
        ("/admin/tenants/user/", {"role__exact": "global_admin"}),
        ("/admin/tenants/user/", {"has_premium_license__exact": "1", "is_active__exact": "1"}),
        ("/admin/tenants/user/", {"tenant__id__exact": tenant_admin.tenant_id}),
        ("/admin/tenants/auditevent/", {"created_at__year": "2026", "action__exact": "x"}),
        ("/admin/tenants/outboxdelivery/", {"trouble": "failing", "status__exact": "pending"}),
        ("/admin/groups/joinrequest/", {"status__exact": "pending"}),
        ("/admin/groups/group/", {"group_type__exact": "security", "tenant__id__exact": "1"}),
    ]:
        response = client.get(url, params)
        assert response.status_code == 200, (url, params)
    listing = client.get("/admin/tenants/user/", {"role__exact": "global_admin"})
    assert tenant_admin.email.encode() in listing.content


@pytest.mark.django_db
@pytest.mark.parametrize("selected", ["abc", "1.5", "", "99999999999999999999999"])
def test_an_admin_action_on_a_malformed_selection_is_a_message_not_a_500(
    client, tenant_admin, group, selected
):
    client.force_login(tenant_admin)
    response = client.post(
        "/admin/groups/joinrequest/",
        {"action": "approve_selected", "_selected_action": [selected]},
        follow=True,
    )
    assert response.status_code == 200
    assert "the selection sent isn" in response.content.decode()


# --- Tenants: changed by the operator, audited, never below the seats in use -----------------


@pytest.mark.django_db
def test_the_operator_changes_premium_seats_with_one_audit_event(client, operator, tenant):
    client.force_login(operator)
    response = client.post(
        f"/admin/tenants/tenant/{tenant.pk}/change/", {"name": "Contoso", "premium_seats": "75"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    tenant.refresh_from_db()
    assert tenant.premium_seats == 75
    event = AuditEvent.objects.filter(tenant=tenant).latest("id")
    assert (event.action, event.surface, event.actor_id) == (
        "tenant.updated",
        "django_admin",
        operator.pk,
    )
    assert event.data == {"premium_seats": {"old": 50, "new": 75}}


@pytest.mark.django_db
def test_premium_seats_below_the_seats_in_use_are_refused_with_the_count(
    client, operator, tenant, owner, member, requester
):
    in_use = tenant.premium_seat_holders().count()  # the first admin and three licensed people
    assert in_use == 4
    client.force_login(operator)
    before = AuditEvent.objects.count()
    response = client.post(
        f"/admin/tenants/tenant/{tenant.pk}/change/",
        {"name": "Contoso", "premium_seats": "3"},
        follow=True,
    )
    assert "4 Premium seats are in use in Contoso" in response.content.decode()
    tenant.refresh_from_db()
    assert tenant.premium_seats == 50
    assert AuditEvent.objects.count() == before
    response = client.post(
        f"/admin/tenants/tenant/{tenant.pk}/change/", {"name": "Contoso", "premium_seats": "4"}
    )
    assert response.status_code == 302
    tenant.refresh_from_db()
    assert tenant.premium_seats == 4


@pytest.mark.django_db
def test_only_the_operator_changes_a_tenant(tenant, tenant_admin):
    from tenants.actions import update_tenant
    from tenants.errors import NotAllowed

    with pytest.raises(NotAllowed):
        update_tenant(tenant, actor=tenant_admin, premium_seats=500)
