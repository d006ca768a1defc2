"""Schemathesis drives every documented operation through the WSGI app (the fast ingest path included) with
generated requests, valid and invalid: no 5xx, and every response conforms to GET /openapi.json."""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode, checks

from loglens.openapi import build_document

# per operation and mode: bounded so that CI stays fast; SCHEMATHESIS_EXAMPLES=500 explores deeper locally
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "15"))
HTTP_METHODS = ("get", "post", "put", "patch", "delete")
DOCUMENT = build_document()


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
]


@pytest.mark.parametrize(("method", "path", "mode"), CASES, ids=[f"{m} {p} {mode.value}" for m, p, mode in CASES])
def test_operation_conforms_to_the_openapi_document(
    make_app: Any, method: str, path: str, mode: GenerationMode
) -> None:
    schema = schemathesis.openapi.from_wsgi("/openapi.json", make_app())
    operation = schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def run(case: Any) -> None:
        case.call_and_validate(checks=CHECKS)

    run()
