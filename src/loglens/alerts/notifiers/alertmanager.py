"""The Alertmanager notifier: POST {url}/api/v2/alerts, the way Prometheus does, so that Alertmanager's routing,
grouping, inhibition and silences work unchanged.

A firing alert is sent without `endsAt` and again every `resend_seconds` (the delivery loop queues the repeats):
Alertmanager resolves an alert it has not heard about for its `resolve_timeout`, so keep resend_seconds under it.
The resolved transition is sent with `endsAt`, the time it resolved.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Mapping
from typing import Any

import orjson

from ...store import Notification
from .base import post

LABEL_NAME = re.compile(r"[^A-Za-z0-9_]")


def explore_link(dashboard_url: str, alert: Mapping[str, Any]) -> str:
    """A link that opens Explore on the rule's query (its service's entries for the built-in rules), from the
    time it fired to the time it resolved (or now)."""
    query = alert.get("query") or f'service:"{alert.get("service", "")}"'
    params = {"q": str(query), "from": str(alert.get("fired_at") or "")}
    if alert.get("resolved_at"):
        params["to"] = str(alert["resolved_at"])
    return f"{dashboard_url.rstrip('/')}/explore?{urllib.parse.urlencode(params)}"


def labels_of(alert: Mapping[str, Any]) -> dict[str, str]:
    labels = {
        "alertname": str(alert.get("rule", "")),
        "service": str(alert.get("service", "")),
        "severity": str(alert.get("severity", "")).lower(),
    }
    extra = alert.get("labels")
    if isinstance(extra, Mapping):
        for name, value in extra.items():
            labels.setdefault(LABEL_NAME.sub("_", str(name)) or "_", str(value))
    return labels


def am_alert(alert: Mapping[str, Any], dashboard_url: str) -> dict[str, Any]:
    """One alert of Alertmanager's v2 API from a LogLens alert (the payload GET /api/alerts shows)."""
    message = str(alert.get("message", ""))
    description = f"{alert.get('rule')} on {alert.get('service')}: value {alert.get('value')}"
    description += f", threshold {alert.get('threshold')}"
    if alert.get("resolved_reason"):
        description += f"; {alert['resolved_reason']}"
    out: dict[str, Any] = {
        "labels": labels_of(alert),
        "annotations": {"summary": message, "description": description},
        "startsAt": alert.get("fired_at"),
        "generatorURL": explore_link(dashboard_url, alert),
    }
    if alert.get("state") == "resolved" and alert.get("resolved_at"):
        out["endsAt"] = alert["resolved_at"]
    return out


class AlertmanagerNotifier:
    def __init__(
        self,
        url: str,
        *,
        dashboard_url: str,
        resend_seconds: float = 60.0,
        timeout_seconds: float = 5.0,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.url = url.rstrip("/") + "/api/v2/alerts"
        self.dashboard_url = dashboard_url
        self.resend_seconds = resend_seconds
        self.timeout = timeout_seconds
        self.headers = dict(headers or {})

    def deliver(self, notification: Notification) -> None:
        body = orjson.dumps([am_alert(notification.payload, self.dashboard_url)])
        post(self.url, body, {**self.headers, "Content-Type": "application/json"}, self.timeout)
