"""Production settings pass Django's deployment checks; DEBUG=0 refuses to start without a key."""

import os
import subprocess
import sys


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        capture_output=True,
        text=True,
        check=False,
        # the test run's own DJANGO_ALLOW_ASYNC_UNSAFE (for Playwright) is no production setting
        env={k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"} | env,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY="x" * 30 + "-production-secret-" + "y" * 30,
        ALLOWED_HOSTS="panel.example.com",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_needs_a_secret_key():
    result = _manage("check", DEBUG="0", SECRET_KEY="", ALLOWED_HOSTS="panel.example.com")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
