"""The email notifier: one mail per transition over SMTP (smtplib), with STARTTLS or SMTPS, and login, when
configured. The subject says the state, the rule and the group (service); the body says the rest, and the
notification's stable id rides in the `X-LogLens-Notification-Id` header."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from ...store import Notification
from .base import DeliveryError
from .webhook import ID_HEADER


def subject(alert: Mapping[str, Any]) -> str:
    return f"[{str(alert.get('state', '')).upper()}] {alert.get('rule')} {alert.get('service')}"


def text(alert: Mapping[str, Any]) -> str:
    lines = [
        f"{str(alert.get('state', '')).upper()}: {alert.get('message')}",
        "",
        f"Rule: {alert.get('rule')}",
        f"Service: {alert.get('service')}",
        f"Severity: {alert.get('severity')}",
        f"Value: {alert.get('value')} (threshold {alert.get('threshold')})",
        f"Fired at: {alert.get('fired_at')}",
    ]
    if alert.get("state") == "resolved":
        lines += [f"Resolved at: {alert.get('resolved_at')}", f"Why: {alert.get('resolved_reason') or 'resolved'}"]
    return "\n".join(lines) + "\n"


class EmailNotifier:
    def __init__(
        self,
        host: str,
        *,
        port: int,
        sender: str,
        to: Sequence[str],
        starttls: bool = True,
        tls: bool = False,
        username: str | None = None,
        password: str | None = None,
        timeout_seconds: float = 10.0,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.to = list(to)
        self.starttls = starttls and not tls
        self.tls = tls  # SMTPS: TLS from the first byte
        self.username = username
        self.password = password
        self.timeout = timeout_seconds
        self.tls_context = tls_context or ssl.create_default_context()

    def deliver(self, notification: Notification) -> None:
        alert = notification.payload
        message = EmailMessage()
        message["Subject"] = subject(alert)
        message["From"] = self.sender
        message["To"] = ", ".join(self.to)
        message["Message-ID"] = make_msgid("loglens")
        message[ID_HEADER] = notification.id
        message.set_content(text(alert))
        try:
            connection: smtplib.SMTP
            if self.tls:
                connection = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self.tls_context)
            else:
                connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with connection as smtp:
                if self.starttls:
                    smtp.starttls(context=self.tls_context)
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(message)
        except smtplib.SMTPResponseException as exc:
            # 5xx: the server refuses (bad recipient, auth failed) — retrying cannot help; 4xx: try again later
            raise DeliveryError(
                f"SMTP {self.host}:{self.port} answered {exc.smtp_code} {exc.smtp_error!r}",
                permanent=exc.smtp_code >= 500,
            ) from None
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(
                f"SMTP {self.host}:{self.port} refused {sorted(exc.recipients)}", permanent=True
            ) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise DeliveryError(f"SMTP {self.host}:{self.port}: {exc}", permanent=True) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP {self.host}:{self.port} unreachable: {exc}", permanent=False) from None
