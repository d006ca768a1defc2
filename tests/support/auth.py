"""Keys for tests: one per role, created in an app's store the way `loglens keys create` does."""

from __future__ import annotations

from flask import Flask

from loglens.auth.keys import ROLES, new_key

# Well-formed, but in no store: what a guesser sends.
WRONG_KEY = "llk_0123456789ab_" + "x" * 43


def make_keys(app: Flask) -> dict[str, str]:
    """role -> a fresh active key of that role."""
    state = app.extensions["loglens"]
    keys = {}
    for role in ROLES:
        text, record = new_key(role, f"test {role}", int(state.clock() * 1000))
        state.store.keys.add_key(record)
        keys[role] = text
    return keys


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
