"""docs/api-walkthrough.sh, run with real curl against the live server: an administrator can
script the seed's set-up and both scenarios with the documented API."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from api.actions import create_api_token
from applications.models import Access, Application
from tests.factories import OPERATOR, UserFactory

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "api-walkthrough.sh"

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not (shutil.which("curl") and shutil.which("jq")), reason="needs curl and jq"
    ),
]


def test_the_documented_walkthrough_runs_against_the_live_api(live_server, tenant, tenant_admin):
    people = {
        name: UserFactory(tenant=tenant, display_name=name, email=f"{name.lower()}@contoso.test")
        for name in ("Olivia", "Manny", "Sam", "Sara", "Rita", "Alex", "Bianca", "Carlos")
    }
    env = {
        "PATH": os.environ["PATH"],
        "API": f"{live_server.url}/api/v1",
        "ADMIN_TOKEN": create_api_token(tenant_admin, actor=OPERATOR, name="script")[1],
    }
    for name, person in people.items():
        env[name.upper()] = person.email
        env[f"{name.upper()}_TOKEN"] = create_api_token(person, actor=OPERATOR, name="script")[1]
    done = subprocess.run(
        ["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Both scenarios done" in done.stdout
    travel = Application.objects.get(tenant=tenant, name="Travel")
    expenses = Application.objects.get(tenant=tenant, name="Expenses")
    assert set(Access.objects.filter(application=travel).values_list("user__email", flat=True)) == {
        "rita@contoso.test"
    }
    with_expenses = Access.objects.filter(application=expenses, blocked=False)
    assert set(with_expenses.values_list("user__email", flat=True)) == {
        "alex@contoso.test",
        "carlos@contoso.test",
    }
