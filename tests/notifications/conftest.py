"""Notifications tests: the worker's deliveries run in the test (tenants.outbox), emails go to
Django's locmem backend (pytest-django's `mailoutbox`)."""

import re
from datetime import UTC, datetime

import pytest

from tenants import outbox
from tenants.models import OutboxDelivery


@pytest.fixture
def deliver():
    """deliver() runs every due delivery now, as the worker would; returns how many ran."""

    def run() -> int:
        OutboxDelivery.objects.filter(status="pending").update(next_attempt_at=_past())
        return outbox.deliver_ready()

    return run


def _past() -> datetime:
    return datetime(2000, 1, 1, tzinfo=UTC)


def to(mailoutbox, person) -> list:
    """The emails sent to this person."""
    return [m for m in mailoutbox if m.to == [person.email]]


def html_of(message) -> str:
    return next(body for body, kind in message.alternatives if kind == "text/html")


def link(message, label: str) -> str:
    """The URL of a button in the text part, as a path (the test client's)."""
    found = re.search(rf"^{label}: (\S+)$", message.body, re.MULTILINE)
    assert found, f"no {label} link in:\n{message.body}"
    return found.group(1).removeprefix("http://127.0.0.1:8000")
