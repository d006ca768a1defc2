"""Browser fixtures for the dashboard tests: one Chromium per session, a fresh context and page per test.

Every test is checked for browser problems (autouse `browser_problems`): console errors, uncaught page errors,
failed requests, HTTP responses >= 400 and JavaScript dialogs all fail the test, unless the test declared the URL
as expected to fail (e.g. while it stops the server on purpose).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Dialog,
    Page,
    Playwright,
    Request,
    Response,
    sync_playwright,
)

from tests.conftest import TEST_BACKEND
from tests.support.browser import CHROMIUM_ARGS
from tests.support.live import LiveServer
from tests.support.wait import wait_until

DATA_API = "/api/advanced-dashboard-data"
REFRESH_SECONDS = 1
# Fast refresh so the tests stay short; the periodic alert job is kept out of the way so that alert state only
# changes when a test ingests something.
FAST_CONFIG: dict[str, Any] = {
    "dashboard": {"refresh_seconds": REFRESH_SECONDS},
    "alerting": {"check_interval_seconds": 3600},
}


@dataclass
class BrowserProblems:
    """Collects what the browser reports; `allow_failures(url_part)` declares expected failures."""

    problems: list[str] = field(default_factory=list)
    allowed: list[str] = field(default_factory=list)
    statuses: list[tuple[str, int]] = field(default_factory=list)
    # the browser cancels a page's icon fetch when the page navigates away first (login, logout): not the page's fault
    aborts: list[str] = field(default_factory=lambda: ["/static/favicon.svg"])
    frozen: bool = False

    def allow_failures(self, url_part: str) -> None:
        self.allowed.append(url_part)

    def expect_status(self, url_part: str, status: int) -> None:
        """Only this status from URLs containing `url_part` (and the browser's console line about it) is fine."""
        self.statuses.append((url_part, status))

    def allow_aborted(self, url_part: str) -> None:
        """A request to `url_part` that the page itself cancels (net::ERR_ABORTED) is fine: closing a live stream."""
        self.aborts.append(url_part)

    def _expected_status(self, url: str, status: int) -> bool:
        return any(part in url and status == expected for part, expected in self.statuses)

    def _expected(self, *texts: str) -> bool:
        return any(part in text for part in self.allowed for text in texts)

    def _add(self, problem: str) -> None:
        if not self.frozen:
            self.problems.append(problem)

    def attach(self, page: Page) -> None:
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self._add(f"uncaught page error: {error}"))
        page.on("requestfailed", self._on_request_failed)
        page.on("response", self._on_response)
        page.on("dialog", self._on_dialog)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        location = message.location.get("url", "") if message.location else ""
        status = re.search(r"the server responded with a status of (\d+)", message.text)
        if status and self._expected_status(location, int(status.group(1))):
            return
        if not self._expected(message.text, location):
            self._add(f"console error: {message.text} (at {location})")

    def _on_request_failed(self, request: Request) -> None:
        aborted = request.failure == "net::ERR_ABORTED" and any(part in request.url for part in self.aborts)
        if not aborted and not self._expected(request.url):
            self._add(f"request failed: {request.method} {request.url}: {request.failure}")

    def _on_response(self, response: Response) -> None:
        if response.status >= 400 and not (
            self._expected(response.url) or self._expected_status(response.url, response.status)
        ):
            self._add(f"HTTP {response.status} for {response.request.method} {response.url}")

    def _on_dialog(self, dialog: Dialog) -> None:
        self._add(f"JavaScript {dialog.type} dialog opened: {dialog.message!r}")
        dialog.dismiss()


@pytest.fixture(scope="session")
def playwright_session() -> Iterator[Playwright]:
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_session: Playwright, chromium_path: str) -> Iterator[Browser]:
    browser = playwright_session.chromium.launch(
        executable_path=chromium_path, chromium_sandbox=False, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture(autouse=True)
def browser_problems() -> Iterator[BrowserProblems]:
    problems = BrowserProblems()
    yield problems
    problems.frozen = True
    assert not problems.problems, "the browser reported problems:\n  " + "\n  ".join(problems.problems)


@pytest.fixture
def new_page(
    browser: Browser, browser_problems: BrowserProblems, make_server: Callable[..., LiveServer]
) -> Iterator[Callable[..., Page]]:
    """Make pages in fresh contexts (default: 1366x900, light, en-US); all are checked and closed after the test.

    Depending on `make_server` makes the servers outlive the pages: they stop only after the pages are closed, so
    a request the browser makes late (the favicon after a slow load, a live stream) never meets a stopped server.
    """
    del make_server
    contexts: list[BrowserContext] = []
    pages: list[Page] = []

    def make(**options: Any) -> Page:
        settings: dict[str, Any] = {"viewport": {"width": 1366, "height": 900}, "locale": "en-US"}
        settings.update(options)
        context = browser.new_context(**settings)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        browser_problems.attach(page)
        pages.append(page)
        return page

    yield make
    for page in pages:  # let queued browser events reach the listeners before judging
        if not page.is_closed():
            page.evaluate("() => 0")
    browser_problems.frozen = True
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    return new_page()


@pytest.fixture
def make_server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Callable[..., LiveServer]]:
    """Start real `loglens serve` processes: FAST_CONFIG deep-merged with the given sections. Under
    TEST_STORE_BACKEND=clickhouse (as tests/conftest.py's make_app) each test's servers share a ClickHouse database
    of their own on the session's server."""
    servers: list[LiveServer] = []

    def make(config: dict[str, dict[str, Any]] | None = None) -> LiveServer:
        merged = {section: dict(values) for section, values in FAST_CONFIG.items()}
        if TEST_BACKEND == "clickhouse":
            clickhouse = request.getfixturevalue("clickhouse_server")
            database = "e2e_" + hashlib.sha1(str(tmp_path).encode()).hexdigest()[:16]
            merged["storage"] = {
                "backend": "clickhouse",
                "clickhouse": {"port": clickhouse.tcp_port, "database": database},
            }
        for section, values in (config or {}).items():
            merged.setdefault(section, {}).update(values)
        server = LiveServer(tmp_path / f"server-{len(servers)}", merged)
        servers.append(server)
        return server.start()

    yield make
    for server in servers:
        server.kill()


@pytest.fixture
def live_server(make_server: Callable[..., LiveServer]) -> LiveServer:
    """The repo's live_server, with a 1 s dashboard refresh (same .url / .stop() / .start() / .kill())."""
    return make_server()


class Api:
    """The server's HTTP API, as the tests use it."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.session = requests.Session()

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *exc: object) -> None:
        self.session.close()

    def dashboard(self, minutes: int = 30, service: str | None = None) -> dict[str, Any]:
        params: dict[str, Any] = {"minutes": minutes}
        if service is not None:
            params["service"] = service
        response = self.session.get(self.base + DATA_API, params=params, timeout=10)
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    def wait_for_alert(self, rule: str, service: str, state: str = "firing", timeout: float = 10.0) -> None:
        """Alert checks run in the background after ingest: wait until the alert is in `state`."""

        def present() -> bool:
            alerts = self.session.get(self.base + "/api/alerts", params={"state": state}, timeout=10).json()
            return (rule, service) in {(a["rule"], a["service"]) for a in alerts}

        wait_until(present, timeout, f"a {state} {rule} alert for {service}")

    def log(self, level: str = "INFO", service: str = "web", message: str = "hello", **extra: Any) -> None:
        entry = {"timestamp": now_iso(), "level": level, "service": service, "message": message, **extra}
        response = self.session.post(self.base + "/api/logs", json=entry, timeout=10)
        assert response.status_code == 201, response.text

    def simulate_logs(self, count: int) -> None:
        response = self.session.post(self.base + "/api/simulate-logs", json={"count": count}, timeout=30)
        assert response.status_code == 200, response.text

    def simulate_errors(self, count: int, error_rate: float, service: str) -> None:
        body = {"count": count, "error_rate": error_rate, "service": service}
        response = self.session.post(self.base + "/api/simulate-errors", json=body, timeout=30)
        assert response.status_code == 200, response.text


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@pytest.fixture
def api(live_server: LiveServer) -> Iterator[Api]:
    with Api(live_server.url) as client:
        yield client
