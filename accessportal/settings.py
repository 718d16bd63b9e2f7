"""Settings for Access Panel, read from environment variables (see the README's table)."""

import os
from pathlib import Path

from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from accessportal.env import database_settings, email_settings, env_bool, env_int, env_list

BASE_DIR = Path(__file__).resolve().parent.parent

# The demo (`make run` sets DEMO=1) runs as production does, with the product's own 403, 404
# and 500 pages instead of Django's debug pages (which list every URL pattern), but on this
# machine only: plain HTTP, the development key, static files straight from static/.
DEMO = env_bool("DEMO", default=False)
DEBUG = env_bool("DEBUG", default=not DEMO)
LOCAL = DEBUG or DEMO  # served on this machine by `runserver`, not deployed
LOCAL_HOSTS = ["127.0.0.1", "localhost", "[::1]", "testserver"]
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", LOCAL_HOSTS if LOCAL else [])
if DEMO and set(ALLOWED_HOSTS) - set(LOCAL_HOSTS):
    raise ImproperlyConfigured("DEMO=1 is for this machine only: set DEMO=0 to serve other hosts")
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not LOCAL:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    if set(ALLOWED_HOSTS) - set(LOCAL_HOSTS):
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when the site is served beyond localhost"
        )
    SECRET_KEY = "dev-only-insecure-key-change-me-access-panel-0123456789abcdef"
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "django_htmx",
    "crispy_forms",
    "crispy_bootstrap5",
    "template_partials",
    "csp",
    "tenants",  # before django_tasks_db: its db_worker command adds the periodic jobs
    "groups",
    "applications",
    "provisioning",
    "notifications",
    "api",
    "scim",
    "admincenter",
    "ninja",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "tenants.web.PrivatePagesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "tenants.web.RefusalMiddleware",
    "tenants.middleware.RejectNulMiddleware",
]

ROOT_URLCONF = "accessportal.urls"
WSGI_APPLICATION = "accessportal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "groups.context_processors.navigation",
            ],
        },
    }
]

DATABASES = {
    "default": database_settings(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")),
        pool=env_bool("DB_POOL", default=False),
        test_name=str(BASE_DIR / "test-db.sqlite3"),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "tenants.User"
AUTHENTICATION_BACKENDS = [
    "tenants.backends.TenantUserBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "my_groups"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"

# django-allauth: email + password, no self sign-up (people come from the directory),
# rate-limited failed logins, password reset by email.
ACCOUNT_ADAPTER = "tenants.adapters.DirectoryAccountAdapter"
ACCOUNT_FORMS = {"login": "tenants.adapters.SignInForm"}
SOCIALACCOUNT_ADAPTER = "tenants.adapters.DirectorySocialAccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_RATE_LIMITS = {
    "login_failed": os.environ.get("LOGIN_FAILED_RATE_LIMIT", "10/m/ip,5/5m/key"),
}
# The client's address that the limits count by. Behind a TLS proxy every request comes from
# the proxy, so without these everyone would share one limit: trust the last N entries of
# X-Forwarded-For (N = the proxies you run), or a header your proxy sets (README, deployment).
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = os.environ.get("TRUSTED_CLIENT_IP_HEADER", "").strip() or None
# SSO: an organisation adds its OpenID Connect identity provider by configuration.
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_ONLY = False
SOCIALACCOUNT_PROVIDERS: dict[str, dict] = {"openid_connect": {"APPS": []}}
if os.environ.get("OIDC_SERVER_URL"):
    SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"].append(
        {
            "provider_id": os.environ.get("OIDC_PROVIDER_ID", "sso"),
            "name": os.environ.get("OIDC_PROVIDER_NAME", "Single sign-on"),
            "client_id": os.environ["OIDC_CLIENT_ID"],
            "secret": os.environ.get("OIDC_CLIENT_SECRET", ""),
            "settings": {"server_url": os.environ["OIDC_SERVER_URL"]},
        }
    )

# Background work (docs/events.md): django-tasks with its database backend, run by
# `manage.py db_worker`; the outbox's delivery settings can be tuned from the environment.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
OUTBOX = {
    "LEASE_SECONDS": int(os.environ.get("OUTBOX_LEASE_SECONDS", "300")),
    "MAX_ATTEMPTS": int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "12")),
    "BACKOFF_CAP_SECONDS": int(os.environ.get("OUTBOX_BACKOFF_CAP_SECONDS", "3600")),
}

# Provisioning (docs/provisioning.md): SCIM endpoints on private addresses are refused in
# production (a tenant's admin must not reach the deployment's network); a local run allows them.
PROVISIONING_ALLOW_PRIVATE_ADDRESSES = env_bool("PROVISIONING_ALLOW_PRIVATE_ADDRESSES", LOCAL)
PROVISIONING_RECONCILE_MINUTES = int(os.environ.get("PROVISIONING_RECONCILE_MINUTES", "60"))
# How long a worker's claim on one account lasts: longer than the few calls it makes (10 s
# timeout each); a worker that dies holds its accounts this long.
PROVISIONING_CLAIM_SECONDS = int(os.environ.get("PROVISIONING_CLAIM_SECONDS", "60"))

# Notifications (docs/notifications.md): links in emails point at SITE_URL; email links
# expire after NOTIFICATIONS_LINK_DAYS; digests go out at the first housekeeping run after
# NOTIFICATIONS_DIGEST_HOUR (TIME_ZONE); the worker runs housekeeping every
# HOUSEKEEPING_EVERY_MINUTES (0: only from cron or a systemd timer).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
NOTIFICATIONS = {
    "LINK_DAYS": int(os.environ.get("NOTIFICATIONS_LINK_DAYS", "7")),
    "DIGEST_HOUR": int(os.environ.get("NOTIFICATIONS_DIGEST_HOUR", "7")),
    "HOUSEKEEPING_EVERY_MINUTES": int(os.environ.get("HOUSEKEEPING_EVERY_MINUTES", "10")),
}

# The REST API (api/): calls per token, counted in the cache (shared across workers with Redis).
API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "600/m")

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if os.environ.get("REDIS_URL"):
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["REDIS_URL"],
    }

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# whitenoise serves static/ directly (no collectstatic) when running locally.
WHITENOISE_USE_FINDERS = LOCAL
WHITENOISE_AUTOREFRESH = LOCAL
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

vars().update(email_settings(os.environ.get("EMAIL_URL", "console:")))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Access Panel <no-reply@localhost>")

# Security headers. A strict CSP: no inline script or style, nothing from other origins.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not LOCAL
CSRF_COOKIE_SECURE = not LOCAL
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not LOCAL)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if LOCAL else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not LOCAL
SECURE_HSTS_PRELOAD = not LOCAL

# One console handler, on the root logger. Django's own "django" logger gets no handler of its
# own (Django's default gives it a console handler when DEBUG is on, so every line, such as
# runserver's "Watching for file changes", was printed twice); its records reach the root.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django": {"handlers": [], "level": "INFO", "propagate": True}},
}
