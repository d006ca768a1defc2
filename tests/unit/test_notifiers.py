"""LogLens's notifiers against real receivers on loopback: Debian's prometheus-alertmanager routing to a webhook,
an SMTP server (aiosmtpd) with STARTTLS, Apprise's json:// to an HTTP receiver, and the webhook's signature.
The app runs in process on the configured backend (TEST_STORE_BACKEND); its clock is moved by hand."""

from __future__ import annotations

import hashlib
import hmac
import ssl
import subprocess
import time
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from loglens.jobs import check_alerts
from tests.conftest import FakeClock, require
from tests.support import alertmanager
from tests.support.alerting import send, state
from tests.support.live import free_port
from tests.support.receiver import Receiver
from tests.support.wait import wait_until

FAST = {"delivery_poll_seconds": 0.1, "delivery_backoff_seconds": 0.1, "min_events": 1, "ingest_check_seconds": 0}
FAST |= {"service_down_minutes": 600}  # only the error-rate alert: it resolves when the clock moves 10 min on


@pytest.fixture
def now_clock() -> FakeClock:
    # receivers compare times with their own clocks (Alertmanager takes an `endsAt` still to come as firing): start
    # far enough in the past that moving this clock on never passes the real time
    return FakeClock(time.time() - 3600)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def notifications(app: Flask, alert_id: int) -> list[dict[str, Any]]:
    body: dict[str, Any] = app.test_client().get(f"/api/alerts/{alert_id}").json
    return list(body["notifications"])


def delivered(app: Flask, alert_id: int, event: str, notifier: str, timeout: float = 20) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        for n in notifications(app, alert_id):
            if (n["event"], n["notifier"], n["status"]) == (event, notifier, "delivered"):
                return n
        return None

    return wait_until(done, timeout, f"the {event} notification of alert {alert_id} to {notifier} is delivered")


def fire_and_resolve(app: Flask, clock: FakeClock, service: str) -> int:
    send(app, clock, service, errors=1)
    (alert,) = [a for a in state(app).store.alerts("firing") if a.service == service]
    return int(alert.id)


def resolve(app: Flask, clock: FakeClock) -> None:
    clock.advance(10 * 60)  # the errors leave the window
    check_alerts(state(app).engine)


def test_alertmanager_receives_firing_and_resolved_and_its_silence_holds_a_repeat(
    make_app: Any, now_clock: FakeClock, receiver: Receiver, tmp_path: Path
) -> None:
    require(alertmanager.available(), "prometheus-alertmanager is not installed (make system-deps)")
    am = alertmanager.Alertmanager(tmp_path, f"{receiver.url}/am").start()
    try:
        handlers = [{"name": "am", "type": "alertmanager", "url": am.url, "resend_seconds": 30}]
        app = make_app({"alerting": {**FAST, "handlers": handlers}}, clock=now_clock)
        alert_id = fire_and_resolve(app, now_clock, "pay")
        delivered(app, alert_id, "firing", "am")
        firing = wait_until(
            lambda: [r.json for r in receiver.all() if r.json["status"] == "firing"],
            20,
            "Alertmanager's firing webhook",
        )
        (sent,) = firing[0]["alerts"]
        assert sent["labels"] == {"alertname": "error_rate", "service": "pay", "severity": "critical"}
        assert sent["annotations"]["summary"].startswith("Error rate for pay is 100.0%")
        assert (
            sent["generatorURL"].startswith("http://127.0.0.1:")
            and "/explore?q=service%3A%22pay%22" in sent["generatorURL"]
        )

        silence = am.silence({"alertname": "error_rate", "service": "pay"})
        now_clock.advance(31)  # past resend_seconds: the loop sends the firing alert again
        repeat = wait_until(
            lambda: [n for n in notifications(app, alert_id) if n["event"] == "repeat" and n["status"] == "delivered"],
            20,
            "the repeat was delivered to Alertmanager",
        )
        assert repeat[0]["id"].startswith(f"{alert_id}-repeat")
        held = wait_until(
            lambda: [a for a in am.alerts() if a["status"]["silencedBy"] == [silence]], 20, "Alertmanager holds it"
        )
        assert held[0]["status"]["state"] == "suppressed" and held[0]["labels"]["service"] == "pay"

        am.expire(silence)
        resolve(app, now_clock)
        delivered(app, alert_id, "resolved", "am")
        resolved = wait_until(
            lambda: [r.json for r in receiver.all() if r.json["status"] == "resolved"], 20, "the resolved webhook"
        )
        assert resolved[0]["alerts"][0]["labels"]["alertname"] == "error_rate"
        ends = resolved[0]["alerts"][0]["endsAt"]
        assert ends.startswith(time.strftime("%Y-%m-%dT%H:%M", time.gmtime(now_clock.now)))  # when it resolved
    finally:
        am.stop()


class Mailbox:
    """aiosmtpd's handler: keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


def certificate(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def test_email_over_starttls_says_firing_and_resolved_with_rule_and_service(
    make_app: Any, now_clock: FakeClock, tmp_path: Path
) -> None:
    from aiosmtpd.controller import Controller

    cert, key = certificate(tmp_path)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, tls_context=tls, require_starttls=True)
    controller.start()
    try:
        mail = {"name": "mail", "type": "email", "host": "127.0.0.1", "port": port, "from": "loglens@example.org"}
        mail |= {"to": ["oncall@example.org", "lead@example.org"], "ca_file": str(cert)}
        app = make_app({"alerting": {**FAST, "handlers": [mail]}}, clock=now_clock)
        alert_id = fire_and_resolve(app, now_clock, "pay")
        delivered(app, alert_id, "firing", "mail")
        resolve(app, now_clock)
        delivered(app, alert_id, "resolved", "mail")
    finally:
        controller.stop()
    subjects = [m["Subject"] for m in mailbox.messages]
    assert subjects == ["[FIRING] error_rate pay", "[RESOLVED] error_rate pay"]
    assert [m["X-LogLens-Notification-Id"] for m in mailbox.messages] == [
        f"{alert_id}-firing-mail",
        f"{alert_id}-resolved-mail",
    ]
    first = mailbox.messages[0]
    assert first["From"] == "loglens@example.org" and first["To"] == "oncall@example.org, lead@example.org"
    assert "Error rate for pay is 100.0%" in str(first.get_payload())
    assert "Why: resolved: no entries from pay" in str(mailbox.messages[1].get_payload())


def test_email_over_smtps_with_login(make_app: Any, now_clock: FakeClock, tmp_path: Path) -> None:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    logins: list[tuple[bytes, bytes]] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        assert isinstance(data, LoginPassword)
        logins.append((data.login, data.password))
        return AuthResult(success=data.password == b"pw")

    cert, key = certificate(tmp_path)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(
        mailbox, hostname="127.0.0.1", port=port, ssl_context=tls, authenticator=authenticator, auth_require_tls=False
    )
    controller.start()
    try:
        mail = {"name": "mail", "type": "email", "host": "127.0.0.1", "port": port, "from": "loglens@example.org"}
        mail |= {"to": ["oncall@example.org"], "ca_file": str(cert), "tls": True, "username": "ll", "password": "pw"}
        app = make_app({"alerting": {**FAST, "handlers": [mail]}}, clock=now_clock)
        alert_id = fire_and_resolve(app, now_clock, "pay")
        delivered(app, alert_id, "firing", "mail")
    finally:
        controller.stop()
    assert logins == [(b"ll", b"pw")]
    assert [m["Subject"] for m in mailbox.messages] == ["[FIRING] error_rate pay"]


def test_apprise_delivers_firing_and_resolved_to_a_json_endpoint(
    make_app: Any, now_clock: FakeClock, receiver: Receiver
) -> None:
    port = receiver.url.rsplit(":", 1)[1]
    chat = {"name": "chat", "type": "apprise", "urls": [f"json://127.0.0.1:{port}/chat"]}
    app = make_app({"alerting": {**FAST, "handlers": [chat]}}, clock=now_clock)
    alert_id = fire_and_resolve(app, now_clock, "pay")
    delivered(app, alert_id, "firing", "chat")
    resolve(app, now_clock)
    delivered(app, alert_id, "resolved", "chat")
    bodies = [r.json for r in receiver.all()]
    assert [(b["title"], b["type"]) for b in bodies] == [
        ("[FIRING] error_rate pay", "failure"),
        ("[RESOLVED] error_rate pay", "success"),
    ]
    assert "Error rate for pay is 100.0%" in bodies[0]["message"]
    assert {r.path for r in receiver.all()} == {"/chat"}


def test_webhook_signature_verifies_with_the_secret_over_timestamp_and_body(
    make_app: Any, now_clock: FakeClock, receiver: Receiver
) -> None:
    hook = {"name": "hook", "type": "webhook", "url": f"{receiver.url}/hook", "secret": "s3cret"}
    app = make_app({"alerting": {**FAST, "handlers": [hook]}}, clock=now_clock)
    alert_id = fire_and_resolve(app, now_clock, "pay")
    delivered(app, alert_id, "firing", "hook")
    (got,) = receiver.all()
    assert got.notification_id == f"{alert_id}-firing-hook"
    fields = dict(part.split("=", 1) for part in got.headers["x-loglens-signature"].split(","))
    assert abs(int(fields["t"]) - time.time()) < 60  # the sender's real time (not the app's moved clock)
    expected = hmac.new(b"s3cret", fields["t"].encode() + b"." + got.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(fields["v1"], expected)
    forged = hmac.new(b"other", fields["t"].encode() + b"." + got.body, hashlib.sha256).hexdigest()
    assert fields["v1"] != forged
    assert got.json["id"] == alert_id and got.json["state"] == "firing"  # today's payload shape


BRIEF_FORM = [
    {"name": "am", "type": "alertmanager", "url": "http://127.0.0.1:9093"},
    {"name": "hook", "type": "webhook", "url": "https://hooks.example/x", "secret": "s"},
    {"name": "mail", "type": "email", "host": "smtp.example", "port": 587, "from": "a@example", "to": ["b@example"]},
    {"name": "chat", "type": "apprise", "urls": ["json://127.0.0.1:9/x"]},
]


def test_the_documented_handler_form_loads_and_names_each_notifier() -> None:
    from loglens.alerts.notifiers.build import build_channels
    from loglens.config import load

    specs = load(env={}, overrides={"alerting": {"handlers": [*BRIEF_FORM, {"type": "webhook", "url": "http://h/y"}]}})
    channels = build_channels(specs.alerting.handlers, dashboard_url="http://127.0.0.1:5000")
    names = [(c.name, type(c.notifier).__name__) for c in channels]
    assert names == [
        ("am", "AlertmanagerNotifier"),
        ("hook", "WebhookNotifier"),
        ("mail", "EmailNotifier"),
        ("chat", "AppriseNotifier"),
        ("webhook", "WebhookNotifier"),  # no name: its type
    ]
    unnamed = load(env={}, overrides={"alerting": {"handlers": [{"type": "log"}, {"type": "log"}]}})
    assert [c.name for c in build_channels(unnamed.alerting.handlers, dashboard_url="")] == ["log", "log-2"]


@pytest.mark.parametrize(
    ("handler", "message"),
    [
        ({**BRIEF_FORM[2], "form": "x"}, r"unknown key alerting\.handlers\[0\]\.form \(did you mean from\?\)"),
        ({k: v for k, v in BRIEF_FORM[2].items() if k != "to"}, r"alerting\.handlers\[0\]\.to: required"),
        ({**BRIEF_FORM[0], "resend": 30}, r"unknown key alerting\.handlers\[0\]\.resend \(did you mean resend_seconds"),
        ({"type": "apprise"}, r"alerting\.handlers\[0\]\.urls: required"),
        ({**BRIEF_FORM[3], "urls": "slack://x"}, r"alerting\.handlers\[0\]\.urls: expected a list"),
        ({**BRIEF_FORM[1], "name": "two words"}, r"alerting\.handlers\[0\]\.name: must be letters"),
    ],
)
def test_a_handler_typo_or_missing_key_stops_startup_naming_handler_and_key(
    make_app: Any, handler: dict[str, Any], message: str
) -> None:
    from loglens.config import ConfigError

    with pytest.raises(ConfigError, match=message):
        make_app({"alerting": {"handlers": [handler]}})


def test_two_handlers_with_one_name_or_an_unknown_apprise_url_stop_startup(make_app: Any) -> None:
    from loglens.config import ConfigError

    with pytest.raises(ConfigError, match=r"alerting\.handlers\[1\]\.name: 'hook' names another handler too"):
        make_app({"alerting": {"handlers": [BRIEF_FORM[1], {**BRIEF_FORM[1]}]}})
    with pytest.raises(ConfigError, match=r"alerting\.handlers\[0\]: not an Apprise URL Apprise can use: 'nope://x'"):
        make_app({"alerting": {"handlers": [{"type": "apprise", "urls": ["nope://x"]}]}})
