"""Debian's prometheus-alertmanager on free loopback ports, routing every alert to a webhook receiver the test
runs; its v2 API for silences and alerts."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import requests
import yaml

from tests.support.live import free_port
from tests.support.processes import terminate

BINARY = "prometheus-alertmanager"


def available() -> bool:
    return shutil.which(BINARY) is not None


class Alertmanager:
    def __init__(self, workdir: Path, webhook_url: str) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = {
            "route": {
                "receiver": "hook",
                "group_by": ["alertname", "service"],
                "group_wait": "100ms",
                "group_interval": "500ms",
                "repeat_interval": "1h",
            },
            "receivers": [{"name": "hook", "webhook_configs": [{"url": webhook_url, "send_resolved": True}]}],
        }
        (workdir / "alertmanager.yml").write_text(yaml.safe_dump(config))
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20) -> Alertmanager:
        with (self.workdir / "alertmanager.log").open("ab") as log:
            self.proc = subprocess.Popen(
                [
                    BINARY,
                    f"--config.file={self.workdir / 'alertmanager.yml'}",
                    f"--storage.path={self.workdir / 'data'}",
                    f"--web.listen-address=127.0.0.1:{self.port}",
                    "--cluster.listen-address=",  # one instance: no gossip port
                ],
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while True:
            try:
                if requests.get(f"{self.url}/-/ready", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"alertmanager did not start: {self.output()}")
            time.sleep(0.1)

    def output(self) -> str:
        return (self.workdir / "alertmanager.log").read_text(errors="replace")

    def alerts(self) -> list[dict[str, Any]]:
        response = requests.get(f"{self.url}/api/v2/alerts", params={"silenced": "true"}, timeout=5)
        response.raise_for_status()
        alerts: list[dict[str, Any]] = response.json()
        return alerts

    def silence(self, matchers: dict[str, str], minutes: float = 60) -> str:
        now = time.time()
        body = {
            "matchers": [{"name": k, "value": v, "isRegex": False, "isEqual": True} for k, v in matchers.items()],
            "startsAt": _iso(now - 1),
            "endsAt": _iso(now + minutes * 60),
            "createdBy": "loglens-tests",
            "comment": "held by the test",
        }
        response = requests.post(f"{self.url}/api/v2/silences", json=body, timeout=5)
        assert response.status_code == 200, response.text
        silence_id: str = response.json()["silenceID"]
        return silence_id

    def expire(self, silence_id: str) -> None:
        assert requests.delete(f"{self.url}/api/v2/silence/{silence_id}", timeout=5).status_code == 200

    def stop(self) -> None:
        terminate(self.proc, 10)


def _iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{int(seconds % 1 * 1000):03d}Z"
