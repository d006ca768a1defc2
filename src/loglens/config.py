"""Settings as data: built-in defaults, deep-merged with config.yaml, then LOGLENS_* environment variables.

Every setting is declared once in SETTINGS with its default, type and one line of help. The README's
configuration table is checked against this list by a test, so a setting cannot go undocumented.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


class ConfigError(ValueError):
    """The configuration is unusable; the message names the offending key."""


@dataclass(frozen=True)
class Setting:
    default: Any
    type: type
    help: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] | None = None
    nullable: bool = False  # null is allowed (and means "decide automatically", as the help says)


# storage.clickhouse.* (one mapping setting; each key documented in the README table as `clickhouse.KEY`)
CLICKHOUSE_DEFAULTS: dict[str, Any] = {
    "host": "127.0.0.1",
    "port": 9000,
    "database": "loglens",
    "user": "default",
    "password": "",
    "cluster": "",
    "lease_seconds": 30.0,
    "connect_timeout_seconds": 10.0,
}
CLICKHOUSE_TYPES: dict[str, type] = {k: type(v) for k, v in CLICKHOUSE_DEFAULTS.items()}
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

SETTINGS: dict[str, dict[str, Setting]] = {
    "server": {
        "host": Setting(
            "127.0.0.1",
            str,
            "Bind address (a name is resolved, IPv4 first); a non-loopback one needs auth.enabled (or auth.allow_open)",
        ),
        "port": Setting(5000, int, "Server port", 0, 65535),
        "workers": Setting(1, int, "HTTP worker processes", 1, 64),
        "threads": Setting(4, int, "Threads per worker process", 1, 256),
        "http_server": Setting(
            "granian", str, "Production WSGI server: granian or gunicorn", choices=("granian", "gunicorn")
        ),
        "max_body_bytes": Setting(
            10 * 1024 * 1024, int, "Largest request body accepted, before and after gzip (413 above)", 1
        ),
        "trusted_proxies": Setting(
            0, int, "Reverse proxies in front whose X-Forwarded-For/-Proto to trust (client address, HTTPS)", 0, 10
        ),
        "allowed_hosts": Setting(
            [],
            list,
            "Host names answered besides loopback names and the bound address (400 otherwise); '*': any",
        ),
        "client_timeout_seconds": Setting(
            30.0,
            float,
            "Longest wait for a client's request headers (in all) or for the next piece of its body; then the"
            " connection is closed (408)",
            0.05,
            3600,
        ),
        "max_unsent_bytes": Setting(
            256 * 1024,
            int,
            "Most bytes of a streamed response (live tail, export) a worker holds for a client that does not take"
            " them; past it the stream waits, and a client that takes nothing for client_timeout_seconds is dropped",
            4096,
        ),
        "http2": Setting(False, bool, "Also accept cleartext HTTP/2 (h2c) on Granian; HTTP/1.1 only when false"),
    },
    "storage": {
        "backend": Setting(
            "sqlite", str, "Store backend: sqlite (embedded) or clickhouse", choices=("sqlite", "clickhouse")
        ),
        "clickhouse": Setting(
            dict(CLICKHOUSE_DEFAULTS),
            dict,
            "ClickHouse connection, when backend is clickhouse (keys below; unset keys keep their defaults)",
        ),
        "data_dir": Setting("./data", str, "Directory holding the embedded store"),
        "path": Setting(
            "", str, "SQLite file; empty means DATA_DIR/loglens.db, ':memory:' keeps nothing across restarts"
        ),
        "synchronous": Setting(
            "FULL",
            str,
            "SQLite fsync policy: FULL survives power loss; NORMAL survives kill -9, not power loss",
            choices=("FULL", "NORMAL"),
        ),
        "integrity_check": Setting(
            "auto",
            str,
            "Check an existing store and refuse a damaged one: auto (quick_check at startup up to 64 MiB, in the"
            " background above), quick, full (slower) or off",
            choices=("auto", "quick", "full", "off"),
        ),
        "max_logs": Setting(5_000_000, int, "Most log entries kept; the oldest beyond it are evicted", 1),
        "retention_days": Setting(7, float, "Entries and rollups older than this (event time) are deleted", 0.001),
        "search_index": Setting(
            True,
            bool,
            "Keep the word/field index and time path for search (off only to measure ingest without them)",
        ),
        "max_pending_entries": Setting(
            100_000, int, "Entries waiting for the writer before ingest answers 503 with Retry-After", 1
        ),
        "max_pending_bytes": Setting(
            256 * 1024 * 1024,
            int,
            "Bytes waiting for the writer before ingest answers 503 with Retry-After",
            1,
        ),
    },
    "ingest": {
        "max_batch_entries": Setting(10_000, int, "Most entries in one bulk request (413 above)", 1),
        "max_entry_bytes": Setting(
            64 * 1024, int, "Largest entry as JSON: 413 for POST /api/logs, a rejected entry in bulk and OTLP", 64
        ),
        "max_metadata_depth": Setting(
            16, int, "Deepest nesting of objects and arrays in metadata, metadata itself being level 1", 1, 200
        ),
        "max_metadata_keys": Setting(256, int, "Most keys in one metadata object, at any depth", 1),
        "max_string_chars": Setting(
            32 * 1024, int, "Longest string in an entry: message, service, user_id, metadata keys and values", 1
        ),
        "max_services": Setting(
            1000, int, "Most distinct services tracked; an entry naming a new service past it is rejected", 1
        ),
        "default_service": Setting(
            "unknown_service", str, "Service of a Loki line or Elasticsearch document that names none"
        ),
        "loki_service_labels": Setting(
            ["service_name", "service", "app", "application", "job", "container"],
            list,
            "Loki push: labels naming the service, the first present wins (else ingest.default_service)",
        ),
        "loki_level_labels": Setting(
            ["level", "severity", "detected_level", "lvl"],
            list,
            "Loki push: labels or structured metadata naming the level, the first that names one wins",
        ),
        "elasticsearch_service_fields": Setting(
            ["service.name", "service", "app", "programname"],
            list,
            "Elasticsearch bulk: document fields naming the service, the first present wins (else the index name)",
        ),
    },
    "analytics": {
        "max_buckets": Setting(60, int, "Most time buckets in one series; longer ranges use wider buckets", 1, 10_000),
        "recent_logs": Setting(20, int, "Entries in the dashboard's recent logs table", 1, 1000),
        "top_n": Setting(10, int, "Rows in most active services and user activity", 1, 1000),
        "max_health_services": Setting(
            100, int, "Most services in the dashboard's service_health (down, then degraded, then busiest)", 1, 10_000
        ),
        "error_rate_min_entries": Setting(
            10, int, "Entries a chart bucket needs before its error rate is drawn (fewer: left out as uncertain)", 1
        ),
    },
    "alerting": {
        "error_rate_threshold": Setting(0.10, float, "Error rate to trigger alert (10%)", 0.0, 1.0),
        "high_volume_threshold": Setting(100, int, "Log count per service per minute to trigger alert", 1),
        "service_down_minutes": Setting(2.0, float, "Minutes of silence before service-down alert", 0.01),
        "service_forget_hours": Setting(
            24.0,
            float,
            "Hours of silence after which a service is retired: its alerts resolve, it leaves the grid and counts",
            0.001,
        ),
        "cooldown_seconds": Setting(300.0, float, "Seconds between repeated alerts of the same rule and service", 0),
        "window_minutes": Setting(5, int, "Event-time window of the error-rate rule", 1, 1440),
        "min_events": Setting(20, int, "Entries a service needs in the window before its error rate counts", 1),
        "check_interval_seconds": Setting(30.0, float, "How often the background job evaluates every rule", 1),
        "ingest_check_seconds": Setting(
            0.25, float, "Least time between two rule evaluations triggered by ingest (they run in the background)", 0
        ),
        "handlers": Setting(
            [{"type": "log"}],
            list,
            "Notifiers, e.g. [{type: log}, {type: webhook, url: ..., timeout_seconds: 5}]",
        ),
        "queue_size": Setting(1000, int, "Notifications waiting for handlers before new ones are dropped", 1),
    },
    "search": {
        "max_streams": Setting(
            64, int, "Most concurrent live-tail streams (GET /api/logs/stream) per worker", 0, 10_000
        ),
        "heartbeat_seconds": Setting(15.0, float, "Seconds between heartbeat comments on an idle live tail", 0.05),
        "poll_seconds": Setting(0.2, float, "How often live tails look for newly committed entries", 0.01, 5),
        "max_export_entries": Setting(10_000_000, int, "Most entries one export streams", 1),
        "query_timeout_seconds": Setting(
            10.0,
            float,
            "Longest a query (a search page, an export page, a dashboard read) may run in the store; past it the"
            " store stops it and the API answers 503 (ClickHouse counts whole seconds, rounded up)",
            0.01,
            3600,
        ),
    },
    "dashboard": {
        "refresh_seconds": Setting(5.0, float, "Dashboard auto-refresh interval", 1, 3600),
    },
    "auth": {
        "enabled": Setting(False, bool, "Require an API key (or a dashboard login) for every endpoint but /health"),
        "allow_open": Setting(
            False, bool, "Serve a non-loopback address with auth off (warns, and the dashboard says so)"
        ),
        "session_hours": Setting(12.0, float, "Lifetime of a dashboard login session", 0.01, 24 * 365),
        "max_failures": Setting(10, int, "Wrong keys one address may send per failure window before it gets 429", 1),
        "failure_window_seconds": Setting(60.0, float, "Window of auth.max_failures", 1),
        "ingest_rate": Setting(2000.0, float, "Ingest requests per second per key, per worker (0: no limit)", 0),
        "ingest_burst": Setting(4000, int, "Ingest requests one key may send at once before ingest_rate applies", 1),
    },
    "simulator": {
        "enabled": Setting(None, bool, "Serve the simulate endpoints; null: only while auth is off", nullable=True),
    },
}

CONFIG_ENV = "CONFIG_PATH"
ENV_PREFIX = "LOGLENS_"
# LOGLENS_* variables read by the client commands, not settings of the server
CLIENT_ENV = frozenset({"LOGLENS_URL", "LOGLENS_API_KEY"})


def defaults() -> dict[str, dict[str, Any]]:
    return {section: {k: copy.deepcopy(s.default) for k, s in keys.items()} for section, keys in SETTINGS.items()}


def _coerce(section: str, key: str, value: Any, *, from_env: bool) -> Any:
    setting = SETTINGS[section][key]
    name = f"{section}.{key}"
    if from_env and setting.type is not str:
        try:
            value = yaml.safe_load(value)
        except yaml.YAMLError as exc:
            raise ConfigError(f"{name}: cannot parse {value!r}: {exc}") from None
    if value is None and setting.nullable:
        return None
    if setting.type is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if setting.type is str and from_env:
        value = str(value)
    if not isinstance(value, setting.type) or isinstance(value, bool) and setting.type is not bool:
        raise ConfigError(f"{name}: expected {setting.type.__name__}, got {type(value).__name__} ({value!r})")
    if setting.minimum is not None and value < setting.minimum:  # type: ignore[operator]
        raise ConfigError(f"{name}: must be >= {setting.minimum}, got {value!r}")
    if setting.maximum is not None and value > setting.maximum:  # type: ignore[operator]
        raise ConfigError(f"{name}: must be <= {setting.maximum}, got {value!r}")
    if setting.choices is not None and value not in setting.choices:
        raise ConfigError(f"{name}: must be one of {', '.join(setting.choices)}, got {value!r}")
    return value


def merge(base: dict[str, dict[str, Any]], overrides: Mapping[str, Any], *, origin: str) -> None:
    """Deep-merge `overrides` into `base` in place, rejecting unknown sections and keys."""
    if not isinstance(overrides, Mapping):
        raise ConfigError(f"{origin}: the top level must be a mapping of sections")
    for section, values in overrides.items():
        if section not in SETTINGS:
            raise ConfigError(f"{origin}: unknown section {section!r} (known: {', '.join(SETTINGS)})")
        if values is None:
            continue
        if not isinstance(values, Mapping):
            raise ConfigError(f"{origin}: section {section!r} must be a mapping")
        for key, value in values.items():
            if key not in SETTINGS[section]:
                raise ConfigError(f"{origin}: unknown key {section}.{key}")
            base[section][key] = _merged(base[section][key], _coerce(section, key, value, from_env=False))


def _merged(old: Any, new: Any) -> Any:
    """A mapping setting (storage.clickhouse) merges key by key; any other value replaces the old one."""
    return {**old, **new} if isinstance(old, dict) and isinstance(new, dict) else new


def load(
    path: str | os.PathLike[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> dict[str, dict[str, Any]]:
    """Build the effective configuration.

    Order: defaults < YAML file (`path`, else $CONFIG_PATH, else ./config.yaml if present) < LOGLENS_* env < overrides.
    """
    env = os.environ if env is None else env
    config = defaults()
    if path is None and env.get(CONFIG_ENV):
        path = env[CONFIG_ENV]
    elif path is None and Path("config.yaml").is_file():
        path = "config.yaml"
    if path is not None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {exc}") from None
        merge(config, data, origin=str(path))
    for name, raw in env.items():
        if not name.startswith(ENV_PREFIX) or name in CLIENT_ENV:
            continue
        section, _, key = name[len(ENV_PREFIX) :].lower().partition("_")
        if section not in SETTINGS or key not in SETTINGS[section]:
            raise ConfigError(f"environment variable {name}: no setting {section}.{key}")
        config[section][key] = _merged(config[section][key], _coerce(section, key, raw, from_env=True))
    if overrides:
        merge(config, overrides, origin="overrides")
    _check_handlers(config["alerting"]["handlers"])
    config["storage"]["clickhouse"] = _check_clickhouse(config["storage"]["clickhouse"])
    _check_hosts(config["server"]["allowed_hosts"])
    _check_names(config["ingest"])
    return config


def _check_clickhouse(values: Mapping[str, Any]) -> dict[str, Any]:
    """storage.clickhouse: known keys only, each of its type; unset keys take their defaults."""
    out = dict(CLICKHOUSE_DEFAULTS)
    for key, value in values.items():
        name = f"storage.clickhouse.{key}"
        if key not in CLICKHOUSE_TYPES:
            raise ConfigError(f"unknown key {name} (known: {', '.join(CLICKHOUSE_DEFAULTS)})")
        wanted = CLICKHOUSE_TYPES[key]
        if wanted is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if wanted is str and isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)  # e.g. a numeric password from an environment variable
        if not isinstance(value, wanted) or isinstance(value, bool):
            raise ConfigError(f"{name}: expected {wanted.__name__}, got {type(value).__name__} ({value!r})")
        out[key] = value
    if not 0 < out["port"] < 65536:
        raise ConfigError(f"storage.clickhouse.port: must be 1..65535, got {out['port']}")
    for key in ("database", "cluster"):
        if out[key] and not IDENTIFIER.match(out[key]):
            raise ConfigError(f"storage.clickhouse.{key}: must be a plain identifier, got {out[key]!r}")
    if not out["database"]:
        raise ConfigError("storage.clickhouse.database: must not be empty")
    if out["lease_seconds"] < 1 or out["connect_timeout_seconds"] <= 0:
        raise ConfigError("storage.clickhouse: lease_seconds must be >= 1 and connect_timeout_seconds > 0")
    return out


def _check_hosts(hosts: list[Any]) -> None:
    for i, host in enumerate(hosts):
        if not isinstance(host, str) or not host.strip():
            raise ConfigError(f"server.allowed_hosts[{i}]: expected a host name, got {host!r}")


def _check_names(ingest: Mapping[str, Any]) -> None:
    """The shipper mappings: lists of non-empty names, and a non-empty default service."""
    for key in ("loki_service_labels", "loki_level_labels", "elasticsearch_service_fields"):
        for i, name in enumerate(ingest[key]):
            if not isinstance(name, str) or not name:
                raise ConfigError(f"ingest.{key}[{i}]: expected a label or field name, got {name!r}")
    if not ingest["default_service"].strip():
        raise ConfigError("ingest.default_service: must not be empty")


def _check_handlers(handlers: list[Any]) -> None:
    for i, spec in enumerate(handlers):
        if not isinstance(spec, Mapping) or not isinstance(spec.get("type"), str):
            raise ConfigError(f"alerting.handlers[{i}]: each handler needs a 'type' (log or webhook)")
        if spec["type"] == "webhook" and not isinstance(spec.get("url"), str):
            raise ConfigError(f"alerting.handlers[{i}]: a webhook handler needs a 'url'")


def simulator_enabled(config: Mapping[str, Mapping[str, Any]]) -> bool:
    """simulator.enabled, with null meaning: on while auth is off."""
    enabled = config["simulator"]["enabled"]
    return not config["auth"]["enabled"] if enabled is None else bool(enabled)


def store_path(config: Mapping[str, Mapping[str, Any]]) -> str:
    storage = config["storage"]
    if storage["path"]:
        return str(storage["path"])
    return str(Path(storage["data_dir"]) / "loglens.db")
