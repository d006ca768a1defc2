"""Driving LogLens's pages in the browser (Playwright): opening the dashboard and Explore, waiting until a search
has been drawn, reading the page's query string; and entries sent the way the Explore tests send them."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import Page, expect

from tests.support.live import LiveServer

if TYPE_CHECKING:
    from tests.e2e.conftest import Api


STREAM = "/api/logs/stream"


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def entry(
    seconds_ago: float,
    level: str = "INFO",
    service: str = "web",
    message: str = "hello",
    **extra: Any,
) -> dict[str, Any]:
    moment = datetime.now(UTC) - timedelta(seconds=seconds_ago)
    return {"timestamp": iso(moment), "level": level, "service": service, "message": message, **extra}


def bulk(api: Api, entries: list[dict[str, Any]]) -> None:
    body = "\n".join(json.dumps(e) for e in entries)
    response = api.session.post(
        api.base + "/api/logs/bulk", data=body, headers={"Content-Type": "application/x-ndjson"}, timeout=30
    )
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == len(entries), response.text


def open_explore(page: Page, server: LiveServer, query: str = "") -> None:
    page.goto(server.url + "/explore" + query)
    settled(page)


def settled(page: Page) -> None:
    """The search in flight (if any) has been answered and drawn."""
    expect(page.locator("#results-summary")).to_have_text(re.compile(r"\S"))
    expect(page.locator("body")).not_to_have_attribute("aria-busy", "true")


def search(page: Page, query: str) -> None:
    box = page.locator("#query-input")
    box.fill(query)
    box.press("Escape")  # close the suggestions, if any
    page.locator("#search-btn").click()
    settled(page)


def open_dashboard(page: Page, server: LiveServer, query: str = "") -> None:
    page.goto(server.url + "/" + query)
    expect(page.locator("#card-total-logs")).to_have_attribute("data-value", re.compile(r"^\d+$"))
    page.wait_for_function("() => !!(window.Chart && Chart.getChart(document.getElementById('volume-chart')))")


def goto_quietly(page: Page, url: str) -> None:
    """Navigate away from a running dashboard without cutting off one of its requests (an aborted fetch would
    count as a failed request): pause it, let the request in flight finish, then go."""
    page.locator("#pause-btn[aria-pressed='false']").click()
    expect(page.locator("body")).not_to_have_attribute("aria-busy", "true")
    page.goto(url)


def query_of(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)
