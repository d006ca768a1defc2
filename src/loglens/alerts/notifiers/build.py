"""The notifiers alerting.handlers describes, each under its name (rules' `notify` names them): `name`, or the
type made unique (`webhook`, `webhook-2`). In-process handlers given to create_app (`handle(alert)`) join them."""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from ...config import (
    AlertmanagerHandlerSpec,
    AppriseHandlerSpec,
    ConfigError,
    EmailHandlerSpec,
    HandlerSpec,
    WebhookHandlerSpec,
)
from ...store import Notification
from .alertmanager import AlertmanagerNotifier
from .apprise import AppriseNotifier
from .base import Notifier
from .email import EmailNotifier
from .log import LogNotifier
from .webhook import WebhookNotifier


@runtime_checkable
class AlertHandler(Protocol):
    """An in-process notifier (tests, embedding): told each transition's alert as a dict."""

    def handle(self, alert: dict[str, Any]) -> None: ...


class HandlerNotifier:
    """An AlertHandler as a Notifier: any exception it raises is a retryable failure."""

    def __init__(self, handler: AlertHandler) -> None:
        self.handler = handler

    def deliver(self, notification: Notification) -> None:
        self.handler.handle(dict(notification.payload))


@dataclass(frozen=True)
class Channel:
    """A named notifier and how its failures are retried (None: the alerting.delivery_* defaults)."""

    name: str
    notifier: Notifier
    max_retries: int | None = None
    backoff_seconds: float | None = None


def build_notifier(spec: HandlerSpec, *, dashboard_url: str) -> Notifier:
    """The notifier an alerting.handlers entry describes (the settings checked its keys at startup)."""
    if isinstance(spec, WebhookHandlerSpec):
        return WebhookNotifier(spec.url, timeout_seconds=spec.timeout_seconds, headers=spec.headers, secret=spec.secret)
    if isinstance(spec, AlertmanagerHandlerSpec):
        return AlertmanagerNotifier(
            spec.url,
            dashboard_url=spec.dashboard_url or dashboard_url,
            resend_seconds=spec.resend_seconds,
            timeout_seconds=spec.timeout_seconds,
            headers=spec.headers,
        )
    if isinstance(spec, EmailHandlerSpec):
        return EmailNotifier(
            spec.host,
            port=spec.port,
            sender=spec.sender,
            to=spec.to,
            starttls=spec.starttls,
            tls=spec.tls,
            username=spec.username,
            password=spec.password,
            timeout_seconds=spec.timeout_seconds,
            tls_context=ssl.create_default_context(cafile=spec.ca_file),
        )
    if isinstance(spec, AppriseHandlerSpec):
        return AppriseNotifier(spec.urls)
    return LogNotifier()


def build_channels(
    specs: Sequence[HandlerSpec], extra: Sequence[AlertHandler | Notifier] = (), *, dashboard_url: str
) -> list[Channel]:
    """Every configured notifier under its unique name, then the in-process ones; a name given twice, or an
    Apprise URL Apprise cannot use, is a ConfigError naming the handler."""
    channels: list[Channel] = []
    names = handler_names(specs)
    taken = set(names)
    for i, (spec, name) in enumerate(zip(specs, names, strict=True)):
        where = f"alerting.handlers[{i}]"
        try:
            notifier = build_notifier(spec, dashboard_url=dashboard_url)
        except ValueError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        if isinstance(spec, WebhookHandlerSpec):
            channels.append(Channel(name, notifier, spec.retries, spec.backoff_seconds))
        else:
            channels.append(Channel(name, notifier))
    for handler in extra:
        name = _unique(type(handler).__name__.lower(), taken, [])
        taken.add(name)
        notifier = HandlerNotifier(handler) if isinstance(handler, AlertHandler) else handler
        channels.append(Channel(name, notifier))
    return channels


def handler_names(specs: Sequence[HandlerSpec]) -> list[str]:
    """Each alerting.handlers entry's name (rules' `notify` names them): its `name`, else its type made unique;
    a name given twice is a ConfigError naming the handler."""
    names: list[str] = []
    for i, spec in enumerate(specs):
        if spec.name is not None:
            if spec.name in names:
                raise ConfigError(
                    f"alerting.handlers[{i}].name: {spec.name!r} names another handler too; names must be unique"
                )
            names.append(spec.name)
        else:
            names.append(_unique(spec.type, set(names), [s.name for s in specs]))
    return names


def _unique(base: str, taken: set[str], reserved: Sequence[str | None]) -> str:
    name, n = base, 1
    while name in taken or name in reserved:
        n += 1
        name = f"{base}-{n}"
    return name
