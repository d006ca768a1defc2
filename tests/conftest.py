from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from loglens.app import create_app
from tests.support import clickhouse
from tests.support.clickhouse import ClickHouseServer
from tests.support.live import LiveServer

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(condition: bool, reason: str) -> None:
    """Skip locally when a component is missing; in CI a missing component is a failure."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required component missing in CI: {reason}")
    pytest.skip(reason)


class FakeClock:
    """A clock tests move by hand (seconds since the epoch)."""

    def __init__(self, start: float = 1_767_225_600.0) -> None:  # 2026-01-01T00:00:00Z
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


# TEST_STORE_BACKEND=clickhouse runs every app-level test (tests/api, ...) on a ClickHouse store instead of SQLite.
TEST_BACKEND = os.environ.get("TEST_STORE_BACKEND", "sqlite")


@pytest.fixture
def make_app(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Any]:
    """Build apps on a temporary store; all are closed at the end of the test."""
    apps: list[Flask] = []

    def make(config: dict[str, Any] | None = None, **kwargs: Any) -> Flask:
        merged: dict[str, Any] = {"storage": {"path": str(tmp_path / "loglens.db")}}
        if TEST_BACKEND == "clickhouse":
            server = request.getfixturevalue("clickhouse_server")
            database = "app_" + hashlib.sha1(str(tmp_path).encode()).hexdigest()[:16]
            merged["storage"] = {"backend": "clickhouse", "clickhouse": {"port": server.tcp_port, "database": database}}
        for section, values in (config or {}).items():
            merged.setdefault(section, {}).update(values)
        kwargs.setdefault("start_jobs", False)
        app = create_app(merged, **kwargs)
        app.config["TESTING"] = True
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["loglens"].close()


@pytest.fixture
def app(make_app: Any, clock: FakeClock) -> Flask:
    app: Flask = make_app(clock=clock)
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A real `loglens serve` on a free port with its own data dir; killed at the end."""
    server = LiveServer(tmp_path / "server")
    server.start()
    yield server
    server.kill()


@pytest.fixture(scope="session")
def clickhouse_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClickHouseServer]:
    """Debian's clickhouse-server (18.16) on free loopback ports with its own data dir, for the whole session."""
    require(clickhouse.available(), "clickhouse-server is not installed (make system-deps)")
    server = ClickHouseServer(tmp_path_factory.mktemp("clickhouse"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def chdb_session(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """ClickHouse 26.x embedded through chdb (one session per process), for the whole test session."""
    try:
        from chdb import session
    except ImportError:
        require(False, "chdb-core is not installed (pip install -r requirements.lock)")
    return session.Session(str(tmp_path_factory.mktemp("chdb")))


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    require(Path(path).exists(), "Debian's chromium is not installed (make system-deps)")
    return path
