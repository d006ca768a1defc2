"""Schemathesis against GET /openapi.json, with auth on and an admin key: no 5xx, and no request or response that
contradicts the document (a valid request rejected, an invalid one accepted, an undeclared status, content type,
header or body).

Two runs:
- every documented operation through the WSGI app in-process (the fast ingest path included), valid and invalid
  requests, one test per operation and mode;
- the whole engine, as `st run` does in CI, against a real `loglens serve` (Granian, on this test run's store
  backend): every phase the installed schemathesis has (examples, coverage, fuzzing, stateful) and every check
  but response time, with generation widened (all modes, any Unicode in paths, queries and bodies, NUL bytes).
"""

from __future__ import annotations

import os
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode, checks
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema

from loglens.config import plain
from loglens.openapi import build_document
from tests.support.auth import make_keys
from tests.support.live import LiveServer

# per operation and mode: bounded so that CI stays fast; SCHEMATHESIS_EXAMPLES=500 explores deeper locally
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "15"))
HTTP_METHODS = ("get", "post", "put", "patch", "delete")
DOCUMENT = build_document()
# The simulator is off by default while auth is on; on here, so that its operations are reached. No address may
# run out of wrong-key attempts: the checks send wrong and missing keys on purpose.
AUTH_CONFIG: dict[str, Any] = {
    "auth": {"enabled": True, "max_failures": 1_000_000},
    "simulator": {"enabled": True},
}

# Elasticsearch bulk bodies are generated as strings and sent as they are (its application/x-ndjson stays without
# a serializer, so that /api/logs/bulk, which reads any text as NDJSON lines, keeps being sent JSON)
schemathesis.serializer.alias("application/vnd.elasticsearch+x-ndjson", "text/plain")

# What a JSON Schema cannot say, and the document says in words: the query grammar (`q`), the cursors this
# server issued, and that `from` comes before `to`. A 400 that names one of these is not a valid request
# rejected; any other 400 to a request the document calls valid is.
UNSAYABLE = {("q", None), ("cursor", None), ("from", "from must be earlier than to")}
# an alert rule's (docs/alerting.md): its query's grammar, a duration's or the threshold's bounds, a template, a
# built-in or missing name, a handler name Python reads as blank
UNSAYABLE |= {
    (key, None)
    for key in ("query", "condition", "window", "every", "for", "repeat_interval", "summary", "name", "notify")
}
# a rule's saved search (issue 24): one of query and saved_search, naming a saved search that exists
UNSAYABLE.add(("saved_search", None))
# The same for a saved search's body (its 400s name the `field`): the query grammar, the range's bounds and order,
# and a name that is empty once the spaces at its ends are dropped, or a path segment of dots.
BODY_UNSAYABLE = {("query", None), ("from", None), ("to", None)} | {
    ("name", f"name must not be {said}") for said in ("empty", "'.'", "'..'")
}
# a silence's regular expressions (RE2 syntax), its times against each other and now, and its creator, which
# with access control on is the key's name (POST /api/silences)
UNSAYABLE |= {("matchers", None), ("starts_at", None), ("ends_at", None), ("created_by", None)}
# Refusals for size: a byte limit (server.max_body_bytes, ingest.max_entry_bytes) is no JSON Schema keyword.
VALID_ANSWERS = ["2xx", "3xx", 401, 403, 404, 409, 413, 429, "5xx"]
REFUSALS = [400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 428, 429, "5xx"]


@schemathesis.check
def positive_data_acceptance_within_words(ctx: Any, response: Any, case: Any) -> bool | None:
    """positive_data_acceptance, except for a 400 that names what the document can only say in words."""
    if response.status_code == 400:
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            body = None
        if isinstance(body, dict):
            parameter, error = body.get("parameter"), body.get("error")  # an Elasticsearch error is an object
            if (parameter, None) in UNSAYABLE or (isinstance(error, str) and (parameter, error) in UNSAYABLE):
                return None
            field = body.get("field")
            if (field, None) in BODY_UNSAYABLE or (isinstance(error, str) and (field, error) in BODY_UNSAYABLE):
                return None
    result: bool | None = checks.positive_data_acceptance(ctx, response, case)
    return result


def body_taken_as_the_document_says_in_words(response: Any, case: Any) -> bool:
    """A 2xx to a body that is not JSON, where the document says in words that the server takes it: a bulk body
    read as NDJSON lines (older Fluent Bit sends `json_lines` as application/json), each line reported; an empty
    simulate body, which takes the defaults like {}."""
    body = response.request.body
    raw = body.encode() if isinstance(body, str) else body if isinstance(body, bytes) else b""
    if not 200 <= response.status_code < 300:
        return False
    if case.operation.label in ("POST /api/simulate-logs", "POST /api/simulate-errors"):
        return raw.strip() == b""
    if case.operation.label == "POST /api/logs/bulk":
        try:
            orjson.loads(raw)
        except orjson.JSONDecodeError:
            return True
    return False


@schemathesis.check
def negative_data_rejection_within_words(ctx: Any, response: Any, case: Any) -> bool | None:
    """negative_data_rejection, except for what the document says in words."""
    if body_taken_as_the_document_says_in_words(response, case):
        return None
    # an empty list is sent as no parameter at all, an empty object as an empty value (which may be valid)
    if any(value in ([], {}) for value in (case.query or {}).values()):
        return None
    result: bool | None = checks.negative_data_rejection(ctx, response, case)
    return result


def schemathesis_config(key: str, examples: int) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "seed": 22,
            "headers": {"X-API-Key": key},
            "request-timeout": 10,
            "generation": {
                "mode": "all",
                "max-examples": examples,
                "allow-x00": True,
                "codec": "utf-8",
                "allow-extra-parameters": True,
            },
            "phases": {"stateful": {"max-steps": 8}},
            "checks": {
                "enabled": True,
                "positive_data_acceptance": {"enabled": False, "expected-statuses": VALID_ANSWERS},
                "positive_data_acceptance_within_words": {"expected-statuses": VALID_ANSWERS},
                "negative_data_rejection": {"enabled": False, "expected-statuses": REFUSALS},
                "negative_data_rejection_within_words": {"expected-statuses": REFUSALS},
            },
            # The live tail never ends: each request reads a few events, for at most 2 s
            "operations": [
                {
                    "include-path": "/api/logs/stream",
                    "max-stream-events": 3,
                    "request-timeout": 2,
                    "generation": {"max-examples": 5},
                }
            ],
            "suppress-health-check": ["all"],
        }
    )


def takes_input(operation: dict[str, Any]) -> bool:
    """Whether invalid requests can be generated: a body, or query parameters (the $refs here are queries)."""
    return "requestBody" in operation or any(
        p.get("in") == "query" or "$ref" in p for p in operation.get("parameters", [])
    )


# An endless body cannot be read to its end in-process: the live tail is driven against a real server instead
# (tests/server/test_search_live.py: delivery, resume, heartbeat, the cap) and its 400s in tests/api/test_search.py.
ENDLESS = {("GET", "/api/logs/stream")}
CASES = [
    (method.upper(), path, mode)
    for path, item in DOCUMENT["paths"].items()
    for method, operation in item.items()
    if method in HTTP_METHODS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode is GenerationMode.POSITIVE or takes_input(operation)
    if (method.upper(), path) not in ENDLESS
]
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
    negative_data_rejection_within_words,
    positive_data_acceptance_within_words,
]


@pytest.mark.parametrize(("method", "path", "mode"), CASES, ids=[f"{m} {p} {mode.value}" for m, p, mode in CASES])
def test_operation_conforms_to_the_openapi_document(
    make_app: Any, method: str, path: str, mode: GenerationMode
) -> None:
    app = make_app(AUTH_CONFIG)
    key = make_keys(app)["admin"]
    config = schemathesis_config(key, MAX_EXAMPLES)
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app, config=config, headers={"X-API-Key": key})
    operation = schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def run(case: Any) -> None:
        case.call_and_validate(checks=CHECKS, headers={"X-API-Key": key})

    run()


# --- the whole engine against a real server ------------------------------------------------------------------------

PHASES = ("coverage", "fuzzing", "stateful")  # examples: the document has none (schemathesis skips that phase)
ENGINE_EXAMPLES = int(os.environ.get("SCHEMATHESIS_ENGINE_EXAMPLES", "40"))


def served(make_app: Any, tmp_path: Path) -> tuple[LiveServer, str]:
    """A `loglens serve` on this test run's store backend, with auth on, and an admin key in its store."""
    app: Flask = make_app(AUTH_CONFIG)
    key = make_keys(app)["admin"]
    storage = plain(app.extensions["loglens"].config.storage)
    server = LiveServer(tmp_path / "server", {**AUTH_CONFIG, "storage": storage})
    return server, key


@dataclass
class Run:
    failures: list[str] = field(default_factory=list)  # each with a curl line that reproduces it
    errors: list[str] = field(default_factory=list)  # what schemathesis could not do
    sent: Counter[str] = field(default_factory=Counter)  # requests per phase
    beyond_latin1: set[str] = field(default_factory=set)  # paths sent with a character past U+00FF


def run_engine(schema: Any) -> Run:
    """Run every phase; collect what failed (once per phase, kind and operation) and what was sent."""
    run = Run()
    failures: dict[tuple[str, str, str | None], str] = {}
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            phase = event.phase.value
            run.sent[phase] += len(event.recorder.interactions)
            for interaction in event.recorder.interactions.values():
                path = urllib.parse.unquote(urllib.parse.urlsplit(interaction.request.uri).path)
                if any(ord(c) > 0xFF for c in path):
                    run.beyond_latin1.add(path)
            for nodes in event.recorder.checks.values():
                for node in nodes:
                    info = node.failure_info
                    if info is not None:
                        where = (phase, info.failure.title, info.failure.operation)
                        failures.setdefault(where, f"{info.code_sample}\n{info.failure.message[:600]}")
        elif isinstance(event, events.NonFatalError):
            run.errors.append(f"{event.label}: {event.info.title}: {event.info.message[:600]}")
        elif isinstance(event, events.FatalError):
            run.errors.append(f"fatal: {event.exception!r}")
        elif isinstance(event, events.EngineFinished):
            failures.update({("after run", f.title, f.operation): f.message[:600] for f in event.failures})
    run.failures = [f"[{p}] {t} on {o}:\n{text}" for (p, t, o), text in failures.items()]
    return run


@pytest.mark.server
@pytest.mark.timeout(600)
def test_every_schemathesis_phase_finds_no_server_error_and_no_contract_violation_on_a_real_server(
    make_app: Any, tmp_path: Path
) -> None:
    server, key = served(make_app, tmp_path)
    server.start()
    try:
        config = schemathesis_config(key, ENGINE_EXAMPLES)
        schema = schemathesis.openapi.from_url(server.url + "/openapi.json", config=config)
        run = run_engine(schema)
    finally:
        server.kill()
    print(f"requests per phase: {dict(run.sent)}; paths past Latin-1: {len(run.beyond_latin1)}")
    assert not run.errors, "schemathesis could not run everything:\n" + "\n".join(run.errors)
    assert not run.failures, f"{len(run.failures)} contract violations:\n\n" + "\n\n".join(run.failures)
    # what makes the run worth its time: each phase sent requests, and paths reached past Latin-1
    assert all(run.sent[phase] > 0 for phase in PHASES), run.sent
    assert run.beyond_latin1, "no generated path had a character outside Latin-1"
