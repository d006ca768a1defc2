"""How every client command (ship, simulate, query, tail) takes the server's URL and an API key: one way each."""

from __future__ import annotations

import argparse
import os

DEFAULT_URL = "http://127.0.0.1:5000"
API_KEY_ENV = "LOGLENS_API_KEY"


def add_api_key_option(parser: argparse.ArgumentParser) -> None:
    """`--api-key`, defaulting to $LOGLENS_API_KEY: every client command takes a key the same way."""
    parser.add_argument(
        "--api-key",
        default=os.environ.get(API_KEY_ENV) or None,
        help=f"API key to send (default ${API_KEY_ENV}); needed when the server has auth.enabled",
    )


def api_key_headers(key: str | None) -> dict[str, str]:
    """The request headers that carry `key` (none without one)."""
    return {"Authorization": f"Bearer {key}"} if key else {}


URL_ENV = "LOGLENS_URL"


def add_url_argument(parser: argparse.ArgumentParser) -> None:
    """The one way every client command takes the server's URL: --url, else $LOGLENS_URL, else DEFAULT_URL."""
    parser.add_argument(
        "--url",
        default=os.environ.get(URL_ENV) or DEFAULT_URL,
        help=f"server URL (default ${URL_ENV}, else {DEFAULT_URL})",
    )
