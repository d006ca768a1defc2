"""The app's state (state.py): reached through one accessor, closed by whoever built the app, then freed."""

from __future__ import annotations

import atexit
import gc
import weakref
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from loglens.app import create_app
from loglens.state import LogLens, current_loglens, loglens_of


def test_views_and_holders_of_the_app_reach_the_same_state(app: Flask) -> None:
    state = loglens_of(app)
    assert isinstance(state, LogLens)
    with app.test_request_context("/"):
        assert current_loglens() is state


def test_create_app_leaves_no_exit_hook_and_a_closed_app_is_freed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registered: list[Any] = []
    monkeypatch.setattr(atexit, "register", lambda func, *args, **kwargs: registered.append(func))
    app = create_app({"storage": {"path": str(tmp_path / "freed.db")}}, start_jobs=False)
    assert app.test_client().post("/api/logs", json={"level": "INFO"}).status_code == 400
    state = weakref.ref(loglens_of(app))
    loglens_of(app).close()
    assert registered == []
    del app
    gc.collect()
    assert state() is None, gc.get_referrers(state())
