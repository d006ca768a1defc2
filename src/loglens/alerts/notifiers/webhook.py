"""The webhook notifier: POSTs the alert as JSON (the shape of GET /api/alerts), with the notification's stable id
in `X-LogLens-Notification-Id` and, when a secret is set, `X-LogLens-Signature: t=<unix time>,v1=<hex>` where hex
is HMAC-SHA256(secret, "<t>.<body>") (docs/notifiers.md shows how a receiver checks it)."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Mapping

import orjson

from ...store import Notification
from .base import post

ID_HEADER = "X-LogLens-Notification-Id"
SIGNATURE_HEADER = "X-LogLens-Signature"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The X-LogLens-Signature value for `body` sent at `timestamp` (unix seconds)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


class WebhookNotifier:
    def __init__(
        self,
        url: str,
        *,
        timeout_seconds: float = 5.0,
        headers: Mapping[str, str] | None = None,
        secret: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"webhook url must be http(s): {url!r}")
        self.url = url
        self.timeout = timeout_seconds
        self.headers = dict(headers or {})
        self.secret = secret
        self.clock = clock

    def deliver(self, notification: Notification) -> None:
        body = orjson.dumps(notification.payload)
        headers = {**self.headers, "Content-Type": "application/json", ID_HEADER: notification.id}
        if self.secret:
            headers[SIGNATURE_HEADER] = signature(self.secret, int(self.clock()), body)
        post(self.url, body, headers, self.timeout)
