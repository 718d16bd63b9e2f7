"""Bearer tokens stored as a prefix and a digest: shown once, never readable again.

A token reads `<kind>_<prefix>_<secret>`; the prefix finds the row, the secret's SHA-256
checks it (compared in constant time). Used by API tokens (api/) and SCIM tokens (scim/).
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass


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
