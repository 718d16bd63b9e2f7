import pytest

from tenants.actions import update_general_settings
from tenants.errors import Invalid, NotAllowed
from tenants.models import AuditEvent, GeneralSettings
from tests.factories import TenantFactory


@pytest.mark.django_db
def test_general_settings_defaults_equal_spec_section_2():
    settings = TenantFactory().settings
    assert settings.owners_can_manage_requests is False
    assert settings.restrict_access_to_groups is False
    assert settings.users_can_create_security_groups is True
    assert settings.users_can_create_microsoft365_groups is True
    assert settings.owners_who_can_assign_owners == "all"
    assert settings.selected_owner_assigners.count() == 0


def test_setting_labels_are_the_setting_names_verbatim():
    labels = [GeneralSettings._meta.get_field(f).verbose_name for f in GeneralSettings.FIELDS]
    assert labels == [
        "Owners can manage group membership requests in the Access Panel",
        "Restrict access to Groups in the Access Panel",
        "Users can create security groups",
        "Users can create Microsoft 365 groups",
        "Owners who can assign members as group owners",
    ]


@pytest.mark.django_db
def test_a_settings_change_writes_exactly_one_audit_event_with_old_and_new(tenant_admin):
    tenant = tenant_admin.tenant
    before = AuditEvent.objects.count()
    update_general_settings(
        tenant,
        actor=tenant_admin,
        restrict_access_to_groups=True,
        owners_can_manage_requests=True,
    )
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.latest("id")
    assert event.action == "settings.updated"
    assert event.actor == tenant_admin
    assert event.data["restrict_access_to_groups"] == {"old": False, "new": True}


@pytest.mark.django_db
def test_saving_unchanged_settings_writes_no_audit_event(tenant_admin):
    tenant = tenant_admin.tenant
    before = AuditEvent.objects.count()
    update_general_settings(tenant, actor=tenant_admin, users_can_create_security_groups=True)
    assert AuditEvent.objects.count() == before


@pytest.mark.django_db
def test_a_member_cant_change_settings_and_nothing_is_written(member):
    before = AuditEvent.objects.count()
    with pytest.raises(NotAllowed, match="global admin"):
        update_general_settings(member.tenant, actor=member, restrict_access_to_groups=True)
    assert AuditEvent.objects.count() == before
    assert member.tenant.settings.restrict_access_to_groups is False


@pytest.mark.django_db
def test_an_admin_of_another_tenant_cant_change_settings(tenant, other_tenant):
    from tests.factories import UserFactory

    foreign_admin = UserFactory(tenant=other_tenant, role="global_admin")
    with pytest.raises(NotAllowed, match="global admin"):
        update_general_settings(tenant, actor=foreign_admin, restrict_access_to_groups=True)


@pytest.mark.django_db
def test_selected_owner_assigners_must_be_people_of_the_tenant(tenant_admin, other_tenant_user):
    with pytest.raises(Invalid, match="Only people of this tenant"):
        update_general_settings(
            tenant_admin.tenant,
            actor=tenant_admin,
            owners_who_can_assign_owners="selected",
            selected_owner_assigners=[other_tenant_user],
        )


@pytest.mark.django_db
def test_audit_events_are_append_only(tenant_admin):
    event = AuditEvent.objects.first()
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        AuditEvent.objects.all().delete()
    with pytest.raises(TypeError):
        AuditEvent.objects.update(action="x")
