"""`make run`'s demo: what it prints matches the README, and the data says what it promises."""

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from applications.management.commands.seed_demo import DEMO_PASSWORD
from groups.models import JoinRequest

README = Path(__file__).resolve().parents[2] / "README.md"


def _readme_sign_ins() -> list[tuple[str, str]]:
    rows = re.findall(r"^\| `([^`]+@[^`]+)` \| (.+?) \|$", README.read_text(), re.MULTILINE)
    return [(email, who) for email, who in rows if email.endswith(".example")]


@pytest.mark.django_db
def test_the_printed_demo_sign_ins_are_the_readmes():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    printed = [
        (line.split()[0], line.split(DEMO_PASSWORD, 1)[1].strip())
        for line in out.getvalue().splitlines()
        if line.startswith("  ") and "@" in line
    ]
    readme = _readme_sign_ins()
    assert len(readme) == 7 and "manny@contoso.example" in dict(readme)
    assert printed == readme


@pytest.mark.django_db
def test_rita_has_pending_requests_as_the_readme_says():
    call_command("seed_demo", stdout=StringIO())
    pending = JoinRequest.objects.filter(requester__email="rita@contoso.example", status="pending")
    assert pending.count() > 1
    assert "member with pending requests" in dict(_readme_sign_ins()).values()


@pytest.mark.django_db
def test_the_settings_placeholder_is_no_real_address(client, tenant_admin):
    client.force_login(tenant_admin)
    html = client.get("/admin-center/settings/").content.decode()
    placeholders = re.findall(r'placeholder="([^"]*)"', html)
    assert placeholders and not any(".example" in p or "contoso" in p for p in placeholders)
