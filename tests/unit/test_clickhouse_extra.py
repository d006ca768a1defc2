"""The ClickHouse driver is the `loglens[clickhouse]` extra: without it the ClickHouse backend says so in one line.

(tests/server/test_wheel.py checks the same for `loglens serve` from a wheel installed without the extra.)
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from loglens import cli


def test_keys_list_on_clickhouse_without_the_driver_says_to_install_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "clickhouse_driver", None)  # `import clickhouse_driver` raises ImportError
    for name in [n for n in sys.modules if n.startswith("loglens.store.clickhouse")]:
        monkeypatch.delitem(sys.modules, name)  # imported afresh, as in a process without the driver
    config = tmp_path / "config.yaml"
    config.write_text("storage:\n  backend: clickhouse\n", encoding="utf-8")
    for name in ("LOGLENS_STORAGE_BACKEND", "LOGLENS_STORAGE_CLICKHOUSE", "CONFIG_PATH"):
        monkeypatch.delenv(name, raising=False)

    code = cli.main(["keys", "list", "--config", str(config)])

    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1, err
    assert "ClickHouse driver is not installed" in err and "loglens[clickhouse]" in err
