"""Notifiers. Anything with `handle(alert: dict) -> None` is one; `build_handlers` makes the built-in ones that
alerting.handlers describes (their keys are declared and checked with the other settings, in config/sections.py)."""

from __future__ import annotations

import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

import orjson

from ..config import HandlerSpec, WebhookHandlerSpec
from ..logsafe import escape

log = logging.getLogger("loglens.alerts")


@runtime_checkable
class AlertHandler(Protocol):
    def handle(self, alert: dict[str, Any]) -> None: ...


class LogHandler:
    """Writes each transition to the `loglens.alerts` logger (the server's stderr by default), one line each:
    the service name and message come from clients, so their control characters are escaped."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self.logger = logger or log

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


class DeliveryError(Exception):
    """A notification could not be delivered; `permanent` says whether retrying can help."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class WebhookHandler:
    """POSTs the alert as JSON. Retries connection errors, 429 and 5xx with exponential backoff."""

    def __init__(
        self,
        url: str,
        *,
        timeout_seconds: float = WebhookHandlerSpec.timeout_seconds,
        retries: int = WebhookHandlerSpec.retries,
        backoff_seconds: float = WebhookHandlerSpec.backoff_seconds,
        headers: Mapping[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"webhook url must be http(s): {url!r}")
        self.url = url
        self.timeout = timeout_seconds
        self.retries = retries
        self.backoff = backoff_seconds
        self.headers = dict(headers or {})
        self.sleep = sleep

    def handle(self, alert: dict[str, Any]) -> None:
        for attempt in range(self.retries + 1):
            try:
                self._post(alert)
                return
            except DeliveryError as exc:
                if exc.permanent or attempt == self.retries:
                    raise
                self.sleep(self.backoff * (2**attempt))

    def _post(self, alert: dict[str, Any]) -> None:
        request = urllib.request.Request(
            self.url,
            data=orjson.dumps(alert),
            method="POST",
            headers={"Content-Type": "application/json", "User-Agent": "LogLens", **self.headers},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read(65536)
        except urllib.error.HTTPError as exc:
            exc.close()
            retryable = exc.code == 429 or exc.code >= 500
            raise DeliveryError(f"{self.url} answered {exc.code}", permanent=not retryable) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
            raise DeliveryError(f"{self.url} unreachable: {exc}", permanent=False) from None


def build_handler(spec: HandlerSpec) -> AlertHandler:
    """The notifier an alerting.handlers entry describes (the settings checked its keys at startup)."""
    if isinstance(spec, WebhookHandlerSpec):
        return WebhookHandler(
            spec.url,
            timeout_seconds=spec.timeout_seconds,
            retries=spec.retries,
            backoff_seconds=spec.backoff_seconds,
            headers=spec.headers,
        )
    return LogHandler()


def build_handlers(specs: Sequence[HandlerSpec]) -> list[AlertHandler]:
    return [build_handler(spec) for spec in specs]
