"""`loglens keys create|list|revoke`: manage API keys in the store named by the config (works beside a server)."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from .. import config as config_mod
from ..model import iso_from_ms
from ..store import StoreError, open_store
from .keys import ROLES, new_key, split


def add_parser(subparsers: Any) -> None:
    keys = subparsers.add_parser("keys", help="create, list and revoke API keys (auth.enabled)")
    actions = keys.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="create a key and print it (shown this once)")
    create.add_argument("--role", required=True, choices=ROLES, help="ingest: send logs; read: read all; admin: all")
    create.add_argument("--name", default="", help="what the key is for (shown by `keys list`)")
    listing = actions.add_parser("list", help="list keys (never their secrets)")
    revoke = actions.add_parser("revoke", help="revoke a key: it stops working at once, sessions included")
    revoke.add_argument("key", help="the key's id (from `keys list`) or the key itself")
    for parser in (create, listing, revoke):
        parser.add_argument("--config", help="YAML config file (default: $CONFIG_PATH, else ./config.yaml)")
        parser.add_argument("--data-dir", help="directory of the embedded store (storage.data_dir)")
    keys.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    overrides = {"storage": {"data_dir": args.data_dir}} if args.data_dir else None
    try:
        cfg = config_mod.load(args.config, overrides=overrides)
        store = open_store(cfg)
    except (config_mod.ConfigError, StoreError) as exc:
        print(f"loglens keys: {exc}", file=sys.stderr)
        return 2
    try:
        now_ms = int(time.time() * 1000)
        if args.action == "create":
            text, record = new_key(args.role, args.name, now_ms)
            store.keys.add_key(record)
            print(text)
            print(
                f"created {record.role} key {record.id}; it is shown only now, so keep it"
                + ("" if cfg.auth.enabled else " (auth.enabled is off: the server does not ask for keys yet)"),
                file=sys.stderr,
            )
            return 0
        if args.action == "list":
            print(f"{'ID':<14}{'ROLE':<8}{'CREATED':<26}{'STATUS':<34}NAME")
            for key in store.keys.list_keys():
                status = "active" if key.revoked_ms is None else f"revoked {iso_from_ms(key.revoked_ms)}"
                print(f"{key.id:<14}{key.role:<8}{iso_from_ms(key.created_ms):<26}{status:<34}{key.name}")
            return 0
        parts = split(args.key)
        key_id = parts[0] if parts else args.key
        if not store.keys.revoke_key(key_id, now_ms):
            print(f"loglens keys: no active key {key_id!r}", file=sys.stderr)
            return 1
        print(f"revoked key {key_id}", file=sys.stderr)
        return 0
    finally:
        store.close()
