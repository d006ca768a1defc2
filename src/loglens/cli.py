"""The `loglens` command: `serve` (serving/launch.py), `keys` (auth/keys_cli.py), and the client commands
`simulate`, `ship`, `query` and `tail` (client/)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import __version__
from .auth import keys_cli
from .client import query, ship, simulate
from .serving import launch


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="loglens", description="LogLens: structured JSON log server")
    parser.add_argument("--version", action="version", version=f"loglens {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    launch.add_parser(sub)
    simulate.add_parser(sub)
    ship.add_parser(sub)
    keys_cli.add_parser(sub)
    query.add_parsers(sub)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
