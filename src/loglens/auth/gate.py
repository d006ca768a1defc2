"""The one function that decides every request: `Gate.check(environ, access)`.

Both ways into the app call it: the Flask views through a before_request hook (`init_app`), and the ingest door
(api/ingest.py) directly, on the raw WSGI environ, for a request that does not pass through Flask. In order it
checks the Host header (400), the route's declared access level (undeclared: 403 for everyone), then, with
auth.enabled, the caller's API key (`Authorization: Bearer`, `X-API-Key`, or the password of HTTP Basic auth,
which shippers send) or dashboard session cookie (401 / a redirect to /login for pages), the key's role (403), the
failed-key limit per address and the ingest rate per key (429 with Retry-After), and the CSRF token of
cookie-authenticated writes (403). The answer is a Principal, or a Denial that either way renders (through
answer.py).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, g, redirect, request
from flask.typing import ResponseReturnValue
from werkzeug.http import parse_cookie

from ..answer import Answer
from ..answer import error as error_answer
from ..config import AuthSettings, ServerSettings
from .access import GRANTED, Access, declared
from .hosts import AllowedHosts
from .keys import ApiKey, KeyStore, Role, digest, split
from .rate_limit import Buckets, retry_after
from .session import COOKIE, CSRF_HEADER, Session, SessionSigner

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
DASHBOARD_ROLES: frozenset[Role] = frozenset(("read", "admin"))
UNMATCHED: Access = "public"  # no route matched: everyone may learn it is a 404/405 (the routes are public code)
LOGIN_PATH = "/login"
# How long a key read from the store is trusted before it is read again: a revoked key (or a key revoked in
# another process) stops working within this time. Reading it per request cost ~30 us of a ~180 us ingest request.
KEY_CACHE_SECONDS = 1.0
MAX_CACHED_KEYS = 10_000
# The same for whether a session was ended (logged out) in another process: it is refused there within this
# time. An ended session is remembered as ended (until the cache is full); this process's own logouts at once.
SESSION_CACHE_SECONDS = 1.0
MAX_CACHED_SESSIONS = 10_000
_DUMMY_DIGEST = digest("not a key")


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: role None means nobody in particular (auth off, or a public route)."""

    role: Role | None = None
    key_id: str | None = None
    session: Session | None = None  # set when a dashboard session cookie authenticated the request


OPEN = Principal()


@dataclass(frozen=True, slots=True)
class Denial:
    """A refusal: a JSON error, or (for a page) a redirect to the login page."""

    status: int
    message: str
    headers: tuple[tuple[str, str], ...] = ()
    location: str | None = None

    def answer(self) -> Answer:
        """The JSON refusal."""
        return error_answer(self.status, self.message, self.headers)

    def response(self) -> ResponseReturnValue:
        if self.location is not None:
            return redirect(self.location, 302)
        status, headers, body = self.answer()
        return Response(body, status, headers)


def _unauthorized(message: str) -> Denial:
    return Denial(401, message, (("WWW-Authenticate", 'Bearer realm="loglens"'),))


NO_KEY = _unauthorized(
    "this endpoint needs an API key: send 'Authorization: Bearer <key>', 'X-API-Key: <key>' or the key as the"
    " password of HTTP Basic auth"
)
BAD_KEY = _unauthorized("unknown or revoked API key")


class Gate:
    def __init__(
        self,
        auth: AuthSettings,
        server: ServerSettings,
        keys: KeyStore,
        clock: Callable[[], float],
        signer: SessionSigner,
    ) -> None:
        self.enabled: bool = auth.enabled
        self.hosts = AllowedHosts(server.host, server.allowed_hosts)
        self.keys = keys
        self.clock = clock
        self.signer = signer
        self.session_ms = int(auth.session_hours * 3_600_000)
        self.failures = Buckets(auth.max_failures, auth.max_failures / auth.failure_window_seconds, clock)
        self.ingest = Buckets(auth.ingest_burst, auth.ingest_rate, clock)
        self._cache: dict[str, tuple[ApiKey, float]] = {}  # key id -> (record, when read); known keys only
        self._ended: dict[str, tuple[bool, float]] = {}  # session id -> (ended, when read)

    def key(self, key_id: str) -> ApiKey | None:
        """The stored key `key_id`, read again once KEY_CACHE_SECONDS have passed (unknown ids: every time)."""
        now = self.clock()
        cached = self._cache.get(key_id)
        if cached is not None and 0 <= now - cached[1] < KEY_CACHE_SECONDS:
            return cached[0]
        record = self.keys.get_key(key_id)
        if len(self._cache) >= MAX_CACHED_KEYS:
            self._cache.clear()
        if record is None:
            self._cache.pop(key_id, None)
        else:
            self._cache[key_id] = (record, now)
        return record

    def session_ended(self, session: Session) -> bool:
        """Whether `session` was logged out (in any process sharing the store); a "no" is read again once
        SESSION_CACHE_SECONDS have passed, a "yes" is final."""
        now = self.clock()
        cached = self._ended.get(session.nonce)
        if cached is not None and (cached[0] or 0 <= now - cached[1] < SESSION_CACHE_SECONDS):
            return cached[0]
        ended = self.keys.session_ended(session.nonce)
        self._remember(session.nonce, ended, now)
        return ended

    def end_session(self, session: Session) -> None:
        """Log `session` out for good: its cookie and CSRF token are refused from now on, by every process."""
        self.keys.end_session(session.nonce, session.expires_ms, self.now_ms())
        self._remember(session.nonce, True, self.clock())

    def _remember(self, session_id: str, ended: bool, now: float) -> None:
        if len(self._ended) >= MAX_CACHED_SESSIONS:
            self._ended.clear()
        self._ended[session_id] = (ended, now)

    def check(self, environ: Mapping[str, Any], access: Access | None, *, page: bool = False) -> Principal | Denial:
        host = environ.get("HTTP_HOST")
        if not self.hosts.allows(host):
            return Denial(400, f"this server does not answer for Host {host!r}; add it to server.allowed_hosts")
        if access is None:
            return Denial(403, "this route declares no access level, so nobody may call it")
        if not self.enabled or access == "public":
            return OPEN
        found = self._credential(environ, page)
        if isinstance(found, Denial):
            return found
        role = found.role
        if role not in GRANTED[access]:
            return Denial(403, f"a key with the {role} role may not call this endpoint: it needs the {access} role")
        if found.session is not None and environ.get("REQUEST_METHOD", "GET") not in SAFE_METHODS:
            refused = self._csrf(environ, found.session)
            if refused is not None:
                return refused
        if access == "ingest" and found.key_id is not None:
            wait = self.ingest.take(found.key_id)
            if wait:
                return Denial(
                    429, "this key is over its ingest rate (auth.ingest_rate)", (("Retry-After", retry_after(wait)),)
                )
        return found

    def _credential(self, environ: Mapping[str, Any], page: bool) -> Principal | Denial:
        text = _key_text(environ)
        if text is not None:
            found = self.authenticate(environ.get("REMOTE_ADDR", ""), text)
            return found if isinstance(found, Denial) else Principal(found.role, found.id)
        session = self.session(environ)
        if session is not None:
            return session
        if page:
            target = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "/")
            if environ.get("QUERY_STRING"):
                target += "?" + environ["QUERY_STRING"]
            return Denial(401, NO_KEY.message, location=f"{LOGIN_PATH}?next={urllib.parse.quote(target, safe='')}")
        return NO_KEY

    def authenticate(self, address: str, text: str) -> ApiKey | Denial:
        """The active key `text` names; counts a wrong one against `address` (429 once it has sent too many)."""
        wait = self.failures.wait(address)
        if wait:
            return Denial(
                429, "too many wrong API keys from this address; retry later", (("Retry-After", retry_after(wait)),)
            )
        parts = split(text)
        record = self.key(parts[0]) if parts else None
        if record is None or parts is None:
            hmac.compare_digest(digest(text), _DUMMY_DIGEST)  # the same work as for a known id
        elif record.active and hmac.compare_digest(digest(parts[1]), record.secret_sha256):
            return record
        self.failures.take(address)
        return BAD_KEY

    def session(self, environ: Mapping[str, Any]) -> Principal | None:
        """The dashboard session in the request's cookie, if it is valid, was not logged out, and its key still may
        open the dashboard."""
        cookie = parse_cookie(environ.get("HTTP_COOKIE", "")).get(COOKIE)
        if not cookie:
            return None
        session = self.signer.read(cookie, self.now_ms())
        record = self.key(session.key_id) if session is not None else None
        if record is None or not record.active or record.role not in DASHBOARD_ROLES:
            return None
        if session is None or self.session_ended(session):
            return None
        return Principal(record.role, record.id, session)

    def _csrf(self, environ: Mapping[str, Any], session: Session) -> Denial | None:
        origin = environ.get("HTTP_ORIGIN")
        if origin is not None and urllib.parse.urlsplit(origin).netloc != environ.get("HTTP_HOST"):
            return Denial(403, f"cross-origin write refused (Origin {origin!r})")
        token = environ.get("HTTP_" + CSRF_HEADER.upper().replace("-", "_"))
        if not self.signer.csrf_ok(session, token):
            return Denial(403, f"a write from the dashboard needs its CSRF token in the {CSRF_HEADER} header")
        return None

    def now_ms(self) -> int:
        return int(self.clock() * 1000)


def _key_text(environ: Mapping[str, Any]) -> str | None:
    key = environ.get("HTTP_X_API_KEY")
    if key:
        return str(key).strip()
    scheme, _, value = str(environ.get("HTTP_AUTHORIZATION", "")).strip().partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if scheme.lower() == "basic" and value.strip():
        return _basic_key(value.strip())
    return None


def _basic_key(credentials: str) -> str:
    """The key in HTTP Basic credentials: the password, or the user name when the password is empty (shippers
    that ask for both, as Promtail, Filebeat and rsyslog do, get any user name). Unreadable ones give "", a wrong
    key."""
    try:
        text = base64.b64decode(credentials, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return ""
    user, _, password = text.partition(":")
    return (password or user).strip()


def build_gate(auth: AuthSettings, server: ServerSettings, keys: KeyStore, clock: Callable[[], float]) -> Gate:
    signer = SessionSigner(lambda: keys.auth_secret("session", secrets.token_hex(32)))
    return Gate(auth, server, keys, clock, signer)


def current_principal() -> Principal:
    """Who is calling the current Flask request (decided by the gate before the view ran)."""
    principal: Principal = g.get("loglens_principal", OPEN)
    return principal


def init_app(app: Flask, gate: Gate) -> None:
    """Run the gate before every Flask view (and before routing errors are answered)."""

    @app.before_request
    def _gate() -> ResponseReturnValue | None:
        access, page = declared(app, request.endpoint) if request.endpoint else (UNMATCHED, False)
        result = gate.check(request.environ, access, page=page)
        if isinstance(result, Denial):
            return result.response()
        g.loglens_principal = result
        return None
