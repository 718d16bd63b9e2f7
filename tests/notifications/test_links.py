"""Acting from the email: signed Approve, Deny and Open links lead to a confirmation page;
the person must be signed in and the link theirs; links work once, expire, and never act on
a GET; the decision goes through the panel's own action and policy."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from groups.models import JoinRequest, Membership
from notifications.models import EmailLink
from tenants.models import AuditEvent
from tests.factories import UserFactory
from tests.notifications.conftest import link, to

pytestmark = pytest.mark.django_db


@pytest.fixture
def email(owner, requester, group, deliver, mailoutbox):
    """The new-request email the owner got for Rita's request."""
    deliver()
    [message] = to(mailoutbox, owner)
    return message


def _pending(requester) -> JoinRequest:
    return JoinRequest.objects.get(requester=requester, group__display_name="Site collaborators")


def _decisions() -> int:
    return AuditEvent.objects.filter(action__in=["request.approved", "request.denied"]).count()


def test_following_a_link_shows_a_confirmation_page_and_changes_nothing(
    client, owner, requester, email
):
    client.force_login(owner)
    for label in ("Approve", "Deny", "Open"):
        page = client.get(link(email, label))
        assert page.status_code == 200
        assert b"Rita Requester" in page.content and b"Launch work" in page.content
    assert _pending(requester).status == "pending"
    assert not EmailLink.objects.filter(used_at__isnull=False).exists()
    assert b"Approve this request?" in client.get(link(email, "Approve")).content


def test_a_valid_link_and_confirmation_decide_exactly_once(client, owner, requester, email):
    client.force_login(owner)
    approve = link(email, "Approve")
    response = client.post(approve, {"ends_on": ""})
    assert response.status_code == 302
    join_request = _pending(requester)
    assert join_request.status == "approved" and join_request.decided_by == owner
    event = AuditEvent.objects.get(action="request.approved")
    assert (event.actor, event.surface) == (owner, "email")  # the same action, seen as email
    again = client.post(approve, {"ends_on": ""})
    assert again.status_code == 410
    assert b"already used" in again.content
    deny = client.post(link(email, "Deny"), {"reason": "changed my mind"})
    assert deny.status_code == 200 and b"already approved" in deny.content
    assert _decisions() == 1
    assert Membership.objects.filter(user=requester, group=join_request.group).count() == 1


def test_a_deny_link_carries_the_reason_to_the_requester(
    client, owner, requester, email, deliver, mailoutbox
):
    client.force_login(owner)
    client.post(link(email, "Deny"), {"reason": "Launch team only"})
    assert _pending(requester).status == "denied"
    deliver()
    [told] = to(mailoutbox, requester)
    assert "Reason: “Launch team only”" in told.body


def test_an_approve_link_may_set_the_membership_end(client, owner, requester, email):
    client.force_login(owner)
    day = (timezone.localdate() + timedelta(days=20)).isoformat()
    client.post(link(email, "Approve"), {"ends_on": day})
    membership = Membership.objects.get(user=requester)
    assert timezone.localtime(membership.ends_at).date().isoformat() == day


def test_a_link_belonging_to_someone_else_changes_nothing_and_shows_nothing(
    client, tenant, owner, requester, email, group
):
    from groups import actions

    co_owner = UserFactory(tenant=tenant, display_name="Cora Co-owner")
    actions.add_owner(group, actor=owner, person=co_owner)  # may decide, but not with this link
    client.force_login(co_owner)
    approve = link(email, "Approve")
    page = client.get(approve)
    assert page.status_code == 403
    assert b"Rita" not in page.content
    assert client.post(approve, {"ends_on": ""}).status_code == 403
    assert _pending(requester).status == "pending"
    assert _decisions() == 0


def test_an_expired_link_changes_nothing(client, owner, requester, email):
    client.force_login(owner)
    with time_machine.travel(timezone.now() + timedelta(days=8), tick=False):
        client.force_login(owner)
        page = client.post(link(email, "Approve"), {"ends_on": ""})
        assert page.status_code == 410
        assert b"expired" in page.content
    assert _pending(requester).status == "pending"
    assert _decisions() == 0


def test_a_get_never_acts_and_a_signed_out_person_is_sent_to_sign_in(
    client, owner, requester, email
):
    approve = link(email, "Approve")
    response = client.get(approve)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.post(approve).status_code == 302  # to sign in, too
    client.force_login(owner)
    for _ in range(3):
        client.get(approve)
    assert _pending(requester).status == "pending"


def test_a_tampered_link_is_not_found(client, owner, email):
    client.force_login(owner)
    approve = link(email, "Approve")
    assert client.get(approve[:-3] + "xyz/").status_code == 404
    assert client.get("/notifications/links/not-a-token/").status_code == 404


def test_the_open_link_shows_the_request_with_the_panels_decision_forms(
    client, owner, requester, email
):
    client.force_login(owner)
    page = client.get(link(email, "Open"))
    assert page.status_code == 200
    assert f'action="/requests/{_pending(requester).pk}/approve/"'.encode() in page.content
    assert client.post(link(email, "Open"), {"ends_on": ""}).status_code == 200  # decides nothing
    assert _pending(requester).status == "pending"


def test_the_policy_still_decides_a_link_of_an_owner_who_lost_their_license(
    client, owner, requester, email
):
    from tenants.actions import update_user
    from tests.factories import OPERATOR

    update_user(owner, actor=OPERATOR, has_premium_license=False)
    client.force_login(owner)
    page = client.post(link(email, "Approve"), {"ends_on": ""})
    assert page.status_code == 200
    assert b"Premium license" in page.content
    assert _pending(requester).status == "pending"
    assert EmailLink.objects.filter(used_at__isnull=False).count() == 0  # rolled back
