"""What every notifier is (`Notifier`), how it says a delivery failed (`DeliveryError`), and the HTTP POST the
HTTP notifiers share (retryable: connection errors, timeouts, 429 and 5xx; anything else is permanent)."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from ...store import Notification

USER_AGENT = "LogLens"


class DeliveryError(Exception):
    """A notification could not be delivered; `permanent` says whether retrying can help."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


@runtime_checkable
class Notifier(Protocol):
    def deliver(self, notification: Notification) -> None:
        """Deliver one notification (the alert is `notification.payload`); raise DeliveryError when it fails."""
        ...


@runtime_checkable
class Resending(Protocol):
    """A notifier told again about a firing alert every `resend_seconds` (Alertmanager forgets what it stops
    hearing about)."""

    resend_seconds: float

    def deliver(self, notification: Notification) -> None: ...


def post(url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> None:
    """POST `body`; DeliveryError (permanent for 4xx but 429) when it is not accepted."""
    request = urllib.request.Request(url, data=body, method="POST", headers={"User-Agent": USER_AGENT, **headers})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read(65536)
    except urllib.error.HTTPError as exc:
        detail = exc.read(300).decode("utf-8", "replace").strip()
        exc.close()
        retryable = exc.code == 429 or exc.code >= 500
        said = f": {detail}" if detail else ""
        raise DeliveryError(f"{url} answered {exc.code}{said}", permanent=not retryable) from None
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        raise DeliveryError(f"{url} unreachable: {reason}", permanent=False) from None
