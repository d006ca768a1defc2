"""API keys: `llk_<id>_<secret>`. The store keeps the id, a name, the role and a SHA-256 of the secret.

The id is public (it names the key in `loglens keys list` and finds its row); the secret is 32 random bytes, so a
plain SHA-256 is enough (no slow KDF: nobody can guess 256 bits) and the comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Literal, Protocol

Role = Literal["ingest", "read", "admin"]
ROLES: tuple[Role, ...] = ("ingest", "read", "admin")
PREFIX = "llk"
ID_HEX = 12
MAX_KEY_LENGTH = 200


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    name: str
    role: Role
    secret_sha256: str
    created_ms: int
    revoked_ms: int | None = None

    @property
    def active(self) -> bool:
        return self.revoked_ms is None


class KeyStore(Protocol):
    """Where keys and ended sessions live (the store backend): add, read and revoke."""

    def add_key(self, key: ApiKey) -> None: ...
    def get_key(self, key_id: str) -> ApiKey | None: ...
    def list_keys(self) -> list[ApiKey]: ...
    def revoke_key(self, key_id: str, now_ms: int) -> bool:
        """Mark the key revoked; False when there is no such active key."""
        ...

    def auth_secret(self, name: str, make: str) -> str:
        """The stored secret `name`; stores `make` first when there is none (the first process wins)."""
        ...

    def end_session(self, session_id: str, expires_ms: int, now_ms: int) -> None:
        """Record that the dashboard session `session_id` (valid until `expires_ms`) was ended (logged out), for
        every process sharing the store. Records of sessions that expired before `now_ms` may be forgotten."""
        ...

    def session_ended(self, session_id: str) -> bool:
        """Whether the dashboard session `session_id` was ended."""
        ...


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_key(role: Role, name: str, now_ms: int) -> tuple[str, ApiKey]:
    """A fresh key: the text to hand out (shown once) and the record to store."""
    key_id = secrets.token_hex(ID_HEX // 2)
    secret = secrets.token_urlsafe(32)
    return f"{PREFIX}_{key_id}_{secret}", ApiKey(key_id, name, role, digest(secret), now_ms)


def split(text: str) -> tuple[str, str] | None:
    """(id, secret) of a key's text, or None when it is not shaped like a key."""
    if len(text) > MAX_KEY_LENGTH:
        return None
    prefix, _, rest = text.partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != PREFIX or len(key_id) != ID_HEX or not secret:
        return None
    return key_id, secret


def matches(record: ApiKey, secret: str) -> bool:
    """Whether `secret` is the record's secret, compared in constant time."""
    return hmac.compare_digest(digest(secret), record.secret_sha256)
