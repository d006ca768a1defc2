"""`loglens serve`: the checks before serving (configuration, an open bind, the store and port claims, the store
itself), the startup line, then the production server (serving/server.py) or Flask's development server."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
from typing import Any

from .. import claims, logsafe
from .. import config as config_mod
from ..alerts.notifiers.build import handler_names
from ..alerts.rule_spec import check_specs
from ..auth.hosts import WILDCARDS, bind_address, is_loopback
from ..config import Settings
from ..store.base import StoreError

log = logging.getLogger("loglens")


def add_parser(subparsers: Any) -> None:
    """Register `serve` on the `loglens` command's subparsers."""
    serve = subparsers.add_parser(
        "serve", help="run the production server (server.http_server), or Flask's server with --dev"
    )
    serve.add_argument("--host", help="bind address (server.host)")
    serve.add_argument("--port", type=int, help="port (server.port)")
    serve.add_argument("--config", help="YAML config file (default: $CONFIG_PATH, else ./config.yaml)")
    serve.add_argument("--data-dir", help="directory for the embedded store (storage.data_dir)")
    serve.add_argument("--workers", type=int, help="worker processes (server.workers)")
    serve.add_argument("--threads", type=int, help="threads per worker (server.threads)")
    serve.add_argument("--dev", action="store_true", help="Flask's development server instead of the production server")
    serve.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logsafe.install()  # client text (service names, messages) never starts a line of its own
    overrides: dict[str, dict[str, Any]] = {"server": {}, "storage": {}}
    for name in ("host", "port", "workers", "threads"):
        if getattr(args, name) is not None:
            overrides["server"][name] = getattr(args, name)
    if args.data_dir:
        overrides["storage"]["data_dir"] = args.data_dir
    try:
        cfg = config_mod.load(args.config, overrides=overrides)
        # what a type cannot say of a rule: its query, condition, durations, and the handlers it names
        check_specs(cfg.alerting.rules, notifiers=handler_names(cfg.alerting.handlers))
    except config_mod.ConfigError as exc:
        print(f"loglens: configuration error: {exc}", file=sys.stderr)
        return 2
    refusal = open_bind_refusal(cfg)
    if refusal is not None:
        print(f"loglens: {refusal}", file=sys.stderr)
        return 2
    try:
        bind_address(cfg.server.host)  # a name that resolves to no address stops startup here, in one line
    except ValueError as exc:
        print(f"loglens: {exc}", file=sys.stderr)
        return 2
    try:
        server_lock = claims.claim(cfg)  # this server's store and port; the lock is held until this process exits
    except claims.Claimed as exc:
        print(f"loglens: {exc}", file=sys.stderr)
        return 2
    try:
        where, cfg = check_store(cfg)
    except StoreError as exc:
        print(f"loglens: store error: {' '.join(str(exc).split())}", file=sys.stderr)
        if server_lock is not None:
            server_lock.release()
        return 2
    from ..ingest import syslog

    try:  # the syslog listeners, bound here for every worker (ingest/syslog/sockets.py)
        listening = syslog.listen(cfg)  # held open for the workers until serving ends
    except syslog.SyslogBindError as exc:
        print(f"loglens: {exc}", file=sys.stderr)
        if server_lock is not None:
            server_lock.release()
        return 2
    print(startup_line(cfg, where), flush=True)
    if not cfg.auth.enabled and not is_loopback(cfg.server.host):
        log.warning(
            "auth.allow_open: serving %s without access control; anyone who can reach it can read and write its logs",
            cfg.server.host,
        )
    try:
        if args.dev:
            from ..app import create_app
            from ..state import loglens_of

            app = create_app(cfg)
            try:
                app.run(host=cfg.server.host, port=cfg.server.port, threaded=True)
            finally:  # Ctrl-C ends run(): commit pending writes, deliver queued alerts
                loglens_of(app).close()
            return 0
        from .server import serve

        serve(cfg)
        return 0
    finally:
        if listening is not None:
            listening.close()


def open_bind_refusal(cfg: Settings) -> str | None:
    """Why the server must not start: a non-loopback address with auth off and no auth.allow_open."""
    host = cfg.server.host
    if cfg.auth.enabled or cfg.auth.allow_open or is_loopback(host):
        return None
    return (
        f"refusing to serve {host or '0.0.0.0'!r} with access control off: anyone who can reach it could read and "
        "write every log. Set auth.enabled: true (LOGLENS_AUTH_ENABLED=true) and create keys with "
        "`loglens keys create`, or bind 127.0.0.1 (server.host), or accept an open server with "
        "auth.allow_open: true (LOGLENS_AUTH_ALLOW_OPEN=true)."
    )


def startup_line(cfg: Settings, where_stored: str | None = None) -> str:
    """What `serve` prints first: the address it binds, and a URL that reaches the dashboard from here."""
    host, port = cfg.server.host, cfg.server.port
    bound = f"[{host}]" if ":" in host else host
    if host in WILDCARDS:
        local = "[::1]" if ":" in host else "127.0.0.1"
        where = f"{bound or '0.0.0.0'}:{port} (every interface)"
    else:
        local, where = bound, f"{bound}:{port}"
    access = "API keys required" if cfg.auth.enabled else "access control OFF"
    return (
        f"LogLens listening on {where}, {access}; dashboard: http://{local}:{port}/"
        f"  (store: {where_stored or config_mod.store_path(cfg)})"
    )


def check_store(cfg: Settings) -> tuple[str, Settings]:
    """Open the store once before serving: a damaged or unusable store stops startup here, with one line and
    exit code 2, instead of failing inside every worker. Migrations and the startup integrity check
    (storage.integrity_check) run here, once; the workers then skip it (a background check of a big store runs
    in the workers, which serve meanwhile). Returns where the store is, for the startup line, and the settings
    the workers start with."""
    if cfg.storage.backend == "clickhouse":  # reach every server of a cluster and migrate its tables
        from ..store.clickhouse import preflight

        return preflight(cfg.storage), cfg
    from ..store import open_store

    store = open_store(cfg)
    in_background = getattr(store, "integrity_in_background", False)  # a big store: each worker checks it
    store.close()
    if not in_background:
        cfg = dataclasses.replace(cfg, storage=dataclasses.replace(cfg.storage, integrity_check="off"))
    return config_mod.store_path(cfg), cfg
