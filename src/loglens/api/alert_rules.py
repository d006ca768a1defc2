"""Query alert rules through the API (docs/alerting.md):

    GET    /api/alert-rules              every rule (built-in, config.yaml's and the API's) with its state, value, last
                                         evaluation
    POST   /api/alert-rules              create a rule (admin); 409 if the name is taken
    GET    /api/alert-rules/<name>       one rule
    PUT    /api/alert-rules/<name>       create or replace a rule (admin); built-in and config.yaml's rules are
                                         read-only (409)
    DELETE /api/alert-rules/<name>       delete a rule (admin); its firing alerts resolve
    POST   /api/alert-rules/preview      a rule's value over the last 24 h and when it would have fired

A body is checked exactly as a config rule is (a 400 names the key). A rule naming a `saved_search` that does not
exist (or whose query is not a rule's) is a 400 naming `saved_search`; listed, each rule shows the query it
evaluates now (`resolved_query`).
"""

from __future__ import annotations

import re
import time
from typing import Any

from flask import Blueprint, Response, jsonify
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from werkzeug.routing import BaseConverter

from ..alerts.builtin import SOURCE as BUILT_IN
from ..alerts.builtin import BuiltinRule
from ..alerts.preview import PreviewError, preview
from ..alerts.query_engine import QueryRuleEngine
from ..alerts.rule_spec import QueryRule, RuleError, resolve, rule_from_body, spec_body
from ..alerts.rule_status import RuleStatus
from ..answer import ApiError
from ..auth.access import requires
from ..config import ConfigError
from ..model import iso_from_ms
from ..search.stats import StatsError
from ..state import LogLens, current_loglens
from .body import json_object

bp = Blueprint("alert_rules", __name__)


class RuleName(BaseConverter):
    """A rule's name in a URL: anything but `preview`, so that /api/alert-rules/preview is only the preview (its
    OPTIONS lists POST alone). check_rule refuses the name `preview`."""

    regex = r"(?!preview$)[^/]+"


@bp.record_once
def _converter(setup: BlueprintSetupState) -> None:  # before the routes below are added
    setup.app.url_map.converters["rule_name"] = RuleName


def _engine() -> tuple[LogLens, QueryRuleEngine]:
    state = current_loglens()
    engine: QueryRuleEngine = state.rules
    return state, engine


KEY = re.compile(r"^(?:unknown key )?rule\.([A-Za-z_]+)")


def _checked(body: dict[str, Any]) -> QueryRule:
    """The body as a rule, its saved search (if it names one) read now: a 400 naming the key otherwise."""
    state = current_loglens()
    try:
        rule = rule_from_body(body, notifiers=state.delivery.names)
        return resolve(rule, state.store.saved_searches)
    except ConfigError as exc:
        found = KEY.match(str(exc))
        if found is not None:  # the key, as a query parameter's 400 names it
            raise ApiError(400, str(exc), parameter=found.group(1)) from None
        raise ApiError(400, str(exc)) from None


def _shown(rule: QueryRule, status: RuleStatus | None) -> dict[str, Any]:
    return {**spec_body(rule.spec), "source": rule.source, **_status(status or RuleStatus()), **_saved_fields(rule)}


def _status(status: RuleStatus) -> dict[str, Any]:
    return {
        "state": status.state if status.evaluated_ms is not None else "unevaluated",
        "value": status.value,
        "groups": status.groups,
        "last_evaluated_at": iso_from_ms(status.evaluated_ms) if status.evaluated_ms is not None else None,
        "took_ms": status.took_ms,
        "error": status.error,
        "folded_groups": status.folded,
        "skipped_evaluations": status.skipped,
    }


def _saved_fields(rule: QueryRule) -> dict[str, Any]:
    """The saved search a rule names (null for a rule with its own query) and the query it evaluates now (null
    while its saved search does not exist or cannot be a rule's query)."""
    if not rule.saved_search:
        return {"saved_search": None, "resolved_query": rule.spec.query}
    try:
        found = resolve(rule, current_loglens().store.saved_searches)
    except RuleError:
        return {"saved_search": rule.saved_search, "resolved_query": None}
    return {"saved_search": rule.saved_search, "resolved_query": found.resolved_query}


def _shown_builtin(rule: BuiltinRule, engine: QueryRuleEngine) -> dict[str, Any]:
    """A built-in rule: its definition from config.yaml's `alerting` keys and its last evaluation (one group per
    service; on ingest for the services that sent entries, periodically for all)."""
    status = engine.builtin.engine.status.get(rule.name) if engine.builtin is not None else None
    body = rule.body()
    shown = {**body, **_status(status or RuleStatus()), "source": BUILT_IN}
    return {**shown, "saved_search": None, "resolved_query": body.get("query")}


def _builtins(engine: QueryRuleEngine) -> list[BuiltinRule]:
    return list(engine.builtin.definitions.values()) if engine.builtin is not None else []


@bp.get("/api/alert-rules")
@requires("read")
def list_rules() -> ResponseReturnValue:
    _, engine = _engine()
    engine.reload()
    shown = [_shown(r, engine.status.get(r.name)) for r in engine.rules()]
    shown += [_shown_builtin(r, engine) for r in _builtins(engine)]
    return jsonify(sorted(shown, key=lambda r: str(r["name"])))


@bp.post("/api/alert-rules")
@requires("admin")
def create_rule() -> ResponseReturnValue:
    state, engine = _engine()
    rule = _checked(json_object())
    engine.reload()
    if engine.rule(rule.name) is not None:
        where = "config.yaml" if rule.name in engine.config_rules else "the API"
        raise ApiError(409, f"a rule named {rule.name!r} exists (from {where}); PUT /api/alert-rules/<name> replaces")
    state.store.save_alert_rule(rule.name, spec_body(rule.spec), int(state.clock() * 1000))
    engine.reload()
    return jsonify(_shown(rule, None)), 201


def _named(name: str) -> QueryRule:
    _, engine = _engine()
    engine.reload()
    rule = engine.rule(name)
    if rule is None:
        raise ApiError(404, f"no alert rule named {name!r}")
    return rule


def _writable(name: str) -> None:
    _, engine = _engine()
    builtin = engine.builtin.definition(name) if engine.builtin is not None else None
    if builtin is not None:
        keys = ", ".join(sorted(set(builtin.config_keys.values())))
        raise ApiError(
            409, f"the rule {name!r} is built in and read-only; change it with these config.yaml keys: {keys}"
        )
    if name in engine.config_rules:
        raise ApiError(409, f"the rule {name!r} comes from config.yaml and is read-only here; change it there")


@bp.get("/api/alert-rules/<rule_name:name>")
@requires("read")
def get_rule(name: str) -> ResponseReturnValue:
    _, engine = _engine()
    builtin = engine.builtin.definition(name) if engine.builtin is not None else None
    if builtin is not None:
        return jsonify(_shown_builtin(builtin, engine))
    rule = _named(name)
    return jsonify(_shown(rule, engine.status.get(name)))


@bp.put("/api/alert-rules/<rule_name:name>")
@requires("admin")
def put_rule(name: str) -> ResponseReturnValue:
    state, engine = _engine()
    body = json_object()
    if "name" in body and body["name"] != name:
        raise ApiError(
            400, f"name: the body names {body['name']!r}, the URL {name!r}; rename by DELETE and POST", parameter="name"
        )
    _writable(name)
    rule = _checked({**body, "name": name})
    engine.reload()
    existed = name in engine.stored_rules
    state.store.save_alert_rule(name, spec_body(rule.spec), int(state.clock() * 1000))
    engine.reload()
    return jsonify(_shown(rule, None)), 200 if existed else 201


@bp.delete("/api/alert-rules/<rule_name:name>")
@requires("admin")
def delete_rule(name: str) -> ResponseReturnValue:
    state, engine = _engine()
    _writable(name)
    now_ms = int(state.clock() * 1000)
    if not state.store.delete_alert_rule(name, now_ms):
        raise ApiError(404, f"no alert rule named {name!r}")
    for alert in state.store.alerts("firing", limit=100_000):
        if alert.rule == name:
            state.store.resolve_alert(alert.id, now_ms, "resolved: the rule was deleted")
    engine.reload()
    return Response(status=204)


@bp.post("/api/alert-rules/preview")
@requires("read")
def preview_rule() -> ResponseReturnValue:
    """Backtest a rule body (not saved): its value over the last 24 h and the times it would have fired."""
    started = time.perf_counter()
    state = current_loglens()
    body = json_object()
    rule = _checked({"name": "previewed", **body})
    try:
        out = preview(state.store, rule, int(state.clock() * 1000))
    except (PreviewError, StatsError) as exc:
        raise ApiError(400, str(exc), parameter="query") from None
    out["took_ms"] = round((time.perf_counter() - started) * 1000, 2)
    return out
