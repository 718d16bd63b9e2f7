"""Bearer tokens stored as a prefix and a digest: shown once, never readable again.

A token reads `<kind>_<prefix>_<secret>`; the prefix finds the row, the secret's SHA-256
checks it (compared in constant time). Used by API tokens (api/) and SCIM tokens (scim/).
Secrets that must be sent on (provisioning tokens) are sealed instead: `seal()`/`unseal()`.
"""

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


@dataclass(frozen=True)
class NewToken:
    raw: str  # give this to the person once
    prefix: str
    digest: str


def new_token(kind: str) -> NewToken:
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return NewToken(raw=f"{kind}_{prefix}_{secret}", prefix=prefix, digest=digest_of(secret))


def digest_of(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def split(raw: str, kind: str) -> tuple[str, str] | None:
    """(prefix, secret) of a well-formed token of this kind, else None."""
    parts = (raw or "").strip().split("_", 2)
    if len(parts) != 3 or parts[0] != kind or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def matches(secret: str, digest: str) -> bool:
    return hmac.compare_digest(digest_of(secret), digest)


# --- Secrets we must use again (an application's provisioning token) ---------------------------
# Unlike bearer tokens, these are sent on, so they are sealed (Fernet: AES with an HMAC), not
# hashed. The key is derived from SECRET_KEY; SECRET_KEY_FALLBACKS still open what older keys
# sealed, so a key rotation doesn't lose them (docs/provisioning.md).


def _fernet_key(secret_key: str) -> bytes:
    return base64.urlsafe_b64encode(hashlib.sha256(f"sealed:{secret_key}".encode()).digest())


def _fernet() -> MultiFernet:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([Fernet(_fernet_key(key)) for key in keys])


def seal(secret: str) -> str:
    """`secret`, encrypted and authenticated: only `unseal()` with our keys reads it."""
    return _fernet().encrypt(secret.encode()).decode()


class Unreadable(Exception):
    """A sealed secret that none of our keys opens (SECRET_KEY changed without a fallback)."""


def unseal(sealed: str) -> str:
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except InvalidToken:
        raise Unreadable("The stored secret can't be read with this deployment's keys.") from None
