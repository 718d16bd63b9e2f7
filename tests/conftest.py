"""Shared fixtures: two tenants and the named people every test speaks of.

Tests run on PostgreSQL when DATABASE_URL is set, SQLite otherwise.
"""

import os

import pytest
from django.core.cache import cache
from django.db import connection

from groups import actions
from groups.models import GroupType, MembershipPolicy
from tenants.actions import update_general_settings
from tests.factories import OPERATOR, GroupFactory, TenantFactory, UserFactory

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop + live_server


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2's real cost is for production; tests create hundreds of users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache; each test starts clean."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def on_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks (set DATABASE_URL to a PostgreSQL database)")


@pytest.fixture
def tenant(db):
    tenant = TenantFactory(name="Contoso")
    # The seed's "Make a group available for user self-service" steps.
    update_general_settings(tenant, actor=OPERATOR, owners_can_manage_requests=True)
    return tenant


@pytest.fixture
def other_tenant(db):
    return TenantFactory(name="Fabrikam")


@pytest.fixture
def tenant_admin(tenant):
    return UserFactory(
        tenant=tenant, role="global_admin", display_name="Ada Admin", email="ada@contoso.test"
    )


@pytest.fixture
def owner(tenant):
    return UserFactory(tenant=tenant, display_name="Olivia Owner", email="olivia@contoso.test")


@pytest.fixture
def member(tenant):
    return UserFactory(tenant=tenant, display_name="Mia Member", email="mia@contoso.test")


@pytest.fixture
def requester(tenant):
    return UserFactory(tenant=tenant, display_name="Rita Requester", email="rita@contoso.test")


@pytest.fixture
def outsider(tenant):
    return UserFactory(tenant=tenant, display_name="Otto Outsider", email="otto@contoso.test")


@pytest.fixture
def unlicensed_user(tenant):
    return UserFactory(
        tenant=tenant,
        display_name="Uma Unlicensed",
        email="uma@contoso.test",
        has_premium_license=False,
    )


@pytest.fixture
def other_tenant_user(other_tenant):
    return UserFactory(
        tenant=other_tenant, display_name="Felix Fabrikam", email="felix@fabrikam.test"
    )


@pytest.fixture
def group(owner, member, requester):
    """An owner-approval security group with one member and one pending request."""
    group = GroupFactory(
        created_by=owner,
        display_name="Site collaborators",
        group_type=GroupType.SECURITY,
        membership_policy=MembershipPolicy.OWNER_APPROVAL,
    )
    actions.add_members(group, actor=owner, people=[member])
    actions.request_to_join(group, actor=requester, justification="Launch work")
    return group


@pytest.fixture
def open_group(owner):
    return GroupFactory(
        created_by=owner, display_name="Lunch club", membership_policy=MembershipPolicy.OPEN
    )


@pytest.fixture
def closed_group(owner):
    return GroupFactory(
        created_by=owner, display_name="Finance", membership_policy=MembershipPolicy.CLOSED
    )


def set_settings(tenant, **values):
    """Flip General settings the way an admin does (through the action)."""
    return update_general_settings(tenant, actor=OPERATOR, **values)
