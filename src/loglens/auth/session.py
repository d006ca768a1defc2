"""Dashboard sessions: a signed, expiring cookie naming a key, and the CSRF token that goes with it.

The cookie is `<key id>.<nonce>.<expiry ms>.<signature>`: HMAC-SHA256 under a secret kept in the store (so every
worker and restart agrees). It holds no role: the key is looked up on every request, so revoking it ends its
sessions. The CSRF token is an HMAC of the nonce; pages carry it, cookie-authenticated writes must send it back.
The nonce is also the session's id: "Log out" records it as ended in the store (Gate.end_session), so that a copy
of the cookie is refused by every process until it would have expired anyway.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass

COOKIE = "loglens_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"


@dataclass(frozen=True, slots=True)
class Session:
    key_id: str
    nonce: str
    expires_ms: int


class SessionSigner:
    def __init__(self, secret: str | Callable[[], str]) -> None:
        """`secret`, or where to read it on first use (the store: one that cannot be read at startup, on a full
        disk, must not stop the server from starting)."""
        self._load = secret if callable(secret) else None
        self._secret = secret.encode() if isinstance(secret, str) else b""

    def _sign(self, text: str, purpose: str) -> str:
        if self._load is not None and not self._secret:
            self._secret = self._load().encode()
        mac = hmac.new(self._secret, f"{purpose}|{text}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()

    def issue(self, key_id: str, now_ms: int, lifetime_ms: int) -> str:
        payload = f"{key_id}.{secrets.token_urlsafe(16)}.{now_ms + lifetime_ms}"
        return f"{payload}.{self._sign(payload, 'session')}"

    def read(self, cookie: str, now_ms: int) -> Session | None:
        """The session in a cookie if its signature is good and it has not expired."""
        payload, _, signature = cookie.rpartition(".")
        if not hmac.compare_digest(signature.encode(), self._sign(payload, "session").encode()):
            return None
        parts = payload.split(".")
        if len(parts) != 3 or not parts[2].isdigit() or int(parts[2]) <= now_ms:
            return None
        return Session(parts[0], parts[1], int(parts[2]))

    def csrf_token(self, session: Session) -> str:
        return self._sign(session.nonce, "csrf")

    def csrf_ok(self, session: Session, token: str | None) -> bool:
        return token is not None and hmac.compare_digest(token.encode(), self.csrf_token(session).encode())
