"""Time-bound membership and group expiration in the panel: an end date when adding or
approving, the group's default duration, Renew (owners; members where the group allows it),
Renew group, and the rule held to who_may()."""

from datetime import timedelta

import pytest
from django.utils import timezone

from groups import actions, lifecycle
from groups.models import JoinRequest, Membership, MembershipPolicy
from groups.policy import Action, Decider, who_may
from tenants.actions import update_lifecycle_settings
from tenants.errors import Invalid
from tenants.models import AuditEvent
from tests.factories import OPERATOR, UserFactory

pytestmark = pytest.mark.django_db


def _day(days: int) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def _ends_on(membership: Membership) -> str:
    return timezone.localtime(membership.ends_at).date().isoformat()


def test_an_owner_adds_people_with_an_end_date(client, owner, outsider, open_group):
    client.force_login(owner)
    response = client.post(
        f"/groups/{open_group.pk}/members/add/",
        {"confirm": "1", "user": [outsider.pk], "ends_on": _day(30)},
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user=outsider, group=open_group)
    assert _ends_on(membership) == _day(30) and membership.term_days in (29, 30)
    event = AuditEvent.objects.get(action="member.added", target_id=str(open_group.pk))
    assert "ends_at" in event.data


def test_an_end_date_in_the_past_adds_nobody(client, owner, outsider, open_group):
    client.force_login(owner)
    response = client.post(
        f"/groups/{open_group.pk}/members/add/",
        {"confirm": "1", "user": [outsider.pk], "ends_on": _day(-1)},
    )
    assert response.status_code == 302  # back to the form, with the reason
    assert not Membership.objects.filter(user=outsider).exists()
    with pytest.raises(Invalid, match="must be in the future"):
        actions.add_members(
            open_group, actor=owner, people=[outsider], ends_at=timezone.now() - timedelta(hours=1)
        )


def test_an_owner_approves_with_an_end_date(client, owner, requester, group):
    join_request = JoinRequest.objects.get(requester=requester)
    client.force_login(owner)
    client.post(f"/requests/{join_request.pk}/approve/", {"ends_on": _day(14), "next": "/"})
    assert _ends_on(Membership.objects.get(user=requester, group=group)) == _day(14)
    approved = AuditEvent.objects.get(action="request.approved")
    assert approved.actor == owner


def test_approvals_offer_the_end_date_beside_approve(client, owner, requester, group):
    client.force_login(owner)
    page = client.get("/approvals/")
    assert b'name="ends_on"' in page.content and b"Ends" in page.content


def test_owners_set_the_default_duration_members_may_not(client, owner, member, group):
    client.force_login(member)
    url = f"/groups/{group.pk}/membership-options/"
    assert client.post(url, {"default_membership_days": "30"}).status_code == 403
    client.force_login(owner)
    client.post(url, {"default_membership_days": "30", "members_can_renew": "on"})
    group.refresh_from_db()
    assert (group.default_membership_days, group.members_can_renew) == (30, True)
    changed = AuditEvent.objects.filter(action="group.updated", target_id=str(group.pk)).last()
    assert changed.data["default_membership_days"] == {"old": None, "new": 30}
    page = client.get(f"/groups/{group.pk}/")
    assert b"Memberships last" in page.content and b"30 days" in page.content


def test_renew_is_one_click_for_owners_and_for_members_where_the_group_allows_it(
    client, owner, member, group
):
    actions.remove_member(group, actor=owner, person=member)
    actions.add_members(
        group, actor=owner, people=[member], ends_at=timezone.now() + timedelta(days=5)
    )
    renew = f"/groups/{group.pk}/members/renew/"
    client.force_login(member)
    page = client.get(f"/groups/{group.pk}/")
    assert b"Your membership ends on" in page.content
    assert b"can&#x27;t renew their own membership" in page.content
    assert client.post(renew, {"user": member.pk}).status_code == 403
    lifecycle.set_membership_options(
        group, actor=owner, default_membership_days=None, members_can_renew=True
    )
    before = Membership.objects.get(user=member).ends_at
    assert client.post(renew, {"user": member.pk}).status_code == 302
    after = Membership.objects.get(user=member).ends_at
    assert after - before == timedelta(days=5)
    client.force_login(owner)
    page = client.get(f"/groups/{group.pk}/")
    assert b">Renew</button>" in page.content
    client.post(renew, {"user": member.pk})
    assert Membership.objects.get(user=member).ends_at - after == timedelta(days=5)
    assert AuditEvent.objects.filter(action="membership.renewed").count() == 2


def test_a_membership_without_an_end_cant_be_renewed(owner, member, group):
    from tenants.errors import Conflict

    with pytest.raises(Conflict, match="doesn't end"):
        lifecycle.renew_membership(group, actor=owner, person=member)


def test_renew_group_shows_the_expiry_and_starts_the_lifetime_again(
    client, tenant, owner, member, group
):
    client.force_login(owner)
    assert b"Renew group" not in client.get(f"/groups/{group.pk}/").content  # no policy yet
    update_lifecycle_settings(
        tenant, actor=OPERATOR, group_lifetime_days=90, group_expiration_applies_to="all"
    )
    page = client.get(f"/groups/{group.pk}/")
    assert b"Renew group" in page.content and b"Expires" in page.content
    client.force_login(member)
    assert b"Renew group" not in client.get(f"/groups/{group.pk}/").content
    assert client.post(f"/groups/{group.pk}/renew/").status_code == 403
    client.force_login(owner)
    assert client.post(f"/groups/{group.pk}/renew/").status_code == 302
    group.refresh_from_db()
    assert group.renewed_at is not None
    assert AuditEvent.objects.get(action="group.renewed").actor == owner


@pytest.mark.parametrize("members_can_renew", [True, False])
def test_who_may_renew_agrees_with_can(tenant, tenant_admin, owner, member, members_can_renew):
    outsider = UserFactory(tenant=tenant)
    groups = []
    for policy in MembershipPolicy.values:
        for group_type in ("security", "microsoft365", "distribution"):
            group = actions.create_group(
                actor=tenant_admin,
                display_name=f"{group_type} {policy}",
                group_type=group_type,
                source="admin_center",
                membership_policy=policy,
                owners=[owner],
            )
            actions.add_members(group, actor=tenant_admin, people=[member, owner, tenant_admin])
            lifecycle.set_membership_options(
                group,
                actor=tenant_admin,
                default_membership_days=None,
                members_can_renew=members_can_renew,
            )
            groups.append(group)
    for group in groups:
        group.refresh_from_db()  # who_may reads the group's own fields
        listed = set(who_may(Action.RENEW_OWN, group).values_list("pk", flat=True))
        for person in (tenant_admin, owner, member, outsider):
            may = bool(Decider(person).can(Action.RENEW_OWN, group, use_annotation=False))
            assert (person.pk in listed) is may, (group.display_name, person.display_name)


def test_an_end_without_a_term_is_refused_by_the_database(group, member):
    """Renew adds the membership's term again: an end date without one can't be stored."""
    from django.db import IntegrityError, transaction

    ends = timezone.now() + timedelta(days=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.filter(group=group, user=member).update(ends_at=ends)
    Membership.objects.filter(group=group, user=member).update(ends_at=ends, term_days=30)
