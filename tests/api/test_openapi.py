"""GET /openapi.json documents every registered route, and only those, with what this server enforces."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from loglens.model import MAX_TS_MS, MIN_TS_MS, parse_timestamp_ms
from loglens.openapi import TIMESTAMP_PATTERN
from tests.support.auth import bearer, make_keys

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


# -- the document states what this server enforces -----------------------------------------------------------------


def test_document_states_this_servers_limits(make_app: Any) -> None:
    app = make_app({"storage": {"retention_days": 2}, "ingest": {"max_batch_entries": 50, "max_string_chars": 1000}})
    document = app.test_client().get("/openapi.json").json
    components = document["components"]
    assert components["parameters"]["minutes"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 2 * 1440}
    assert app.test_client().get("/api/time-series?minutes=2880").status_code == 200
    assert app.test_client().get("/api/time-series?minutes=2881").status_code == 400
    entry = components["schemas"]["LogEntry"]
    assert entry["properties"]["message"]["maxLength"] == 1000  # the validator's limit, not the base schema's 65536
    assert entry["properties"]["service"]["pattern"] == "^[^\\x00]*$"
    # the metadata levels the limits define are components, and every $ref in the document resolves
    refs = re.findall(r'"\$ref": ?"#/components/(\w+)/(\w+)"', json.dumps(document))
    assert refs and all(name in components[kind] for kind, name in refs)
    bulk = document["paths"]["/api/logs/bulk"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert bulk["anyOf"][0]["maxItems"] == 50


def test_timestamp_pattern_admits_the_stored_range_only() -> None:
    pattern = re.compile(TIMESTAMP_PATTERN)
    inside = ["1970-01-02T00:00:00+23:59", "1999-12-31T23:59:59Z", "2026-01-01t00:00:00z", "2106-02-05T23:59:59-23:59"]
    outside = ["1969-12-31T23:59:59Z", "0301-05-24T09:39:06Z", "2106-02-08T00:00:00Z", "2107-01-01T00:00:00Z"]
    assert all(pattern.search(s) for s in inside) and not any(pattern.search(s) for s in outside)
    for stamp in inside:  # what the pattern admits, the validator stores
        assert parse_timestamp_ms(stamp.upper()) in range(MIN_TS_MS, MAX_TS_MS + 1)


def test_without_auth_the_document_asks_for_no_credentials(client: FlaskClient) -> None:
    document = client.get("/openapi.json").json
    operations = {(m, p): op for p, item in document["paths"].items() for m, op in item.items() if m in HTTP_METHODS}
    assert not any("security" in op for op in operations.values())
    assert [where for where, op in operations.items() if "401" in op["responses"]] == [("post", "/login")]  # a key
    assert all("400" in op["responses"] for op in operations.values())  # the Host check answers on every route


def test_with_auth_each_operation_requires_the_roles_its_view_declares(make_app: Any) -> None:
    app = make_app({"auth": {"enabled": True}})
    document = app.test_client().get("/openapi.json", headers=bearer(make_keys(app)["read"])).json
    assert set(document["components"]["securitySchemes"]) == {"ApiKey", "Bearer", "Session", "CsrfToken"}
    paths = document["paths"]
    assert paths["/api/logs"]["get"]["security"] == [
        {"ApiKey": ["admin", "read"]},
        {"Bearer": ["admin", "read"]},
        {"Session": ["admin", "read"]},
    ]
    assert paths["/api/logs"]["post"]["security"] == [
        {"ApiKey": ["admin", "ingest"]},
        {"Bearer": ["admin", "ingest"]},
        {"Session": ["admin"], "CsrfToken": []},  # a dashboard write sends its CSRF token
    ]
    assert paths["/health"]["get"]["security"] == [] and "401" not in paths["/health"]["get"]["responses"]
    for status in ("401", "403", "429", "503"):
        assert status in paths["/api/logs"]["get"]["responses"]
    assert "302" in paths["/"]["get"]["responses"] and "401" not in paths["/"]["get"]["responses"]  # to /login
    # the OTLP route keeps its google.rpc.Status answers and also declares the gate's JSON error
    assert paths["/v1/logs"]["post"]["responses"]["401"] == {"$ref": "#/components/responses/Unauthorized"}
    otlp_400 = paths["/v1/logs"]["post"]["responses"]["400"]["content"]["application/json"]["schema"]
    assert otlp_400["anyOf"][1] == {"$ref": "#/components/schemas/Error"}
    refused = app.test_client().get("/api/logs")
    assert refused.status_code == 401 and refused.json["status"] == "error" and refused.headers["WWW-Authenticate"]


# -- what schemathesis found the server accepting or refusing against the document ---------------------------------


def test_a_query_parameter_given_twice_is_a_400_naming_it(client: FlaskClient) -> None:
    response = client.get("/api/logs/export?from=&from=1h")
    assert response.status_code == 400
    assert response.json == {"status": "error", "error": "from is given 2 times; give it once", "parameter": "from"}
    assert client.get("/api/alerts?limit=5&limit=5").status_code == 400
    assert client.get("/api/logs?from=1h&to=").status_code == 200


def test_simulate_takes_a_count_written_as_an_integral_number(client: FlaskClient) -> None:
    response = client.post("/api/simulate-logs", json={"count": 3.0})
    assert response.status_code == 200 and response.json["requested"] == 3
    assert client.post("/api/simulate-logs", json={"count": 2.5}).status_code == 400


def test_otlp_json_null_resource_logs_is_an_empty_request_as_the_document_says(client: FlaskClient) -> None:
    # The proto3 JSON mapping OTLP/HTTP uses reads null as the field's default: no records, like {}.
    schema = client.get("/openapi.json").json["paths"]["/v1/logs"]["post"]["requestBody"]["content"]
    assert schema["application/json"]["schema"]["properties"]["resourceLogs"]["type"] == ["array", "null"]
    for body in (b'{"resourceLogs": null}', b"{}"):
        response = client.post("/v1/logs", data=body, content_type="application/json")
        assert response.status_code == 200 and response.json == {}
    assert client.get("/api/logs").json["logs"] == []
