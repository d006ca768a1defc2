"""Silences: GET /api/silences lists them, POST /api/silences creates one, DELETE /api/silences/<id> expires one
now (it stays listed, as history). A silence holds the notifications of the alerts it covers (alerts/silences.py).

Creating and expiring need the admin role, as acknowledging an alert does: both keep people from being told.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from ..alerts.silences import MAX_OPEN, Silence, SilenceError, matchers_from
from ..answer import ApiError
from ..auth.access import requires
from ..auth.gate import current_principal
from ..search.params import RELATIVE_RE, UNIT_MS, parse_time
from ..state import LogLens, current_loglens
from ..store import SILENCE_LIST_STATES
from .body import choice_arg, int_arg, json_object

bp = Blueprint("silences", __name__)

MAX_LENGTH_MS = 366 * 86_400_000  # the longest a silence may last
MAX_COMMENT_CHARS = 1000
MAX_CREATOR_CHARS = 200
MAX_ID_CHARS = 64
ANONYMOUS = "anonymous"  # the creator when access control is off and the body names none
FIELDS = {"matchers", "starts_at", "ends_at", "duration", "comment", "created_by"}


def now_ms(loglens: LogLens) -> int:
    return int(loglens.clock() * 1000)


@bp.get("/api/silences")
@requires("read")
def list_silences() -> ResponseReturnValue:
    state = choice_arg("state", "all", SILENCE_LIST_STATES)
    limit = int_arg("limit", 100, 1, 1000)
    loglens = current_loglens()
    now = now_ms(loglens)
    return jsonify([s.to_dict(now) for s in loglens.store.silence_book.find(state, now, limit)])


@bp.post("/api/silences")
@requires("admin")
def create_silence() -> ResponseReturnValue:
    body = json_object()
    loglens = current_loglens()
    now = now_ms(loglens)
    silence = silence_from(body, now, caller_name(loglens))
    book = loglens.store.silence_book
    if len(book.find("active", now, MAX_OPEN)) + len(book.find("pending", now, MAX_OPEN)) >= MAX_OPEN:
        raise ApiError(409, f"{MAX_OPEN} silences are active or pending already; expire some first")
    book.add(silence)
    return jsonify(silence.to_dict(now)), 201


@bp.delete("/api/silences/<silence_id>")
@requires("admin")
def expire_silence(silence_id: str) -> ResponseReturnValue:
    """End the silence now; one already over is answered as it is (a repeated DELETE changes nothing)."""
    loglens = current_loglens()
    now = now_ms(loglens)
    found = (
        loglens.store.silence_book.expire(silence_id, now, caller_name(loglens) or ANONYMOUS)
        if valid_id(silence_id)
        else None
    )
    if found is None:
        raise ApiError(404, f"no silence with id {silence_id[:MAX_ID_CHARS]!r}")
    return jsonify(found.to_dict(now))


def valid_id(text: str) -> bool:
    return 0 < len(text) <= MAX_ID_CHARS


def caller_name(loglens: LogLens) -> str | None:
    """The name of the API key (or of the key behind the dashboard session) calling; None with access control off."""
    key_id = current_principal().key_id
    key = loglens.gate.key(key_id) if key_id is not None else None
    return key.name if key is not None else None


def silence_from(body: dict[str, Any], now: int, caller: str | None) -> Silence:
    """A new silence from a POST body; ApiError 400 saying what is wrong."""
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        raise ApiError(
            400, f"unknown field(s): {', '.join(u[:50] for u in unknown)}; known: {', '.join(sorted(FIELDS))}"
        )
    try:
        matchers = matchers_from(body.get("matchers"))
    except SilenceError as exc:  # `parameter`: what the OpenAPI document can only say in words (a pattern's syntax)
        raise ApiError(400, str(exc), parameter="matchers") from None
    starts = _time(body, "starts_at", now) if "starts_at" in body else now
    ends = _ends(body, starts, now)
    if ends <= starts:
        raise ApiError(400, "ends_at must be after starts_at", parameter="ends_at")
    if ends <= now:
        raise ApiError(400, "ends_at is in the past: the silence would hold nothing", parameter="ends_at")
    if ends - starts > MAX_LENGTH_MS:
        raise ApiError(400, "a silence lasts at most 366 days", parameter="ends_at")
    comment = body.get("comment")
    if not isinstance(comment, str) or not comment.strip():
        raise ApiError(400, "comment is required: say why the alerts are silenced")
    if len(comment) > MAX_COMMENT_CHARS:
        raise ApiError(400, f"comment is longer than {MAX_COMMENT_CHARS} characters")
    return Silence(str(uuid.uuid4()), matchers, starts, ends, comment.strip(), _creator(body, caller), now)


def _time(body: dict[str, Any], name: str, now: int) -> int:
    raw = body.get(name)
    if not isinstance(raw, str) or RELATIVE_RE.fullmatch(raw.strip()):
        raise ApiError(400, f"{name} must be an RFC 3339 date-time with an offset (2026-01-15T14:30:00Z)")
    try:
        return parse_time(raw, now)
    except ValueError as exc:
        raise ApiError(400, f"{name}: {exc}", parameter=name) from None


def _ends(body: dict[str, Any], starts: int, now: int) -> int:
    if ("ends_at" in body) == ("duration" in body):
        raise ApiError(400, "give either ends_at or duration (30m, 2h, 1d, 1w after starts_at)")
    if "ends_at" in body:
        return _time(body, "ends_at", now)
    duration = body["duration"]
    match = RELATIVE_RE.fullmatch(duration.strip()) if isinstance(duration, str) else None
    if match is None:
        raise ApiError(400, f"duration must be a number and a unit (30m, 2h, 1d, 1w), got {str(duration)[:50]!r}")
    return starts + int(match.group(1)) * UNIT_MS[match.group(2)]


def _creator(body: dict[str, Any], caller: str | None) -> str:
    if "created_by" not in body:
        return caller or ANONYMOUS
    given = body["created_by"]
    if caller is not None:
        if given != caller:
            raise ApiError(400, "created_by is the name of your API key; leave it out", parameter="created_by")
        return caller
    if not isinstance(given, str) or not given.strip() or len(given) > MAX_CREATOR_CHARS:
        raise ApiError(400, f"created_by must be a name of 1 to {MAX_CREATOR_CHARS} characters")
    return given.strip()
