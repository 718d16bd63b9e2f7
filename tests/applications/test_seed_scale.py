"""manage.py seed_scale: the benchmark tenant, built small here, with its promises kept."""

import pytest
from django.core.management import CommandError, call_command

from applications.management.commands import seed_scale
from applications.models import Access, Application
from groups import counts
from groups.models import Group, JoinRequest, Membership
from tenants.models import AuditEvent, EventKind, Tenant, User

pytestmark = pytest.mark.django_db(transaction=True)

SMALL = {"users": 400, "groups": 60, "memberships": 2000, "pending": 120}


@pytest.fixture
def scale():
    call_command("seed_scale", verbosity=0, **SMALL)
    return Tenant.objects.get(name=seed_scale.TENANT)


def test_it_builds_the_tenant_it_promises(scale):
    people = User.objects.filter(tenant=scale)
    assert people.count() == SMALL["users"] + 1  # and its first global admin
    assert people.values("email").distinct().count() == people.count()
    groups = Group.objects.filter(tenant=scale)
    assert groups.count() == SMALL["groups"]
    assert Membership.objects.filter(group__tenant=scale).count() == SMALL["memberships"]
    requests = JoinRequest.objects.filter(tenant=scale)
    assert requests.filter(status="pending").count() == SMALL["pending"]
    assert requests.exclude(status="pending").count() == SMALL["pending"] * 3 // 2
    # One big group (half the people at this size), one owner with a quarter of the pending.
    big = groups.get(display_name=seed_scale.BIG_GROUP)
    assert big.memberships.count() == SMALL["users"] // 2
    owner = people.get(email=seed_scale.OWNER_EMAIL)
    waiting = requests.filter(status="pending", group__ownerships__user=owner)
    assert waiting.count() == SMALL["pending"] // 4
    # No one asks to join a group they are in; the typical member is in about ten groups.
    for join_request in requests.filter(status="pending"):
        assert not Membership.objects.filter(
            group_id=join_request.group_id, user_id=join_request.requester_id
        ).exists()
    member = people.get(email=seed_scale.MEMBER_EMAIL)
    assert member.memberships.count() >= SMALL["memberships"] // SMALL["users"]


def test_the_counts_in_group_rows_are_right(scale):
    ids = list(Group.objects.filter(tenant=scale).values_list("pk", flat=True))
    assert counts.stored(ids) == counts.recounted(ids)


def test_access_and_audit_rows_are_written(scale):
    intranet = Application.objects.get(tenant=scale, name="Intranet")
    big = Group.objects.get(tenant=scale, display_name=seed_scale.BIG_GROUP)
    assert Access.objects.filter(application=intranet).count() == big.memberships.count()
    audit = AuditEvent.objects.filter(tenant=scale)
    assert audit.filter(action=EventKind.MEMBER_ADDED).count() == SMALL["memberships"]
    assert audit.filter(action=EventKind.USER_CREATED).count() == SMALL["users"]
    assert audit.filter(action=EventKind.GROUP_CREATED).count() == SMALL["groups"]
    assert audit.filter(action=EventKind.REQUEST_CREATED).count() == SMALL["pending"] * 5 // 2


def test_a_second_run_refuses_and_says_why(scale):
    with pytest.raises(CommandError, match="“Scale” already exists"):
        call_command("seed_scale", verbosity=0, **SMALL)
    assert Tenant.objects.filter(name=seed_scale.TENANT).count() == 1


def test_the_named_people_can_sign_in(scale, client):
    for email in (seed_scale.OWNER_EMAIL, seed_scale.MEMBER_EMAIL, seed_scale.ADMIN_EMAIL):
        assert client.login(email=email, password=seed_scale.PASSWORD), email
