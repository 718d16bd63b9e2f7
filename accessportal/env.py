"""Reading settings from environment variables (12-factor), with clear errors."""

import os
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name} must be 1/0, true/false, yes/no or on/off, not {raw!r}")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be {minimum} or more, not {value}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


EMAIL_BACKENDS = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "smtp+tls": "django.core.mail.backends.smtp.EmailBackend",
    "smtps": "django.core.mail.backends.smtp.EmailBackend",
}


def email_settings(url: str) -> dict[str, object]:
    """Turn EMAIL_URL (console:, locmem:, smtp://user:pass@host:587, smtps://...) into settings."""
    parts = urlsplit(url)
    if parts.scheme not in EMAIL_BACKENDS:
        known = ", ".join(sorted(EMAIL_BACKENDS))
        raise ImproperlyConfigured(f"EMAIL_URL scheme {parts.scheme!r} is not one of {known}")
    config: dict[str, object] = {"EMAIL_BACKEND": EMAIL_BACKENDS[parts.scheme]}
    if parts.scheme.startswith("smtp"):
        query = parse_qs(parts.query, keep_blank_values=True)
        config.update(
            EMAIL_HOST=parts.hostname or "localhost",
            EMAIL_PORT=parts.port or (465 if parts.scheme == "smtps" else 587),
            EMAIL_HOST_USER=unquote(parts.username or ""),
            EMAIL_HOST_PASSWORD=unquote(parts.password or ""),
            EMAIL_USE_TLS=parts.scheme == "smtp+tls" or "tls" in query,
            EMAIL_USE_SSL=parts.scheme == "smtps",
        )
    return config


def database_settings(
    url: str, *, conn_max_age: int = 0, pool: bool = False, test_name: str = ""
) -> dict[str, object]:
    """DATABASES["default"] from DATABASE_URL and the connection settings (README's table).

    PostgreSQL: JIT off (an OLTP app's short queries only pay its compile time); connections
    either live `conn_max_age` seconds (sync workers) or come from psycopg's pool (threaded
    servers: `pool` needs CONN_MAX_AGE 0). SQLite (the demo): writers wait for each other
    (IMMEDIATE transactions, 20 s timeout), and the test database is a file (`test_name`) so
    a test's worker process can open it.
    """
    config = dj_database_url.parse(url, conn_max_age=conn_max_age, conn_health_checks=True)
    options = config.setdefault("OPTIONS", {})
    if config["ENGINE"] == "django.db.backends.postgresql":
        options["options"] = f"{options.get('options', '')} -c jit=off".strip()
        if pool:
            options["pool"] = True
            config["CONN_MAX_AGE"] = 0
    elif config["ENGINE"] == "django.db.backends.sqlite3":
        if pool:
            raise ImproperlyConfigured("DB_POOL needs PostgreSQL; SQLite has no connection pool")
        options.update(timeout=20, transaction_mode="IMMEDIATE")
        config["CONN_MAX_AGE"] = 0
        if test_name:
            config["TEST"] = {"NAME": test_name}
    return config
