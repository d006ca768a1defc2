"""GET /openapi.json documents every registered route, and only those."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


def registered_routes(app: Flask) -> set[tuple[str, str]]:
    """(METHOD, OpenAPI path) for every Flask route; <converter:name> becomes {name}; HEAD/OPTIONS are implied."""
    routes = set()
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in rule.methods or ():
            if method.lower() in HTTP_METHODS:
                routes.add((method, path))
    return routes


def documented_routes(document: dict[str, object]) -> set[tuple[str, str]]:
    paths = document["paths"]
    assert isinstance(paths, dict)
    return {(method.upper(), path) for path, item in paths.items() for method in item if method in HTTP_METHODS}


def test_serves_an_openapi_3_1_document(client: FlaskClient) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    document = response.json
    assert document["openapi"].startswith("3.1.")
    assert document["components"]["schemas"]["LogEntry"]["required"] == ["timestamp", "level", "service", "message"]


def test_every_registered_route_is_documented_and_every_documented_route_exists(
    app: Flask, client: FlaskClient
) -> None:
    registered = registered_routes(app)
    documented = documented_routes(client.get("/openapi.json").json)
    undocumented = sorted(registered - documented)
    stale = sorted(documented - registered)
    assert not undocumented, (
        "routes registered in the app but missing from GET /openapi.json: "
        + ", ".join(f"{m} {p}" for m, p in undocumented)
        + ". Document them in src/loglens/openapi/paths/ (e.g. a new <area>.yaml next to ingest.yaml)."
    )
    assert not stale, "routes documented in src/loglens/openapi/paths/ that the app does not register: " + ", ".join(
        f"{m} {p}" for m, p in stale
    )
    assert ("POST", "/api/logs") in registered and ("GET", "/static/{filename}") in registered  # the test sees them
