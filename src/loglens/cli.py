"""The `loglens` command: serve, simulate, ship."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any

import orjson

from . import __version__, ship
from . import config as config_mod

DEFAULT_URL = "http://127.0.0.1:5000"
URL_ENV = "LOGLENS_URL"


def add_url_argument(parser: argparse.ArgumentParser) -> None:
    """The one way every client command takes the server's URL: --url, else $LOGLENS_URL, else DEFAULT_URL."""
    parser.add_argument(
        "--url",
        default=os.environ.get(URL_ENV) or DEFAULT_URL,
        help=f"server URL (default ${URL_ENV}, else {DEFAULT_URL})",
    )


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

    add_url_argument(ship.add_parser(sub))

    args = parser.parse_args(argv)
    if args.command == "ship":
        return int(args.func(args))
    if args.command == "serve":
        return _serve(args)
    return _simulate(args)


def _serve(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
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
    host, port = cfg["server"]["host"], cfg["server"]["port"]
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    print(f"LogLens dashboard: http://{shown}:{port}/  (store: {config_mod.store_path(cfg)})", flush=True)
    if args.dev:
        from .app import create_app

        create_app(cfg).run(host=host, port=port, threaded=True)
        return 0
    from .server import serve

    serve(cfg)
    return 0


def _simulate(args: argparse.Namespace) -> int:
    path = "/api/simulate-errors" if args.errors else "/api/simulate-logs"
    body: dict[str, Any] = {"count": args.count}
    if args.errors:
        body["error_rate"] = args.error_rate
        if args.service:
            body["service"] = args.service
    for i in range(args.repeat):
        try:
            answer = post_json(args.url.rstrip("/") + path, body)
        except RuntimeError as exc:
            print(f"loglens simulate: {exc}", file=sys.stderr)
            return 1
        print(f"{path}: requested {answer['requested']}, accepted {answer['accepted']}", flush=True)
        if i + 1 < args.repeat:
            time.sleep(args.interval)
    return 0


def post_json(url: str, body: Any, timeout: float = 30.0) -> Any:
    request = urllib.request.Request(
        url, data=orjson.dumps(body), method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return orjson.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise RuntimeError(f"{url} answered {exc.code}: {exc.read(2000).decode(errors='replace')}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise RuntimeError(f"cannot reach {url}: {exc}") from None


if __name__ == "__main__":
    sys.exit(main())
