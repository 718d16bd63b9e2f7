"""A tenant always keeps an active global admin, whatever the surface asks."""

import pytest

from tenants.actions import delete_user, update_user
from tenants.errors import Conflict
from tenants.models import AuditEvent, User
from tests.factories import OPERATOR, TenantFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def only_admin():
    tenant = TenantFactory(name="Solo")  # created with its first global admin
    return User.objects.get(tenant=tenant, role=User.Role.GLOBAL_ADMIN)


@pytest.mark.parametrize(
    "change",
    [
        lambda person: update_user(person, actor=OPERATOR, is_active=False),
        lambda person: update_user(person, actor=OPERATOR, role=User.Role.MEMBER),
        lambda person: delete_user(person, actor=OPERATOR),
    ],
    ids=["deactivate", "demote", "delete"],
)
def test_the_last_global_admin_stays(only_admin, change):
    events = AuditEvent.objects.count()
    with pytest.raises(Conflict, match="last global admin"):
        change(only_admin)
    only_admin.refresh_from_db()
    assert only_admin.is_active and only_admin.role == User.Role.GLOBAL_ADMIN
    assert AuditEvent.objects.count() == events


def test_one_of_two_global_admins_can_step_down(only_admin):
    UserFactory(tenant=only_admin.tenant, role=User.Role.GLOBAL_ADMIN)
    update_user(only_admin, actor=OPERATOR, is_active=False)
    assert not User.objects.get(pk=only_admin.pk).is_active


def test_the_last_admin_of_another_tenant_doesnt_count(only_admin, other_tenant):
    UserFactory(tenant=other_tenant, role=User.Role.GLOBAL_ADMIN)
    with pytest.raises(Conflict):
        update_user(only_admin, actor=OPERATOR, is_active=False)
