"""The Apprise notifier: Slack, Discord, Microsoft Teams, Telegram, ntfy, PagerDuty and the rest through Apprise
URLs (the `apprise` library), the title and body made from the alert."""

from __future__ import annotations

from collections.abc import Sequence

import apprise as apprise_lib

from ...store import Notification
from .base import DeliveryError
from .email import subject, text


class AppriseNotifier:
    def __init__(self, urls: Sequence[str]) -> None:
        self.urls = list(urls)
        self.apprise = apprise_lib.Apprise()
        for url in self.urls:
            if not self.apprise.add(url):
                raise ValueError(f"not an Apprise URL Apprise can use: {url!r}")

    def deliver(self, notification: Notification) -> None:
        alert = notification.payload
        kind = apprise_lib.NotifyType.FAILURE if alert.get("state") == "firing" else apprise_lib.NotifyType.SUCCESS
        # Apprise says only whether every service took it; a service's own errors go to its logger
        if not self.apprise.notify(title=subject(alert), body=text(alert), notify_type=kind):
            raise DeliveryError(f"Apprise could not deliver to every one of {len(self.urls)} URL(s)", permanent=False)
