"""storage.clickhouse: one mapping setting, merged key by key from the file, the environment and overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from loglens.config import ConfigError, load


def test_environment_merges_into_file_keys_and_defaults(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("storage: {backend: clickhouse, clickhouse: {host: ch1, database: logs}}\n", encoding="utf-8")
    cfg = load(path, env={"LOGLENS_STORAGE_CLICKHOUSE": "{port: 9440, password: 1234}"})
    ch = cfg["storage"]["clickhouse"]
    assert cfg["storage"]["backend"] == "clickhouse"
    assert (ch["host"], ch["port"], ch["database"], ch["password"]) == ("ch1", 9440, "logs", "1234")
    assert (ch["user"], ch["cluster"], ch["lease_seconds"]) == ("default", "", 30.0)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"hots": "x"}, "unknown key storage.clickhouse.hots"),
        ({"port": "nine"}, "storage.clickhouse.port: expected int"),
        ({"port": 70000}, "storage.clickhouse.port: must be 1..65535"),
        ({"database": "logs; DROP"}, "storage.clickhouse.database: must be a plain identifier"),
        ({"cluster": "a-b"}, "storage.clickhouse.cluster: must be a plain identifier"),
        ({"lease_seconds": 0.1}, "lease_seconds must be >= 1"),
    ],
)
def test_rejects_bad_clickhouse_settings_naming_the_key(values: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(".", r"\.")):
        load(env={}, path=None, overrides={"storage": {"clickhouse": values}})


def test_unknown_backend_is_refused() -> None:
    with pytest.raises(ConfigError, match="storage.backend: must be one of sqlite, clickhouse"):
        load(env={}, path=None, overrides={"storage": {"backend": "postgres"}})
