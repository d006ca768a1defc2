"""How every client command (ship, simulate, query, tail) takes the server's URL and an API key: one way each."""

from __future__ import annotations

import argparse
import json
import os

DEFAULT_URL = "http://127.0.0.1:5000"
API_KEY_ENV = "LOGLENS_API_KEY"


def _env_option(parser: argparse.ArgumentParser, flag: str, env: str, fallback: str | None, help: str) -> None:
    """`flag`, else $`env` when set and not empty, else `fallback`."""
    parser.add_argument(flag, default=os.environ.get(env) or fallback, help=help)


def add_api_key_option(parser: argparse.ArgumentParser) -> None:
    """`--api-key`, defaulting to $LOGLENS_API_KEY: every client command takes a key the same way."""
    _env_option(
        parser,
        "--api-key",
        API_KEY_ENV,
        None,
        f"API key to send (default ${API_KEY_ENV}); needed when the server has auth.enabled",
    )


def api_key_headers(key: str | None) -> dict[str, str]:
    """The request headers that carry `key` (none without one)."""
    return {"Authorization": f"Bearer {key}"} if key else {}


URL_ENV = "LOGLENS_URL"


def add_url_argument(parser: argparse.ArgumentParser) -> None:
    """The one way every client command takes the server's URL: --url, else $LOGLENS_URL, else DEFAULT_URL."""
    _env_option(parser, "--url", URL_ENV, DEFAULT_URL, f"server URL (default ${URL_ENV}, else {DEFAULT_URL})")


KEY_HINT = f"pass a key with --api-key KEY or set {API_KEY_ENV}"  # what a 401 tells a client command's user


def server_message(body: bytes) -> str:
    """The text of an error answer: its JSON `error` (every LogLens error body has one), else the body itself."""
    text = body[:2000].decode(errors="replace").strip()
    try:
        parsed = json.loads(text)
    except ValueError:
        return text
    error = parsed.get("error") if isinstance(parsed, dict) else None
    return error if isinstance(error, str) else text


def refusal(status: int, body: bytes) -> str:
    """What a client command prints for an error answer: the server's message as text, and for a 401 how to give
    a key (a command line has no other way to learn it)."""
    message = server_message(body) or f"HTTP {status}"
    if status == 401:
        message += f"; {KEY_HINT} (`loglens keys create --role read|ingest|admin` makes one)"
    return message
