"""The panel's notification list, its unread count, and email preferences."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from groups import actions
from groups.models import MembershipPolicy
from notifications.models import Delivery, Notification, Preference
from tenants.models import AuditEvent
from tests.factories import GroupFactory, UserFactory
from tests.notifications.conftest import to

pytestmark = pytest.mark.django_db


def test_the_list_shows_my_notifications_newest_first_and_marks_them_read(
    client, owner, requester, group, deliver
):
    deliver()
    client.force_login(owner)
    page = client.get("/notifications/")
    assert page.status_code == 200
    assert "Rita Requester asks to join “Site collaborators”".encode() in page.content
    assert b"1 unread" in page.content
    badge = client.get("/notifications/unread/")
    assert b">1<" in badge.content.replace(b" ", b"")
    client.post("/notifications/read/")
    assert b"0 unread" in client.get("/notifications/").content
    assert client.get("/notifications/unread/").content.strip() == b""


def test_nobody_sees_anyone_elses_notifications(client, member, requester, group, deliver):
    deliver()
    client.force_login(requester)
    assert b"Rita Requester asks to join" not in client.get("/notifications/").content
    client.post("/notifications/read/")
    assert Notification.objects.filter(kind="request_new", read_at__isnull=True).count() == 1


def test_every_page_links_to_notifications_and_loads_the_count_after_the_page(client, member):
    client.force_login(member)
    home = client.get("/")
    assert b'href="/notifications/"' in home.content
    assert b'hx-get="/notifications/unread/"' in home.content


def test_preferences_choose_the_digest_per_kind_and_are_audited(
    client, tenant, owner, deliver, mailoutbox
):
    client.force_login(owner)
    page = client.get("/notifications/preferences/")
    assert b"New requests waiting for your decision" in page.content
    choices = dict.fromkeys(_kinds(), Delivery.IMMEDIATE.value)
    choices["request_new"] = "digest"
    assert client.post("/notifications/preferences/", choices).status_code == 302
    assert Preference.objects.get(user=owner, kind="request_new").delivery == "digest"
    event = AuditEvent.objects.get(action="preferences.updated")
    assert event.actor == owner and event.data == {
        "request_new": {"old": "immediate", "new": "digest"}
    }
    group = GroupFactory(created_by=owner, membership_policy=MembershipPolicy.OWNER_APPROVAL)
    actions.request_to_join(group, actor=UserFactory(tenant=tenant), justification="x")
    deliver()
    assert to(mailoutbox, owner) == []  # waits for the digest
    notification = Notification.objects.get(recipient=owner)
    assert notification.delivery == "digest" and notification.emailed_at is None
    bad = client.post("/notifications/preferences/", {**choices, "member_added": "hourly"})
    assert bad.status_code == 200 and b"Select a valid choice" in bad.content


def _kinds():
    from notifications.models import NotificationKind

    return NotificationKind.values


def test_notification_pages_have_pinned_query_counts(client, tenant, owner, deliver):
    client.force_login(owner)
    counts = {}
    for size in (3, 40):
        group = GroupFactory(created_by=owner, membership_policy=MembershipPolicy.OWNER_APPROVAL)
        for _ in range(size):
            actions.request_to_join(group, actor=UserFactory(tenant=tenant), justification="x")
        deliver()
        counts[size] = {}
        for path in ("/notifications/", "/notifications/unread/", "/notifications/preferences/"):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(path).status_code == 200
            counts[size][path] = len(queries)
    assert counts[3] == counts[40]
    # The list: session, user, General settings, owns-any and the Approvals badge (5, the
    # navigation of every page), then count, page and unread count (3). The badge: session,
    # user, the count (3). Preferences: the navigation (5) and the person's choices (1).
    assert counts[40] == {
        "/notifications/": 8,
        "/notifications/unread/": 3,
        "/notifications/preferences/": 6,
    }
