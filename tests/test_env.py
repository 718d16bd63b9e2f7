"""Settings from environment variables: the README's table, with clear errors for bad values."""

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from accessportal.env import email_settings, env_bool, env_list
from tests import processes


def test_email_url_schemes():
    assert email_settings("console:")["EMAIL_BACKEND"].endswith("console.EmailBackend")
    assert email_settings("locmem:")["EMAIL_BACKEND"].endswith("locmem.EmailBackend")
    smtp = email_settings("smtp://mailer:p%40ss@mail.example.com:2525?tls")
    assert smtp["EMAIL_HOST"] == "mail.example.com" and smtp["EMAIL_PORT"] == 2525
    assert smtp["EMAIL_HOST_USER"] == "mailer" and smtp["EMAIL_HOST_PASSWORD"] == "p@ss"
    assert smtp["EMAIL_USE_TLS"] is True and smtp["EMAIL_USE_SSL"] is False
    assert email_settings("smtps://u:p@mail.example.com")["EMAIL_PORT"] == 465
    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL scheme 'pigeon'"):
        email_settings("pigeon://coop")


def test_booleans_and_lists(monkeypatch):
    monkeypatch.setenv("X_FLAG", "yes")
    assert env_bool("X_FLAG", default=False) is True
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG must be"):
        env_bool("X_FLAG", default=False)
    monkeypatch.setenv("X_HOSTS", " a.example , b.example ,")
    assert env_list("X_HOSTS", []) == ["a.example", "b.example"]
    assert env_list("X_UNSET", ["d"]) == ["d"]


def _settings_value(expression: str, **env: str) -> str:
    code = (
        f"import django, os; django.setup(); from django.conf import settings; print({expression})"
    )
    base = {
        k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS")
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        env={**base, "DJANGO_SETTINGS_MODULE": "accessportal.settings", **env},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_sso_is_configured_from_the_environment():
    apps = _settings_value(
        "settings.SOCIALACCOUNT_PROVIDERS['openid_connect']['APPS']",
        OIDC_SERVER_URL="https://idp.example.com/realms/contoso",
        OIDC_CLIENT_ID="access-panel",
        OIDC_CLIENT_SECRET="s3cret",
        OIDC_PROVIDER_NAME="Contoso SSO",
    )
    assert "'provider_id': 'sso'" in apps and "Contoso SSO" in apps and "idp.example.com" in apps


def test_the_development_key_is_refused_beyond_localhost(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    error = processes.django_setup_error(DEBUG="1", ALLOWED_HOSTS="panel.example.com")
    assert "SECRET_KEY must be set when the site is served beyond localhost" in error


def test_database_connections_have_a_safe_default_and_can_be_pooled():
    """A threaded server must not keep a connection per thread (review round 1, item 8)."""
    from accessportal.env import database_settings

    url = "postgres://app@db.example:5432/accessportal"
    default = _settings_value("settings.DATABASES['default']['CONN_MAX_AGE']", DATABASE_URL=url)
    assert default == "0"
    kept = database_settings(url, conn_max_age=60)
    assert kept["CONN_MAX_AGE"] == 60
    assert "-c jit=off" in kept["OPTIONS"]["options"]
    pooled = database_settings(url, conn_max_age=60, pool=True)
    assert (pooled["OPTIONS"]["pool"], pooled["CONN_MAX_AGE"]) == (True, 0)
    from_env = _settings_value(
        "settings.DATABASES['default']['OPTIONS']['pool']", DATABASE_URL=url, DB_POOL="1"
    )
    assert from_env == "True"
    with pytest.raises(ImproperlyConfigured, match="DB_POOL needs PostgreSQL"):
        database_settings("sqlite:////tmp/x.sqlite3", pool=True)


def test_trusted_proxies_are_read_from_the_environment(monkeypatch):
    count = _settings_value("settings.ALLAUTH_TRUSTED_PROXY_COUNT", TRUSTED_PROXY_COUNT="2")
    header = _settings_value(
        "settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER", TRUSTED_CLIENT_IP_HEADER="X-Real-IP"
    )
    assert (count, header) == ("2", "X-Real-IP")
    assert _settings_value("settings.ALLAUTH_TRUSTED_PROXY_COUNT") == "0"
    from accessportal.env import env_int

    monkeypatch.setenv("X_COUNT", "one")
    with pytest.raises(ImproperlyConfigured, match="X_COUNT must be a whole number"):
        env_int("X_COUNT", 0)


def test_a_log_line_is_printed_once_in_debug():
    """runserver's "Watching for file changes" was printed twice: Django's console handler on
    the "django" logger and ours on the root."""
    code = (
        "import django, logging; django.setup(); "
        "logging.getLogger('django.utils.autoreload').info('Watching for file changes')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "accessportal.settings", "DEBUG": "1"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("Watching for file changes") == 1


def test_the_package_license_is_an_spdx_string():
    """setuptools warned (three times per install) about a license table and classifiers."""
    import tomllib
    from pathlib import Path

    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT"
    assert not [c for c in project.get("classifiers", []) if c.startswith("License ::")]
