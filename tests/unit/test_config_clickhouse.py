"""storage.clickhouse: a nested section, merged key by key from the file, the environment and overrides."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from loglens.config import ConfigError, load


def test_environment_merges_into_file_keys_and_defaults(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("storage: {backend: clickhouse, clickhouse: {host: ch1, database: logs}}\n", encoding="utf-8")
    cfg = load(path, env={"LOGLENS_STORAGE_CLICKHOUSE": "{port: 9440, password: 1234}"})
    ch = cfg.storage.clickhouse
    assert cfg.storage.backend == "clickhouse"
    assert (ch.host, ch.port, ch.database, ch.password) == ("ch1", 9440, "logs", "1234")
    assert (ch.user, ch.cluster, ch.lease_seconds) == ("default", "", 30.0)


def test_each_key_has_its_own_variable_applied_after_the_mapping() -> None:
    env = {
        "LOGLENS_STORAGE_CLICKHOUSE_PASSWORD": "s3cret",
        "LOGLENS_STORAGE_CLICKHOUSE": "{host: ch1, password: old}",
        "LOGLENS_STORAGE_CLICKHOUSE_PORT": "9440",
    }
    ch = load(env=env).storage.clickhouse
    assert (ch.host, ch.port, ch.password) == ("ch1", 9440, "s3cret")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"hots": "x"}, "unknown key storage.clickhouse.hots (did you mean host?)"),
        ({"port": "nine"}, "storage.clickhouse.port: expected int"),
        ({"port": 70000}, "storage.clickhouse.port: must be <= 65535"),
        ({"port": 0}, "storage.clickhouse.port: must be >= 1"),
        ({"database": "logs; DROP"}, "storage.clickhouse.database: must be a plain identifier"),
        ({"database": ""}, "storage.clickhouse.database: must be a plain identifier"),
        ({"cluster": "a-b"}, "storage.clickhouse.cluster: must be a plain identifier"),
        ({"lease_seconds": 0.1}, "storage.clickhouse.lease_seconds: must be >= 1"),
        ({"connect_timeout_seconds": 0}, "storage.clickhouse.connect_timeout_seconds: must be >="),
    ],
)
def test_rejects_bad_clickhouse_settings_naming_the_key(values: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        load(env={}, path=None, overrides={"storage": {"clickhouse": values}})


def test_unknown_backend_is_refused() -> None:
    with pytest.raises(ConfigError, match="storage.backend: must be one of sqlite, clickhouse"):
        load(env={}, path=None, overrides={"storage": {"backend": "postgres"}})
