"""The `loglens` command: serve, simulate, ship, query, tail, keys."""

from __future__ import annotations

import argparse
import logging
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any

import orjson

from . import __version__, claims, logsafe, query_cli, ship
from . import config as config_mod
from .auth import keys_cli
from .auth.hosts import WILDCARDS, bind_address, is_loopback
from .clientargs import add_api_key_option, add_url_argument, api_key_headers, refusal
from .store.base import StoreError

log = logging.getLogger("loglens")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="loglens", description="LogLens: structured JSON log server")
    parser.add_argument("--version", action="version", version=f"loglens {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the production server (server.http_server), or Flask's server with --dev")
    serve.add_argument("--host", help="bind address (server.host)")
    serve.add_argument("--port", type=int, help="port (server.port)")
    serve.add_argument("--config", help="YAML config file (default: $CONFIG_PATH, else ./config.yaml)")
    serve.add_argument("--data-dir", help="directory for the embedded store (storage.data_dir)")
    serve.add_argument("--workers", type=int, help="worker processes (server.workers)")
    serve.add_argument("--threads", type=int, help="threads per worker (server.threads)")
    serve.add_argument("--dev", action="store_true", help="Flask's development server instead of the production server")

    sim = sub.add_parser("simulate", help="send simulated traffic to a running server")
    add_url_argument(sim)
    sim.add_argument("--count", type=int, default=200, help="entries per request (capped by the server)")
    sim.add_argument("--errors", action="store_true", help="use /api/simulate-errors")
    sim.add_argument("--error-rate", type=float, default=0.8, help="with --errors: share of ERROR/CRITICAL")
    sim.add_argument("--service", help="with --errors: the one service to simulate")
    sim.add_argument("--repeat", type=int, default=1, help="how many requests to send")
    sim.add_argument("--interval", type=float, default=5.0, help="seconds between repeated requests")
    add_api_key_option(sim)

    add_url_argument(ship.add_parser(sub))
    keys_cli.add_parser(sub)
    query_cli.add_parsers(sub)

    args = parser.parse_args(argv)
    if args.command in ("ship", "keys", "query", "tail"):
        return int(args.func(args))
    if args.command == "serve":
        return _serve(args)
    return _simulate(args)


def _serve(args: argparse.Namespace) -> int:
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
    except config_mod.ConfigError as exc:
        print(f"loglens: configuration error: {exc}", file=sys.stderr)
        return 2
    refusal = open_bind_refusal(cfg)
    if refusal is not None:
        print(f"loglens: {refusal}", file=sys.stderr)
        return 2
    try:
        bind_address(cfg["server"]["host"])  # a name that resolves to no address stops startup here, in one line
    except ValueError as exc:
        print(f"loglens: {exc}", file=sys.stderr)
        return 2
    try:
        server_lock = claims.claim(cfg)  # this server's store and port; the lock is held until this process exits
    except claims.Claimed as exc:
        print(f"loglens: {exc}", file=sys.stderr)
        return 2
    try:
        where = check_store(cfg)
    except StoreError as exc:
        print(f"loglens: store error: {' '.join(str(exc).split())}", file=sys.stderr)
        if server_lock is not None:
            server_lock.release()
        return 2
    from .ingest import syslog

    try:  # the syslog listeners, bound here for every worker (ingest/syslog/sockets.py)
        listening = syslog.listen(cfg)  # held open for the workers until serving ends
    except syslog.SyslogBindError as exc:
        print(f"loglens: {exc}", file=sys.stderr)
        if server_lock is not None:
            server_lock.release()
        return 2
    print(startup_line(cfg, where), flush=True)
    if not cfg["auth"]["enabled"] and not is_loopback(cfg["server"]["host"]):
        log.warning(
            "auth.allow_open: serving %s without access control; anyone who can reach it can read and write its logs",
            cfg["server"]["host"],
        )
    host, port = cfg["server"]["host"], cfg["server"]["port"]
    if args.dev:
        from .app import create_app

        create_app(cfg).run(host=host, port=port, threaded=True)
        if listening is not None:
            listening.close()
        return 0
    from .server import serve

    serve(cfg)
    if listening is not None:
        listening.close()
    return 0


def open_bind_refusal(cfg: dict[str, dict[str, Any]]) -> str | None:
    """Why the server must not start: a non-loopback address with auth off and no auth.allow_open."""
    host = cfg["server"]["host"]
    if cfg["auth"]["enabled"] or cfg["auth"]["allow_open"] or is_loopback(host):
        return None
    return (
        f"refusing to serve {host or '0.0.0.0'!r} with access control off: anyone who can reach it could read and "
        "write every log. Set auth.enabled: true (LOGLENS_AUTH_ENABLED=true) and create keys with "
        "`loglens keys create`, or bind 127.0.0.1 (server.host), or accept an open server with "
        "auth.allow_open: true (LOGLENS_AUTH_ALLOW_OPEN=true)."
    )


def startup_line(cfg: dict[str, dict[str, Any]], where_stored: str | None = None) -> str:
    """What `serve` prints first: the address it binds, and a URL that reaches the dashboard from here."""
    host, port = cfg["server"]["host"], cfg["server"]["port"]
    bound = f"[{host}]" if ":" in host else host
    if host in WILDCARDS:
        local = "[::1]" if ":" in host else "127.0.0.1"
        where = f"{bound or '0.0.0.0'}:{port} (every interface)"
    else:
        local, where = bound, f"{bound}:{port}"
    access = "API keys required" if cfg["auth"]["enabled"] else "access control OFF"
    return (
        f"LogLens listening on {where}, {access}; dashboard: http://{local}:{port}/"
        f"  (store: {where_stored or config_mod.store_path(cfg)})"
    )


def check_store(cfg: dict[str, dict[str, Any]]) -> str:
    """Open the store once before serving: a damaged or unusable store stops startup here, with one line and
    exit code 2, instead of failing inside every worker. Migrations and the startup integrity check
    (storage.integrity_check) run here, once; the workers then skip it (a background check of a big store runs
    in the workers, which serve meanwhile). Returns where the store is, for the startup line."""
    if cfg["storage"]["backend"] == "clickhouse":  # reach every server of a cluster and migrate its tables
        from .store.clickhouse import preflight

        return preflight(cfg["storage"])
    from .store import open_store

    store = open_store(cfg)
    in_background = getattr(store, "integrity_in_background", False)  # a big store: each worker checks it
    store.close()
    if not in_background:
        cfg["storage"]["integrity_check"] = "off"
    return config_mod.store_path(cfg)


def _simulate(args: argparse.Namespace) -> int:
    path = "/api/simulate-errors" if args.errors else "/api/simulate-logs"
    body: dict[str, Any] = {"count": args.count}
    if args.errors:
        body["error_rate"] = args.error_rate
        if args.service:
            body["service"] = args.service
    for i in range(args.repeat):
        try:
            answer = post_json(args.url.rstrip("/") + path, body, headers=api_key_headers(args.api_key))
        except RuntimeError as exc:
            print(f"loglens simulate: {exc}", file=sys.stderr)
            return 1
        print(f"{path}: requested {answer['requested']}, accepted {answer['accepted']}", flush=True)
        if i + 1 < args.repeat:
            time.sleep(args.interval)
    return 0


def post_json(url: str, body: Any, timeout: float = 30.0, headers: dict[str, str] | None = None) -> Any:
    request = urllib.request.Request(
        url, data=orjson.dumps(body), method="POST", headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return orjson.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise RuntimeError(f"{url} answered {exc.code}: {refusal(exc.code, exc.read(2000))}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise RuntimeError(f"cannot reach {url}: {exc}") from None


if __name__ == "__main__":
    sys.exit(main())
