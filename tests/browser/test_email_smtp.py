"""End to end through a real mail server: a request made in the browser is emailed by a real
`manage.py db_worker` to an SMTP capture server (aiosmtpd on 127.0.0.1); the owner follows
the email's Approve link, confirms, and the requester's approval email arrives too."""

import email
import re
import socket
from email import policy

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import expect

from groups.models import JoinRequest, MembershipPolicy
from tests.factories import GroupFactory
from tests.processes import db_worker, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


class Capture:
    """An SMTP server's handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_capture():
    """A real SMTP server on 127.0.0.1 for this test only; stopped when it ends."""
    capture = Capture()
    controller = Controller(capture, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield capture, controller.port
    finally:
        controller.stop()


def _to(capture: Capture, address: str) -> list:
    return [m for m in capture.messages if m["To"] == address]


def test_a_request_is_emailed_and_approved_from_the_email(
    live_server, page, owner, requester, sign_in, smtp_capture
):
    capture, port = smtp_capture
    group = GroupFactory(
        created_by=owner,
        display_name="Launch site",
        membership_policy=MembershipPolicy.OWNER_APPROVAL,
    )
    env = {"EMAIL_URL": f"smtp://127.0.0.1:{port}", "SITE_URL": live_server.url}
    with db_worker(env=env):
        sign_in(page, requester)
        page.goto(f"{live_server.url}/groups/{group.pk}/")
        page.get_by_label("Business justification").fill("I run the launch.")
        page.get_by_role("button", name="Request to join").click()
        expect(page.get_by_text("Request sent.")).to_be_visible()

        wait_for(lambda: _to(capture, owner.email), timeout=60, what="the owner's email")
        [message] = _to(capture, owner.email)
        # (strip: Python's parser keeps the space of an encoded, folded Subject header)
        assert message["Subject"].strip() == "Rita Requester asks to join “Launch site”"
        text = message.get_body(preferencelist=("plain",)).get_content()
        html = message.get_body(preferencelist=("html",)).get_content()
        assert "I run the launch." in text and "Approve" in html
        approve = re.search(r"^Approve: (\S+)", text, re.MULTILINE).group(1)
        assert approve.startswith(f"{live_server.url}/notifications/links/")

        page.context.clear_cookies()
        sign_in(page, owner)
        page.goto(approve)
        expect(page.get_by_role("heading", name="Approve this request?")).to_be_visible()
        assert JoinRequest.objects.get(requester=requester).status == "pending"  # a GET: nothing
        page.get_by_role("button", name="Approve").click()
        expect(page.get_by_text("request to join “Launch site” approved")).to_be_visible()
        assert JoinRequest.objects.get(requester=requester).status == "approved"

        wait_for(lambda: _to(capture, requester.email), timeout=60, what="the requester's email")
        [told] = _to(capture, requester.email)
        assert told["Subject"].strip() == "Your request to join “Launch site” was approved"
        assert "Approved by Olivia Owner." in told.get_body(("plain",)).get_content()
    page.goto(approve)
    expect(page.get_by_text("already used")).to_be_visible()
    assert len(_to(capture, owner.email)) == 1
