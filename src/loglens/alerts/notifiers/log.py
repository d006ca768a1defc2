"""The log notifier: each transition as one line of the `loglens.alerts` logger (the server's stderr by default)."""

from __future__ import annotations

import logging
from typing import Any

from ...logsafe import escape
from ...store import Notification

log = logging.getLogger("loglens.alerts")


class LogNotifier:
    """The service name and message come from clients, so their control characters are escaped."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self.logger = logger or log

    def deliver(self, notification: Notification) -> None:
        self.handle(notification.payload)

    def handle(self, alert: dict[str, Any]) -> None:
        firing = alert.get("state") == "firing"
        # a resolved alert says why it resolved, then what it had said when it fired
        text = (
            str(alert.get("message"))
            if firing
            else f"{alert.get('resolved_reason') or 'resolved'} (it fired with: {alert.get('message')})"
        )
        self.logger.log(
            logging.WARNING if firing else logging.INFO,
            "ALERT %s [%s] %s %s: %s",
            escape(str(alert.get("state", "")).upper()),
            escape(alert.get("severity")),
            escape(alert.get("rule")),
            escape(alert.get("service")),
            escape(text),
        )
