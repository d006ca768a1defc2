"""Production serving: Gunicorn (the spec's server) with the app built inside each worker process."""

from __future__ import annotations

import logging
from typing import Any

from gunicorn.app.base import BaseApplication

from .app import create_app

log = logging.getLogger(__name__)


class GunicornServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, config: dict[str, dict[str, Any]]) -> None:
        self.loglens_config = config
        super().__init__()

    def load_config(self) -> None:
        server = self.loglens_config["server"]
        settings = {
            "bind": f"{server['host']}:{server['port']}",
            "workers": server["workers"],
            "threads": server["threads"],
            "worker_class": "gthread",
            "graceful_timeout": 20,
            "timeout": 60,
            "accesslog": None,
            "errorlog": "-",
            "loglevel": "info",
            "worker_exit": _worker_exit,
        }
        for key, value in settings.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return create_app(self.loglens_config)


def _worker_exit(server: Any, worker: Any) -> None:
    app = getattr(worker, "wsgi", None)
    state = getattr(app, "extensions", {}).get("loglens") if app is not None else None
    if state is not None:
        state.close()


def serve(config: dict[str, dict[str, Any]]) -> None:
    GunicornServer(config).run()
