"""Saved searches: GET/POST /api/saved-searches, GET/PUT/DELETE /api/saved-searches/<key>.

A key is a saved search's name, else its id. Reading takes the read role (Explore lists and opens them); writing
takes admin, as every write of the API does (the read role writes nothing): alert rules evaluate saved searches by
name (`saved_search`), so changing one changes what alerting watches. Deleting or renaming one that rules use is a
409 naming them (no rule is left watching nothing); replacing its query or range is allowed. What a valid one is:
search/saved.py.
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


def _refuse_if_used(saved: SavedSearch, doing: str) -> None:
    """409 when alert rules name this saved search (config.yaml's or the API's): deleting or renaming it would
    leave them without a query."""
    engine = current_loglens().rules
    engine.reload()
    users = sorted(r.name for r in engine.rules() if r.saved_search == saved.name)
    if users:
        raise ApiError(
            409,
            f"the saved search {saved.name!r} is used by the alert rule(s) {', '.join(users)}: {doing} it would leave"
            " them without a query; change or delete those rules first (replacing its query keeps the name)",
            rules=users,
        )


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
    if spec.name != saved.name:
        _refuse_if_used(saved, "renaming")
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
    _refuse_if_used(saved, "deleting")
    if not current_loglens().store.saved_searches.delete_saved(saved.id):
        raise ApiError(404, f"no saved search named {key[:200]!r} (nor with that id)")
    return "", 204
