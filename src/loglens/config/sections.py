"""Every setting, declared once: type (the annotation), default, bounds, environment variable and help.

docs/configuration.md is generated from these declarations (`python -m loglens.config.reference`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .declare import section, setting

IDENTIFIER = r"[A-Za-z_][A-Za-z0-9_]*"
IDENTIFIER_DASH = r"[A-Za-z0-9_][A-Za-z0-9_-]*"  # notifier names (issue 24)
MIB = 1024 * 1024


@dataclass(frozen=True, kw_only=True)
class ServerSettings:
    host: str = setting(
        "127.0.0.1",
        "Bind address, or a name resolved to one (IPv4 first: `localhost` binds 127.0.0.1); a non-loopback one"
        " needs `auth.enabled` (or `auth.allow_open`)",
    )
    port: int = setting(5000, "Server port", minimum=0, maximum=65535)
    workers: int = setting(1, "HTTP worker processes", minimum=1, maximum=64)
    threads: int = setting(4, "Threads per worker process", minimum=1, maximum=256)
    http_server: str = setting("granian", "Production server: `granian` or `gunicorn`", choices=("granian", "gunicorn"))
    max_body_bytes: int = setting(
        10 * MIB, "Largest request body accepted, before and after gzip (413 above)", minimum=1
    )
    trusted_proxies: int = setting(
        0,
        "Reverse proxies in front whose `X-Forwarded-For` / `X-Forwarded-Proto` to trust (client address, HTTPS)",
        minimum=0,
        maximum=10,
    )
    allowed_hosts: tuple[str, ...] = setting(
        (),
        '`Host` names answered besides loopback names and the bound address (400 otherwise); `"*"` allows any',
    )
    client_timeout_seconds: float = setting(
        30.0,
        "Longest wait for a client's request headers (in all) or for the next piece of its body; then the"
        " connection is closed (408)",
        minimum=0.05,
        maximum=3600,
    )
    max_unsent_bytes: int = setting(
        64 * 1024,
        "Most bytes of a streamed response (live tail, export) a worker holds for a client that does not take"
        " them; past it the stream waits, and a client that takes nothing for `client_timeout_seconds` is dropped",
        minimum=4096,
    )
    http2: bool = setting(False, "Also accept cleartext HTTP/2 (h2c) on Granian; HTTP/1.1 only when false")


@dataclass(frozen=True, kw_only=True)
class ClickHouseSettings:
    host: str = setting("127.0.0.1", "ClickHouse server this node talks to", text_from_number=True)
    port: int = setting(9000, "Its native TCP port (not the HTTP port)", minimum=1, maximum=65535)
    database: str = setting(
        "loglens",
        "Database holding LogLens's tables (created if missing)",
        pattern=IDENTIFIER,
        pattern_help="a plain identifier",
        text_from_number=True,
    )
    user: str = setting("default", "ClickHouse user", text_from_number=True)
    password: str = setting("", "Its password", text_from_number=True)
    cluster: str = setting(
        "",
        "`remote_servers` cluster name for a sharded setup; empty for one server",
        pattern=f"(?:{IDENTIFIER})?",
        pattern_help="a plain identifier",
        text_from_number=True,
    )
    lease_seconds: float = setting(
        30.0, "Leader lease: a stopped leader's jobs move to another node within this time", minimum=1
    )
    connect_timeout_seconds: float = setting(
        10.0, "How long to wait for ClickHouse to answer a connection", minimum=0.001
    )


@dataclass(frozen=True, kw_only=True)
class StorageSettings:
    backend: str = setting(
        "sqlite", "Store backend: `sqlite` (embedded) or `clickhouse`", choices=("sqlite", "clickhouse")
    )
    clickhouse: ClickHouseSettings = section(
        ClickHouseSettings,
        "ClickHouse connection, when `backend` is `clickhouse`: a mapping of the keys below (unset keys keep"
        " their defaults)",
    )
    data_dir: str = setting("./data", "Directory holding the embedded store")
    path: str = setting(
        "",
        "SQLite file; empty means DATA_DIR/loglens.db, `:memory:` keeps nothing across restarts. The search index"
        " lives beside it in PATH-search (derived: rebuilt if missing or damaged)",
    )
    synchronous: str = setting(
        "FULL",
        "SQLite fsync policy: FULL survives power loss; NORMAL survives kill -9, not power loss",
        choices=("FULL", "NORMAL"),
    )
    integrity_check: str = setting(
        "auto",
        "Check an existing store and refuse a damaged one: auto (quick_check at startup up to 64 MiB, in the"
        " background above), quick, full (slower) or off",
        choices=("auto", "quick", "full", "off"),
    )
    max_logs: int = setting(5_000_000, "Most log entries kept; the oldest beyond it are evicted", minimum=1)
    retention_days: float = setting(7.0, "Entries and rollups older than this (event time) are deleted", minimum=0.001)
    search_index: bool = setting(
        True, "Keep the word/field index and time path for search (off only to measure ingest without them)"
    )
    max_pending_entries: int = setting(
        100_000, "Entries waiting for the writer before ingest answers 503 with Retry-After", minimum=1
    )
    max_pending_bytes: int = setting(
        256 * MIB, "Bytes waiting for the writer before ingest answers 503 with Retry-After", minimum=1
    )

    @property
    def sqlite_path(self) -> str:
        """The SQLite file: `path`, else DATA_DIR/loglens.db."""
        return self.path or str(Path(self.data_dir) / "loglens.db")


@dataclass(frozen=True, kw_only=True)
class SyslogListenSettings:
    tcp: str = setting(
        "", "TCP listener, `HOST:PORT` (an IP address; TLS when `tls_cert` and `tls_key` are set); empty: none"
    )
    udp: str = setting("", "UDP listener, `HOST:PORT`; empty: none")
    tls_cert: str = setting("", "PEM certificate (chain) for the TCP listener; empty: plain TCP")
    tls_key: str = setting("", "Its PEM private key")
    allow_remote: bool = setting(
        False, "Listen on an address that is not loopback (syslog carries no API key: a firewall decides who sends)"
    )
    max_connections: int = setting(
        256, "Most TCP connections one worker reads at once; more wait in the kernel's backlog", minimum=1
    )

    def problem(self) -> str | None:
        """What makes these listeners unusable together (types and bounds are the loader's), or None."""
        for name in ("tcp", "udp"):
            text = getattr(self, name)
            if not text:
                continue
            try:
                host, _ = listen_address(text)
            except ValueError as exc:
                return f"ingest.syslog.{name}: {exc}"
            if not self.allow_remote and not ipaddress.ip_address(host).is_loopback:
                return (
                    f"ingest.syslog.{name}: refusing to listen on {host!r}: syslog carries no API key, so anyone"
                    " who can reach it could write logs. Bind 127.0.0.1, or say it is meant with"
                    " ingest.syslog.allow_remote: true (and let a firewall decide who reaches it)."
                )
        if bool(self.tls_cert) != bool(self.tls_key):
            return "ingest.syslog: TLS needs both tls_cert and tls_key"
        if self.tls_cert and not self.tcp:
            return "ingest.syslog: tls_cert and tls_key apply to the tcp listener; set tcp"
        return None


def listen_address(text: str) -> tuple[str, int]:
    """ "host:port" or "[v6]:port" as (host, port); the host must be an IP address (a listener binds addresses;
    `localhost` reads as 127.0.0.1). Raises ValueError."""
    host, colon, port = text.strip().rpartition(":")
    host = host.strip("[]")
    if not colon or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"expected HOST:PORT (e.g. 127.0.0.1:5514), got {text!r}")
    if host == "localhost":
        host = "127.0.0.1"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"{host!r} is not an IP address") from None
    return host, int(port)


@dataclass(frozen=True, kw_only=True)
class IngestSettings:
    max_batch_entries: int = setting(10_000, "Most entries in one bulk request (413 above)", minimum=1)
    max_entry_bytes: int = setting(
        64 * 1024,
        "Largest entry as JSON: 413 for `POST /api/logs`, a rejected entry in bulk and OTLP",
        minimum=64,
    )
    max_metadata_depth: int = setting(
        16,
        "Deepest nesting of objects and arrays in `metadata`, `metadata` itself being level 1",
        minimum=1,
        maximum=200,
    )
    max_metadata_keys: int = setting(256, "Most keys in one `metadata` object, at any depth", minimum=1)
    max_string_chars: int = setting(
        32 * 1024,
        "Longest string in an entry: `message`, `service`, `user_id`, metadata keys and values",
        minimum=1,
    )
    max_services: int = setting(
        1000, "Most distinct services tracked; an entry naming a new service past it is rejected", minimum=1
    )
    default_service: str = setting(
        "unknown_service",
        "Service of a Loki line or Elasticsearch document that names none (docs/shippers.md)",
        pattern=r".*\S.*",
        pattern_help="a name that is not blank",
    )
    loki_service_labels: tuple[str, ...] = setting(
        ("service_name", "service", "app", "application", "job", "container"),
        "Loki push: labels naming the service, the first present wins (else `default_service`)",
    )
    loki_level_labels: tuple[str, ...] = setting(
        ("level", "severity", "detected_level", "lvl"),
        "Loki push: labels or structured metadata naming the level, the first that names one wins",
    )
    elasticsearch_service_fields: tuple[str, ...] = setting(
        ("service.name", "service", "app", "programname"),
        "Elasticsearch bulk: document fields naming the service, the first present wins (else the index name)",
    )
    syslog: SyslogListenSettings = section(
        SyslogListenSettings,
        "Syslog listeners (RFC 5424 and 3164 over UDP, TCP and TLS), off while `tcp` and `udp` are empty: a"
        " mapping of the keys below; see docs/syslog.md",
    )


@dataclass(frozen=True, kw_only=True)
class AnalyticsSettings:
    max_buckets: int = setting(
        60, "Most time buckets in one series; longer ranges use wider buckets", minimum=1, maximum=10_000
    )
    recent_logs: int = setting(20, "Entries in the dashboard's recent logs table", minimum=1, maximum=1000)
    top_n: int = setting(10, "Rows in most active services and user activity", minimum=1, maximum=1000)
    max_health_services: int = setting(
        100,
        "Most services in the dashboard's `service_health` (down, then degraded, then busiest)",
        minimum=1,
        maximum=10_000,
    )
    error_rate_min_entries: int = setting(
        10,
        "Entries a chart bucket needs before its error rate is drawn (fewer: left out as uncertain)",
        minimum=1,
    )


# -- alerting.handlers entries: one dataclass per kind; the keys several kinds share are declared once here -----


def handler_name() -> Any:
    """`name`: what rules' `notify` calls the handler."""
    return setting(
        None,
        "The handler's name, for rules' `notify` (default: its type, made unique)",
        pattern=IDENTIFIER_DASH,
        pattern_help="letters, digits, `_` and `-`",
        env=False,
    )


def post_headers() -> Any:
    """`headers`: sent with each POST of an HTTP notifier."""
    return setting(
        None, "HTTP headers sent with each POST, e.g. `{Authorization: Bearer ...}`", factory=dict, env=False
    )


@dataclass(frozen=True, kw_only=True)
class LogHandlerSpec:
    """Writes each alert transition to the server's log, one line each."""

    type: Literal["log"] = setting("log", "`log` for this kind", env=False)
    name: str | None = handler_name()


@dataclass(frozen=True, kw_only=True)
class WebhookHandlerSpec:
    """POSTs each alert transition as JSON; retries connection errors, 429 and 5xx with exponential backoff."""

    type: Literal["webhook"] = setting("webhook", "`webhook` for this kind", env=False)
    name: str | None = handler_name()
    url: str = setting(
        "",
        "Where to POST the alert",
        pattern=r"https?://.+",
        pattern_help="an http(s) URL",
        required=True,
        env=False,
    )
    timeout_seconds: float = setting(
        5.0, "How long one attempt waits for the receiver", minimum=0.001, maximum=3600, env=False
    )
    retries: int | None = setting(
        None,
        "Most attempts after the first one fails (default: no count; retries stop after"
        " `alerting.delivery_max_seconds`)",
        minimum=0,
        maximum=100_000,
        env=False,
    )
    backoff_seconds: float = setting(
        0.5, "Wait before the first retry; it doubles for each further one", minimum=0, maximum=3600, env=False
    )
    headers: Mapping[str, str] = post_headers()
    secret: str | None = setting(
        None,
        'When set, each POST carries `X-LogLens-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`'
        " keyed with it (docs/notifiers.md)",
        text_from_number=True,
        env=False,
    )


# -- notifiers of the outbox (issue 24): Alertmanager, email, Apprise -----------------------------------------


@dataclass(frozen=True, kw_only=True)
class AlertmanagerHandlerSpec:
    """POSTs each alert to Alertmanager's `/api/v2/alerts`, again every `resend_seconds` while it fires (keep it
    under Alertmanager's `resolve_timeout`), with `endsAt` once it resolves."""

    type: Literal["alertmanager"] = setting("alertmanager", "`alertmanager` for this kind", env=False)
    name: str | None = handler_name()
    url: str = setting(
        "", "Alertmanager's base URL", pattern=r"https?://.+", pattern_help="an http(s) URL", required=True, env=False
    )
    resend_seconds: float = setting(
        60.0,
        "How often a firing alert is sent again (Alertmanager resolves what it stops hearing about)",
        minimum=1,
        maximum=86_400,
        env=False,
    )
    timeout_seconds: float = setting(5.0, "How long one attempt waits", minimum=0.001, maximum=3600, env=False)
    dashboard_url: str = setting(
        "",
        "LogLens's address as receivers should open it, for `generatorURL` (default: the server's host and port)",
        pattern=r"(https?://.+)?",
        pattern_help="an http(s) URL",
        env=False,
    )
    headers: Mapping[str, str] = post_headers()


@dataclass(frozen=True, kw_only=True)
class EmailHandlerSpec:
    """Sends a mail per alert transition over SMTP (`smtplib`): STARTTLS or SMTPS, and login, when configured."""

    type: Literal["email"] = setting("email", "`email` for this kind", env=False)
    name: str | None = handler_name()
    host: str = setting("", "SMTP server", required=True, env=False)
    port: int = setting(587, "SMTP port", minimum=1, maximum=65535, env=False)
    sender: str = setting("", "The From address", key="from", required=True, env=False)
    to: tuple[str, ...] = setting((), "Recipients", required=True, env=False)
    starttls: bool = setting(True, "Upgrade the connection with STARTTLS before sending (and before login)", env=False)
    tls: bool = setting(
        False, "Speak TLS from the start (SMTPS, usually port 465) instead of upgrading with STARTTLS", env=False
    )
    username: str | None = setting(None, "Login name (no login when unset)", env=False)
    password: str | None = setting(None, "Login password", text_from_number=True, env=False)
    ca_file: str | None = setting(
        None,
        "CA certificates (PEM) to verify the server's STARTTLS certificate with (default: the system's)",
        env=False,
    )
    timeout_seconds: float = setting(10.0, "How long one attempt waits", minimum=0.001, maximum=3600, env=False)


@dataclass(frozen=True, kw_only=True)
class AppriseHandlerSpec:
    """Sends each alert transition through Apprise (Slack, Discord, Teams, Telegram, ntfy, PagerDuty...)."""

    type: Literal["apprise"] = setting("apprise", "`apprise` for this kind", env=False)
    name: str | None = handler_name()
    urls: tuple[str, ...] = setting(
        (), "Apprise URLs, e.g. `slack://T/B/C` (Apprise's documentation)", required=True, env=False
    )


HandlerSpec = LogHandlerSpec | WebhookHandlerSpec | AlertmanagerHandlerSpec | EmailHandlerSpec | AppriseHandlerSpec


# -- query alert rules (issue 24): alerting.rules entries; alerts/rule_spec.py checks what a type cannot -------

DURATION_HELP = "a duration such as 30s, 5m, 1h or 1d"


@dataclass(frozen=True, kw_only=True)
class AlertRuleSpec:
    """An alert rule on a query: its value (the stats stage's one aggregate, per group of its `by`) is compared with
    `condition` every `every` over the last `window`; see docs/alerting.md."""

    name: str = setting(
        "",
        "The rule's name: letters, digits, `.`, `_` and `-` (it names the rule in alerts and in the API's URLs)",
        pattern=r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}",
        pattern_help="letters, digits, '.', '_' or '-' (at most 100), starting with a letter or digit",
        required=True,
        env=False,
    )
    query: str = setting(
        "",
        "A filter plus one `| stats AGG [by FIELDS]` stage with one aggregate; a filter alone means `| stats count()`"
        " (this or `saved_search`)",
        env=False,
    )
    # -- a rule on a saved search (issue 24) --
    saved_search: str = setting(
        "",
        "The name of a saved search whose current query the rule evaluates (its range is ignored); this or `query`",
        env=False,
    )
    condition: str = setting(
        "", "When the rule holds: `>`, `<`, `>=` or `<=` and a number, e.g. `> 50`", required=True, env=False
    )
    window: str = setting(
        "5m", "Range each evaluation aggregates over, ending now", pattern_help=DURATION_HELP, env=False
    )
    every: str = setting("1m", "How often the rule is evaluated", pattern_help=DURATION_HELP, env=False)
    for_: str = setting("0s", "How long the condition must hold before the alert fires (pending until then)", env=False)
    severity: str = setting(
        "warning", "Severity of its alerts (stored in capitals)", choices=("info", "warning", "critical"), env=False
    )
    labels: Mapping[str, str] = setting(
        None, "Labels its alerts carry, e.g. `{team: payments}`", factory=dict, env=False
    )
    no_data: str = setting(
        "ok",
        "When the query has no value (no entries for an aggregate other than count, or a group that vanished):"
        " `ok` resolves, `fire` counts as holding, `keep` keeps the state",
        choices=("ok", "fire", "keep"),
        env=False,
    )
    repeat_interval: str = setting(
        "4h", "While firing, notify again this often (`0s`: once)", pattern_help=DURATION_HELP, env=False
    )
    notify: tuple[str, ...] = setting((), "Names of the handlers to tell; empty: every handler", env=False)
    summary: str = setting(
        "",
        "Jinja2 template of the alert's message (sandboxed): `value`, `threshold`, `condition`, `group`, `labels`,"
        " `window`, `rule`, `severity`, `explore_url`; empty: a built-in sentence",
        env=False,
    )


@dataclass(frozen=True, kw_only=True)
class AlertingSettings:
    error_rate_threshold: float = setting(0.10, "Error rate to trigger alert (10%)", minimum=0.0, maximum=1.0)
    high_volume_threshold: int = setting(100, "Log count per service per minute to trigger alert", minimum=1)
    service_down_minutes: float = setting(2.0, "Minutes of silence before service-down alert", minimum=0.01)
    service_forget_hours: float = setting(
        24.0,
        "Hours of silence after which a service is retired: its alerts resolve, it leaves the grid and counts",
        minimum=0.001,
    )
    cooldown_seconds: float = setting(300.0, "Seconds between repeated alerts of the same rule and service", minimum=0)
    window_minutes: int = setting(5, "Event-time window of the error-rate rule", minimum=1, maximum=1440)
    min_events: int = setting(20, "Entries a service needs in the window before its error rate counts", minimum=1)
    check_interval_seconds: float = setting(30.0, "How often the background job evaluates every rule", minimum=1)
    ingest_check_seconds: float = setting(
        0.25,
        "Least time between two rule evaluations triggered by ingest (they run in the background)",
        minimum=0,
    )
    handlers: tuple[HandlerSpec, ...] = setting(
        (LogHandlerSpec(),),
        "Notifiers, told when an alert fires and when it resolves (the alert's `state` says which): a list of"
        " `{type: log}`, `{type: webhook, url: ...}`, `{type: alertmanager, url: ...}`, `{type: email, ...}` and"
        " `{type: apprise, urls: [...]}` (keys in the tables below; docs/notifiers.md)",
    )
    queue_size: int = setting(
        1000, "Unused since notifications wait in the store's outbox (accepted so older configs load)", minimum=1
    )
    # -- the outbox's delivery loop (alerts/delivery.py, issue 24) -----------------------------------------------
    delivery_max_seconds: float = setting(
        3600.0,
        "How long a notification is retried (connection errors, timeouts, 429, 5xx) before it is recorded failed",
        minimum=0,
    )
    delivery_backoff_seconds: float = setting(
        1.0, "Wait before a notification's first retry; it doubles for each further one", minimum=0.01
    )
    delivery_backoff_max_seconds: float = setting(300.0, "Longest wait between two retries", minimum=0.01)
    delivery_lease_seconds: float = setting(
        120.0,
        "How long a process owns a notification it is delivering; one it left (killed) is taken again after this",
        minimum=1,
    )
    delivery_poll_seconds: float = setting(
        1.0, "How often each notifier looks for due notifications besides being woken", minimum=0.01, maximum=60
    )
    delivery_grace_seconds: float = setting(
        30.0,
        "ClickHouse: how long a notification waits for its alert transition to be visible before it is dropped",
        minimum=0,
    )
    # query rules (issue 24)
    rules: tuple[AlertRuleSpec, ...] = setting(
        (), "Alert rules on queries, checked at startup (keys in the table below; docs/alerting.md)"
    )
    max_groups_per_rule: int = setting(
        100,
        "Most groups (one alert each) a rule grouped `by` fields evaluates; the rest are reported, not alerted on",
        minimum=1,
        maximum=10_000,
    )
    flapping_transitions: int = setting(
        4,
        "A rule+group that fires and resolves more than this many times within `flapping_window_seconds` is"
        " flapping: it notifies once, then not until it settles",
        minimum=1,
    )
    flapping_window_seconds: float = setting(3600.0, "Window of `flapping_transitions`", minimum=1)


@dataclass(frozen=True, kw_only=True)
class SearchSettings:
    max_streams: int = setting(
        64,
        "Most concurrent live-tail streams (`GET /api/logs/stream`) per worker",
        minimum=0,
        maximum=10_000,
    )
    heartbeat_seconds: float = setting(15.0, "Seconds between heartbeat comments on an idle live tail", minimum=0.05)
    poll_seconds: float = setting(0.2, "How often live tails look for newly committed entries", minimum=0.01, maximum=5)
    max_export_entries: int = setting(10_000_000, "Most entries one export streams", minimum=1)
    query_timeout_seconds: float = setting(
        10.0,
        "Longest a query (a search page, an export page, a dashboard read) may run in the store; past it the"
        " store stops it and the API answers 503 (ClickHouse counts whole seconds, rounded up)",
        minimum=0.01,
        maximum=3600,
    )


@dataclass(frozen=True, kw_only=True)
class DashboardSettings:
    refresh_seconds: float = setting(5.0, "Dashboard auto-refresh interval", minimum=1, maximum=3600)


@dataclass(frozen=True, kw_only=True)
class AuthSettings:
    enabled: bool = setting(False, "Require an API key (or a dashboard login) for every endpoint but `/health`")
    allow_open: bool = setting(
        False, "Serve a non-loopback address with auth off (warns at start; the dashboard shows a banner)"
    )
    session_hours: float = setting(12.0, "Lifetime of a dashboard login session", minimum=0.01, maximum=24 * 365)
    max_failures: int = setting(10, "Wrong keys one address may send per failure window before it gets 429", minimum=1)
    failure_window_seconds: float = setting(60.0, "Window of `auth.max_failures`", minimum=1)
    ingest_rate: float = setting(
        2000.0,
        "Ingest requests per second per key, per worker process (token bucket; 0: no limit)",
        minimum=0,
    )
    ingest_burst: int = setting(
        4000, "Ingest requests one key may send at once before `ingest_rate` applies", minimum=1
    )


@dataclass(frozen=True, kw_only=True)
class SimulatorSettings:
    enabled: bool | None = setting(None, "Serve `/api/simulate-*`; null means only while auth is off")


@dataclass(frozen=True, kw_only=True)
class Settings:
    """The whole configuration, read once at startup; each part of the server takes the sections it uses."""

    server: ServerSettings = section(ServerSettings, "The HTTP server", env=False)
    storage: StorageSettings = section(StorageSettings, "Where and how entries are stored", env=False)
    ingest: IngestSettings = section(IngestSettings, "Limits on what one request or entry may hold", env=False)
    analytics: AnalyticsSettings = section(AnalyticsSettings, "The dashboard's numbers and charts", env=False)
    alerting: AlertingSettings = section(AlertingSettings, "Alert rules and notifiers", env=False)
    search: SearchSettings = section(SearchSettings, "Search, export and live tail", env=False)
    dashboard: DashboardSettings = section(DashboardSettings, "The dashboard page", env=False)
    auth: AuthSettings = section(AuthSettings, "Access control: API keys, dashboard logins, rate limits", env=False)
    simulator: SimulatorSettings = section(SimulatorSettings, "The simulated-traffic endpoints", env=False)

    @property
    def simulator_enabled(self) -> bool:
        """simulator.enabled, with null meaning: on while auth is off."""
        enabled = self.simulator.enabled
        return not self.auth.enabled if enabled is None else enabled
