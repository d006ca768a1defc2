"""`loglens simulate`: ask a running server to generate simulated traffic (POST /api/simulate-logs or
/api/simulate-errors). The entries are made by the server (loglens/simulator.py); this command only asks for them.
"""

from __future__ import annotations

import argparse
import sys
import time
import urllib.error
import urllib.request
from typing import Any

import orjson

from .args import add_api_key_option, add_url_argument, api_key_headers, refusal


def add_parser(subparsers: Any) -> None:
    """Register `simulate` on the `loglens` command's subparsers."""
    sim = subparsers.add_parser("simulate", help="send simulated traffic to a running server")
    add_url_argument(sim)
    sim.add_argument("--count", type=int, default=200, help="entries per request (capped by the server)")
    sim.add_argument("--errors", action="store_true", help="use /api/simulate-errors")
    sim.add_argument("--error-rate", type=float, default=0.8, help="with --errors: share of ERROR/CRITICAL")
    sim.add_argument("--service", help="with --errors: the one service to simulate")
    sim.add_argument("--repeat", type=int, default=1, help="how many requests to send")
    sim.add_argument("--interval", type=float, default=5.0, help="seconds between repeated requests")
    add_api_key_option(sim)
    sim.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
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
