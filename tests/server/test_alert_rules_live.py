"""Query alert rules in a real `loglens serve`: a bad rule in config.yaml stops startup with exit code 2 and a line
naming the rule and the key; a good one is evaluated by the server's own jobs on its schedule and fires."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from loglens.model import iso_from_ms
from tests.support.live import LiveServer
from tests.support.wait import wait_until

pytestmark = pytest.mark.server

RULE = {
    "name": "payment-declines",
    "query": 'service:payment-service "card declined" | stats count()',
    "condition": "> 5",
    "window": "5m",
    "every": "1s",
    "severity": "critical",
    "notify": ["am"],
}
HANDLERS = [{"name": "am", "type": "log"}]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"window": "5 min"}, "alerting.rules[payment-declines].window: expected a duration such as 30s"),
        (
            {"query": "service:payment-service | stats count() by"},
            "alerting.rules[payment-declines].query: expected a field at column 43",
        ),
        ({"condition": "50"}, "alerting.rules[payment-declines].condition: expected >, <, >= or <= and a number"),
        ({"evry": "1m"}, "unknown key alerting.rules[payment-declines].evry (did you mean every?)"),
        (
            {"notify": ["am", "pager"]},
            "alerting.rules[payment-declines].notify: 'pager' names no handler in alerting.handlers (there are: am)",
        ),
    ],
)
def test_a_bad_rule_stops_serve_with_exit_2_naming_the_rule_and_the_key(
    tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    done = LiveServer(tmp_path, {"alerting": {"rules": [{**RULE, **change}], "handlers": HANDLERS}}).run_to_exit(
        timeout=60
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"loglens: configuration error: {message}" in done.stderr, done.stderr


def get(server: LiveServer, path: str) -> Any:
    with urllib.request.urlopen(server.url + path, timeout=5) as response:
        return json.loads(response.read())


def test_the_servers_jobs_evaluate_a_config_rule_and_it_fires(tmp_path: Path) -> None:
    with LiveServer(tmp_path, {"alerting": {"rules": [RULE], "handlers": HANDLERS}}) as server:
        now_ms = int(time.time() * 1000)
        entries = [
            {
                "timestamp": iso_from_ms(now_ms - 1000 - i),
                "level": "ERROR",
                "service": "payment-service",
                "message": f"card declined for order {i}",
            }
            for i in range(8)
        ]
        request = urllib.request.Request(
            server.url + "/api/logs/bulk",
            data=json.dumps(entries).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert json.loads(response.read())["accepted"] == 8

        def firing() -> dict[str, Any] | None:
            (rule,) = [r for r in get(server, "/api/alert-rules") if r["source"] != "built-in"]
            return rule if rule["state"] == "firing" else None

        rule = wait_until(firing, 30, "the rule to fire through the server's evaluation job")
        assert rule["value"] == 8 and rule["source"] == "config"
        alerts = [a for a in get(server, "/api/alerts?state=firing") if a["rule"] == "payment-declines"]
        assert len(alerts) == 1 and alerts[0]["severity"] == "CRITICAL" and alerts[0]["group"] == ""
        wait_until(lambda: "payment-declines" in server.output(), 10, "the log handler to write the alert")
