"""GET /openapi.json: the OpenAPI 3.1 document of every route, with this server's limits and access levels filled in
(see loglens/openapi/)."""

from __future__ import annotations

import orjson
from flask import Blueprint, Response, current_app
from flask.typing import ResponseReturnValue

from ..auth.access import requires
from ..openapi import build_document, route_access
from ..state import current_loglens

bp = Blueprint("openapi", __name__)
CACHE_KEY = "loglens.openapi"


@bp.get("/openapi.json")
@requires("read")
def openapi() -> ResponseReturnValue:
    body = current_app.extensions.get(CACHE_KEY)
    if body is None:
        body = current_app.extensions[CACHE_KEY] = orjson.dumps(
            build_document(current_loglens().config, route_access(current_app))
        )
    return Response(body, content_type="application/json")
