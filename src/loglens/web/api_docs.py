"""GET /docs: the API reference page, this server's OpenAPI document (GET /openapi.json) rendered by Swagger UI.

Swagger UI comes from npm (swagger-ui-dist, copied into static/vendor by the Makefile, never committed) and runs
under the same Content-Security-Policy as every page: no inline script or style, no eval, nothing from elsewhere.
The page needs a `read` key or login, as the document itself does.
"""

from __future__ import annotations

from flask import Blueprint, Flask

from . import page

bp = Blueprint("api_docs", __name__, template_folder="templates")
bp.add_url_rule("/docs", "api_docs", page("api_docs.html"))


def register_docs(app: Flask) -> None:
    app.register_blueprint(bp)
