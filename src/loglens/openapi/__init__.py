"""The OpenAPI 3.1 document served at GET /openapi.json, assembled from YAML files in this package.

base.yaml holds info and components; each paths/*.yaml documents some routes (a mapping of path to path item).
A branch that adds routes adds its own paths file, and tests/api/test_openapi.py fails until every registered
route is documented and every documented one exists. The log entry schema is the validator's own
(schemas/log_schema.json: JSON Schema 2020-12, which OpenAPI 3.1 uses as is).

What depends on the server is filled in from its config and routes when the app serves the document, so that
it states what this server enforces: the ingest limits the validator adds to the log entry schema, the longest
dashboard range (the retention), and, with auth on, each operation's security requirement (from the access
level its view declares) with the gate's answers (401 or the login redirect, 403, 429, 503). The gate's 400 (a
Host the server does not answer for) is added to every operation.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from importlib import resources
from typing import Any

import yaml
from flask import Flask

from ..analytics import max_minutes
from ..auth.access import GRANTED, Access, declared
from ..auth.gate import DASHBOARD_ROLES, SAFE_METHODS
from ..config import Settings
from ..model import TS_RANGE
from ..validation import Limits, limit_schema, load_schema

HTTP_METHODS = ("get", "post", "put", "patch", "delete")
Routes = Mapping[tuple[str, str], tuple[Access | None, bool]]  # (METHOD, path) -> (access level, is a page)

# The event times the server stores are TS_RANGE in UTC. A JSON Schema cannot compare instants, so the pattern
# admits the years and days that lie wholly inside the range whatever the offset (1970-01-02 to 2106-02-05): a
# time on the two edge days (1970-01-01, 2106-02-06 and -07) is stored when its UTC instant is in range, though
# the pattern leaves it out.
TIMESTAMP_PATTERN = (
    r"^(?:1970-01-(?:0[2-9]|[12][0-9]|3[01])|1970-(?:0[2-9]|1[0-2])|197[1-9]|19[89][0-9]|20[0-9][0-9]|210[0-5]"
    r"|2106-01|2106-02-0[1-5])[-Tt ]"
)
_METADATA_REF = re.compile(r"^#/\$defs/loglens_metadata_(\d+)$")


def openapi_path(rule: str) -> str:
    """A Flask rule as an OpenAPI path: <converter:name> becomes {name}."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def route_access(app: Flask) -> dict[tuple[str, str], tuple[Access | None, bool]]:
    """(METHOD, OpenAPI path) -> (access level, is a page) for every registered route, as its view declares."""
    routes: dict[tuple[str, str], tuple[Access | None, bool]] = {}
    for rule in app.url_map.iter_rules():
        for method in rule.methods or ():
            if method.lower() in HTTP_METHODS:
                routes[(method, openapi_path(rule.rule))] = declared(app, rule.endpoint)
    return routes


def build_document(config: Settings | None = None, routes: Routes | None = None) -> dict[str, Any]:
    """The document; with `config` (and `routes`), what this server enforces is filled in (see the module doc)."""
    package = resources.files(__name__)
    document: dict[str, Any] = yaml.safe_load(package.joinpath("base.yaml").read_text(encoding="utf-8"))
    paths: dict[str, Any] = {}
    origin: dict[str, str] = {}
    files = sorted((f for f in package.joinpath("paths").iterdir() if f.name.endswith(".yaml")), key=lambda f: f.name)
    for file in files:
        part = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        for path, item in part.items():  # one path may take its methods from several files (POST and GET /api/logs)
            merged = paths.setdefault(path, {})
            for method, operation in item.items():
                where = f"{path} {method.upper()}"
                if where in origin:
                    raise ValueError(f"OpenAPI {where} is documented twice: in {origin[where]} and {file.name}")
                merged[method], origin[where] = copy.deepcopy(operation), file.name  # YAML aliases share objects
    document["paths"] = dict(sorted(paths.items()))
    schemas = document["components"]["schemas"]
    entry = load_schema() if config is None else limit_schema(load_schema(), Limits.from_settings(config.ingest))
    schemas.update(_log_entry(entry))
    if config is not None:
        minutes = document["components"]["parameters"]["minutes"]["schema"]
        minutes["maximum"] = max_minutes(config.storage)
        bulk = document["paths"]["/api/logs/bulk"]["post"]["requestBody"]["content"]["application/json"]["schema"]
        bulk["anyOf"][0]["maxItems"] = config.ingest.max_batch_entries
    for operation in _operations(document):
        _answer(document, operation, "400", "BadRequest")  # the gate's: a Host this server does not answer for
    if config is not None and routes is not None and config.auth.enabled:
        _secure(document, routes)
    return document


def _log_entry(schema: dict[str, Any]) -> dict[str, Any]:
    """components.schemas entries for the log entry: LogEntry, and the metadata levels the limits define."""
    schema = {k: v for k, v in schema.items() if k not in ("$schema", "$id")}
    levels = schema.pop("$defs", {})
    timestamp = schema["properties"]["timestamp"]
    timestamp["pattern"] = TIMESTAMP_PATTERN
    timestamp["description"] = f"RFC 3339 with an offset; the instant must lie in {TS_RANGE}"
    out = {"LogEntry": schema}
    for name, level in levels.items():
        out[_level_name(name)] = level
    _rewrite_refs(out)
    return out


def _level_name(def_name: str) -> str:
    return "LogEntryMetadata" + def_name.rsplit("_", 1)[1]


def _rewrite_refs(node: Any) -> None:
    """The limits' `#/$defs/...` refs, pointed at components.schemas (a $ref resolves against the document)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and (found := _METADATA_REF.match(ref)):
            node["$ref"] = "#/components/schemas/LogEntryMetadata" + found.group(1)
        for value in node.values():
            _rewrite_refs(value)
    elif isinstance(node, list):
        for value in node:
            _rewrite_refs(value)


def _operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [op for item in document["paths"].values() for method, op in item.items() if method in HTTP_METHODS]


def _secure(document: dict[str, Any], routes: Routes) -> None:
    """Each operation's security requirement and the gate's answers, from the access level its view declares."""
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            access, page = routes.get((method.upper(), path), (None, False))
            if access == "public":
                operation["security"] = []
                continue
            if access is None:  # the gate refuses a route that declares nothing (tests/api/test_route_matrix.py)
                operation["security"] = []
                _answer(document, operation, "403", "Forbidden")
                continue
            roles = sorted(GRANTED[access])
            session: dict[str, list[str]] = {"Session": sorted(GRANTED[access] & DASHBOARD_ROLES)}
            if method.upper() not in SAFE_METHODS:
                session["CsrfToken"] = []
            operation["security"] = [{"ApiKey": roles}, {"Bearer": roles}, *([session] if session["Session"] else [])]
            _answer(document, operation, "302" if page else "401", "LoginRedirect" if page else "Unauthorized")
            _answer(document, operation, "403", "Forbidden")
            _answer(document, operation, "429", "TooManyRequests")
            _answer(document, operation, "503", "Unavailable")  # the key store cannot be read


def _answer(document: dict[str, Any], operation: dict[str, Any], status: str, name: str) -> None:
    """Add the shared response `name` under `status`; an operation that has its own answer there also gets the
    shared one's JSON error body and headers (e.g. the gate's JSON 401 on the OTLP route)."""
    responses = operation.setdefault("responses", {})
    shared = {"$ref": f"#/components/responses/{name}"}
    own = responses.get(status)
    if own is None:
        responses[status] = shared
        return
    if own == shared:
        return
    if "$ref" in own:
        own = copy.deepcopy(document["components"]["responses"][own["$ref"].rsplit("/", 1)[1]])
    template = document["components"]["responses"][name]
    for header, spec in template.get("headers", {}).items():
        own.setdefault("headers", {}).setdefault(header, spec)
    error = template["content"]["application/json"]["schema"]
    content = own.setdefault("content", {})
    media = content.get("application/json")
    if media is None:
        content["application/json"] = {"schema": error}
    else:
        schema = media["schema"]
        if schema != error and error not in schema.get("oneOf", []) + schema.get("anyOf", []):
            media["schema"] = {"anyOf": [schema, error]}
    responses[status] = own
