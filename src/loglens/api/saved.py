"""Saved searches: GET/POST /api/saved-searches, GET/PUT/DELETE /api/saved-searches/<key>.

A key is a saved search's name, else its id. Reading takes the read role (Explore lists and opens them); writing
takes admin, as every write of the API does (the read role writes nothing): the coming alert rules evaluate saved
searches by name, so changing one changes what alerting watches. What a valid one is: search/saved.py.
"""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from ..answer import ApiError
from ..auth.access import requires
from ..search.saved import SavedSearch, SavedSearchConflict, SavedSearchError, SavedSpec, find, validate
from ..state import current_loglens
from .body import json_object

bp = Blueprint("saved", __name__)


def _spec() -> SavedSpec:
    try:
        return validate(json_object(), _now_ms())
    except SavedSearchError as exc:
        if exc.column is not None:
            raise ApiError(400, str(exc), field=exc.field, column=exc.column) from None
        raise ApiError(400, str(exc), field=exc.field) from None


def _now_ms() -> int:
    return int(current_loglens().clock() * 1000)


def _found(key: str) -> SavedSearch:
    saved = find(current_loglens().store.saved_searches, key)
    if saved is None:
        raise ApiError(404, f"no saved search named {key[:200]!r} (nor with that id)")
    return saved


@bp.get("/api/saved-searches")
@requires("read")
def list_saved() -> ResponseReturnValue:
    return {"saved_searches": [s.to_json() for s in current_loglens().store.saved_searches.list_saved()]}


@bp.post("/api/saved-searches")
@requires("admin")
def add_saved() -> ResponseReturnValue:
    spec = _spec()
    try:
        saved = current_loglens().store.saved_searches.add_saved(spec, _now_ms())
    except SavedSearchConflict as exc:
        raise ApiError(409, str(exc)) from None
    response = jsonify(saved.to_json())
    response.status_code = 201
    response.headers["Location"] = f"/api/saved-searches/{saved.id}"
    return response


@bp.get("/api/saved-searches/<key>")
@requires("read")
def get_saved(key: str) -> ResponseReturnValue:
    return _found(key).to_json()


@bp.put("/api/saved-searches/<key>")
@requires("admin")
def replace_saved(key: str) -> ResponseReturnValue:
    """Overwrite a saved search; a different `name` in the body renames it (409 when another has that name)."""
    spec = _spec()
    saved = _found(key)
    try:
        replaced = current_loglens().store.saved_searches.replace_saved(saved.id, spec, _now_ms())
    except SavedSearchConflict as exc:
        raise ApiError(409, str(exc)) from None
    if replaced is None:  # deleted meanwhile
        raise ApiError(404, f"no saved search named {key[:200]!r} (nor with that id)")
    return replaced.to_json()


@bp.delete("/api/saved-searches/<key>")
@requires("admin")
def delete_saved(key: str) -> ResponseReturnValue:
    saved = _found(key)
    if not current_loglens().store.saved_searches.delete_saved(saved.id):
        raise ApiError(404, f"no saved search named {key[:200]!r} (nor with that id)")
    return "", 204
