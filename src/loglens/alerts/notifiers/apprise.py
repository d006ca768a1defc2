"""The Apprise notifier: Slack, Discord, Microsoft Teams, Telegram, ntfy, PagerDuty and the rest through Apprise
URLs (the `apprise` library), the title and body made from the alert. Apprise is imported when such a handler is
configured: importing it takes a third of a second, which every other server start is spared."""

from __future__ import annotations

from collections.abc import Sequence

from ...store import Notification
from .base import DeliveryError
from .email import subject, text


class AppriseNotifier:
    def __init__(self, urls: Sequence[str]) -> None:
        import apprise

        self.urls = list(urls)
        self.apprise = apprise.Apprise()
        self.failure, self.success = apprise.NotifyType.FAILURE, apprise.NotifyType.SUCCESS
        for url in self.urls:
            if not self.apprise.add(url):
                raise ValueError(f"not an Apprise URL Apprise can use: {url!r}")

    def deliver(self, notification: Notification) -> None:
        alert = notification.payload
        kind = self.failure if alert.get("state") == "firing" else self.success
        # Apprise says only whether every service took it; a service's own errors go to its logger
        if not self.apprise.notify(title=subject(alert), body=text(alert), notify_type=kind):
            raise DeliveryError(f"Apprise could not deliver to every one of {len(self.urls)} URL(s)", permanent=False)
